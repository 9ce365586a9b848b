"""Queries over funds."""

from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from shared.db.pagination import SortKey
from shared.funds.models import Fund, FundStatus
from shared.operators.models import Operator

BY_CODE = SortKey("code", ((Fund.code, False),))
_WITH_OPERATOR = select(Fund).options(joinedload(Fund.operator))
"""Funds with their operator (built once: loader options cost to build)."""


def list_statement(
    *, status: FundStatus | None, operator: str | None, open_at: datetime | None
) -> Select[Fund]:
    """Funds filtered by status, operator code and a moment their window contains."""
    statement = _WITH_OPERATOR
    if status is not None:
        statement = statement.where(Fund.status == status)
    if operator is not None:
        statement = statement.where(
            Fund.operator_id.in_(select(Operator.id).where(Operator.code == operator))
        )
    if open_at is not None:
        statement = statement.where(
            Fund.status == FundStatus.OPEN,
            or_(Fund.opens_at.is_(None), Fund.opens_at <= open_at),
            or_(Fund.closes_at.is_(None), Fund.closes_at > open_at),
        )
    return statement


async def get_by_code(session: AsyncSession, code: str) -> Fund | None:
    """One fund by code, with its operator."""
    return await session.scalar(_WITH_OPERATOR.where(Fund.code == code))
