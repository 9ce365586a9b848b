"""Publishing an event: its row and one delivery per subscribed endpoint, in the caller's
transaction; the first attempts are deferred to after commit."""

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.catalogue import EventType
from shared.events.service import new_event
from shared.jobs import defer_job
from shared.outbox.fanout import write_event
from shared.schemas import Schema


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
    route_tags: Sequence[str] = (),
    fanout: bool = True,
    only_endpoint: uuid.UUID | None = None,
) -> uuid.UUID:
    """Write an event and one delivery per subscribed endpoint (committed with the change).

    `operator_id` is the operator the event belongs to (an application's fund operator);
    `route_tags` (`priority:decarbonation`...) add the operators whose routing rules match.
    After commit the adapter enqueues the first attempts; the webhook sweeper re-enqueues
    any delivery whose job was lost, so a crash or a Redis loss loses nothing.
    """
    event = new_event(
        event_type,
        data,
        subject_type=subject_type,
        subject_id=subject_id,
        sequence=sequence,
        fund_id=fund_id,
        operator_id=operator_id,
        territory_id=territory_id,
    )
    jobs = await write_event(
        session,
        event,
        route_tags=route_tags,
        fanout=fanout,
        only_endpoint=only_endpoint,
    )
    for job in jobs:
        defer_job(session, job)
    return event.id
