"""Queries over operators."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.pagination import SortKey
from shared.operators.models import Operator, OperatorKind

BY_CODE = SortKey("code", ((Operator.code, False),))


def list_statement(*, kind: OperatorKind | None) -> Select[Operator]:
    """Operators, optionally of one kind."""
    statement = select(Operator)
    if kind is not None:
        statement = statement.where(Operator.kind == kind)
    return statement


async def get_by_code(session: AsyncSession, code: str) -> Operator | None:
    """One operator by code."""
    return await session.scalar(select(Operator).where(Operator.code == code))


async def region_operator_id(session: AsyncSession, region_code: str) -> uuid.UUID | None:
    """The operator record of the Region (regional council) of `region_code`, if any."""
    return await session.scalar(
        select(Operator.id).where(
            Operator.kind == OperatorKind.REGION, Operator.region_code == region_code
        )
    )
