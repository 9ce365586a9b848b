"""What each principal may see, as SQL conditions (never by filtering results)."""

from typing import Any

from sqlalchemy import ColumnElement, false, true

from shared.principal import Principal, Role


def territory_condition(principal: Principal, territory_column: Any) -> ColumnElement[bool]:
    """Admins: everything; territory keys: their territory's rows; others: nothing."""
    if principal.role is Role.ADMIN:
        return true()
    if principal.role is Role.TERRITORY and principal.territory_id is not None:
        condition: ColumnElement[bool] = territory_column == principal.territory_id
        return condition
    return false()
