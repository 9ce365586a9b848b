"""Queries over outcome reports (the caller has checked it may see their application)."""

import uuid

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.pagination import SortKey
from shared.outcomes.models import Outcome

NEWEST_FIRST = SortKey(
    "-reported_on",
    ((Outcome.reported_on, True), (Outcome.created_at, True), (Outcome.id, True)),
)
"""The order of an application's reports: the first one is the one that counts."""


def of_application(application_id: uuid.UUID) -> Select[Outcome]:
    """The reports of one application (order them with `NEWEST_FIRST`)."""
    return select(Outcome).where(Outcome.application_id == application_id)


async def latest(session: AsyncSession, application_id: uuid.UUID) -> Outcome | None:
    """The report that counts: the newest `reported_on`, then the newest written."""
    order = [column.desc() for column, _ in NEWEST_FIRST.columns]
    return await session.scalar(of_application(application_id).order_by(*order).limit(1))


async def get(session: AsyncSession, outcome_id: uuid.UUID) -> Outcome | None:
    """One report (whoever may read it: the caller checks its application)."""
    return await session.get(Outcome, outcome_id)
