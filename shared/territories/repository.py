"""Queries over territories."""

import uuid

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from shared.db.filters import contains_pattern
from shared.db.pagination import SortKey
from shared.territories.models import Territory

BY_NAME = SortKey("name", ((Territory.name, False), (Territory.id, False)))
_LOAD = (selectinload(Territory.epcis), selectinload(Territory.contacts))

FACTS_SUBQUERY = (
    select(Territory.code, Territory.name)
    .where(Territory.id == bindparam("territory_id"))
    .subquery("territory")
)
"""What the eligibility rules read of a territory besides its id (its code and name), as a
subquery to read with other facts at once; `territory_id` is bound at execution."""


def list_statement(*, region: str | None, q: str | None) -> Select[Territory]:
    """Territories with their EPCIs and contacts, filtered by region and text."""
    statement = select(Territory).options(*_LOAD)
    if region is not None:
        statement = statement.where(Territory.region_code == region)
    if q:
        pattern = contains_pattern(q)
        statement = statement.where(
            or_(
                Territory.name.ilike(pattern, escape="\\"),
                Territory.code.ilike(pattern, escape="\\"),
            )
        )
    return statement


async def get_by_id(session: AsyncSession, territory_id: uuid.UUID) -> Territory | None:
    """One territory with its EPCIs and contacts."""
    return await session.scalar(
        select(Territory).options(*_LOAD).where(Territory.id == territory_id)
    )


async def get_by_code(session: AsyncSession, code: str) -> Territory | None:
    """One territory by code, with its EPCIs and contacts."""
    return await session.scalar(select(Territory).options(*_LOAD).where(Territory.code == code))
