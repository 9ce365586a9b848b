"""Queries over API keys."""

from sqlalchemy import Select, select

from shared.auth.models import ApiKey
from shared.db.pagination import SortKey
from shared.principal import Role

BY_CREATION = SortKey("created", ((ApiKey.created_at, True), (ApiKey.id, True)))


def list_statement(*, role: Role | None, revoked: bool | None) -> Select[ApiKey]:
    """Keys filtered by role and revocation state, newest first when paginated."""
    statement = select(ApiKey)
    if role is not None:
        statement = statement.where(ApiKey.role == role)
    if revoked is True:
        statement = statement.where(ApiKey.revoked_at.is_not(None))
    elif revoked is False:
        statement = statement.where(ApiKey.revoked_at.is_(None))
    return statement
