"""Dispatch bookkeeping and the outbox relay: nothing committed is ever stranded."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.models import Event
from shared.events.service import DISPATCH_JOB
from shared.jobs import JobRequest


async def mark_dispatched(session: AsyncSession, event_id: uuid.UUID) -> bool:
    """Record that an event was fanned out; False if it was already (or does not exist)."""
    result = await session.execute(
        update(Event)
        .where(Event.id == event_id, Event.dispatched_at.is_(None))
        .values(dispatched_at=datetime.now(UTC))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def stranded_dispatches(
    session: AsyncSession, *, older_than: timedelta, limit: int = 1000
) -> list[JobRequest]:
    """Dispatch jobs for events committed but still undispatched after `older_than`.

    The job ids are the same as the ones enqueued after commit, so an event whose
    job is merely waiting in Redis is not dispatched twice.
    """
    cutoff = datetime.now(UTC) - older_than
    ids = await session.scalars(
        select(Event.id)
        .where(Event.dispatched_at.is_(None), Event.occurred_at < cutoff)
        .order_by(Event.position)
        .limit(limit)
    )
    return [
        JobRequest(DISPATCH_JOB, job_id=f"dispatch:{event_id}", kwargs={"event_id": str(event_id)})
        for event_id in ids
    ]
