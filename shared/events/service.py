"""Recording outbox events in the caller's transaction, and deferring their dispatch."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import request_id_var
from shared.events.catalogue import PAYLOADS, EventType
from shared.events.models import Event
from shared.jobs import JobRequest, defer_job
from shared.schemas import Schema

DISPATCH_JOB = "events.dispatch_event"


async def record_event(
    session: AsyncSession,
    event_type: EventType,
    data: Schema,
    *,
    subject_type: str,
    subject_id: uuid.UUID,
    sequence: int,
    fund_id: uuid.UUID | None = None,
    operator_id: uuid.UUID | None = None,
    territory_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Write an event to the outbox (committed with the change, never alone); its id.

    After commit the adapter enqueues its dispatch; the outbox relay re-enqueues
    any event left undispatched, so a crash or a Redis loss loses nothing.
    """
    expected = PAYLOADS[event_type]
    if not isinstance(data, expected):
        raise TypeError(f"{event_type} carries {expected.__name__}, not {type(data).__name__}")
    event_id = uuid.uuid4()
    # A plain INSERT: the event is never read back in this transaction.
    await session.execute(
        insert(Event).values(
            id=event_id,
            type=event_type.value,
            subject_type=subject_type,
            subject_id=subject_id,
            sequence=sequence,
            occurred_at=getattr(data, "occurred_at", None) or datetime.now(UTC),
            fund_id=fund_id,
            operator_id=operator_id,
            territory_id=territory_id,
            data=data.model_dump(mode="json"),
            request_id=request_id_var.get(),
        )
    )
    defer_job(
        session,
        JobRequest(DISPATCH_JOB, job_id=f"dispatch:{event_id}", kwargs={"event_id": str(event_id)}),
    )
    return event_id
