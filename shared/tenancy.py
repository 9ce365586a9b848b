"""What each principal may see, as SQL conditions (never by filtering results)."""

from typing import Any

from sqlalchemy import ColumnElement, false, true

from shared.auth.models import Role
from shared.auth.principal import Principal


def territory_condition(principal: Principal, territory_column: Any) -> ColumnElement[bool]:
    """Admins: everything; territory keys: their territory's rows; others: nothing."""
    if principal.role is Role.ADMIN:
        return true()
    if principal.role is Role.TERRITORY and principal.territory_id is not None:
        condition: ColumnElement[bool] = territory_column == principal.territory_id
        return condition
    return false()
