"""The delivery jobs: one per lane of an endpoint, on the first-attempt or the retry queue.

A job names a delivery and its attempt (`{delivery_id}:{attempt}`, so a repeated enqueue
is a no-op) and asks for a lane, which then drains the endpoint's due backlog in order; the
job's slot is free at once (`shared.webhooks.lanes`: the lanes have their own capacity).
"""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from shared.jobs import JobRequest, defer_job
from shared.webhooks import sweep_repository
from shared.webhooks.repository import ATTEMPTABLE

DELIVER_JOB: Final = "webhooks.deliver"
FIRST_ATTEMPT_QUEUE: Final = "webhooks"
RETRY_QUEUE: Final = "webhooks-retry"
_LANES_STARTED: Final = "tidi.webhook_lanes_started"


def first_attempt_job(delivery_id: uuid.UUID, endpoint_id: uuid.UUID) -> JobRequest:
    """The job of a delivery's first attempt, on the first-attempt queue."""
    return deliver_job(delivery_id, endpoint_id, attempt=1, queue=FIRST_ATTEMPT_QUEUE)


def deliver_job(
    delivery_id: uuid.UUID,
    endpoint_id: uuid.UUID,
    *,
    attempt: int,
    queue: str,
    defer_until: datetime | None = None,
) -> JobRequest:
    """The job of attempt `attempt` of a delivery: id `{delivery_id}:{attempt}`."""
    return JobRequest(
        DELIVER_JOB,
        job_id=f"{delivery_id}:{attempt}",
        kwargs={
            "delivery_id": str(delivery_id),
            "endpoint_id": str(endpoint_id),
            "attempt": attempt,
        },
        queue=queue,
        defer_until=defer_until,
    )


def first_attempt_jobs(
    session: AsyncSession, deliveries: Sequence[tuple[uuid.UUID, uuid.UUID, str, int, bool]]
) -> list[JobRequest]:
    """The first-attempt jobs of the deliveries just written (id, endpoint, state, cap,
    queued behind a lane at work).

    One job per lane is enough: a lane drains every due delivery of its endpoint, so a
    transaction writing many events (a batch, a rescore) enqueues at most `max_in_flight`
    jobs per endpoint; one event per transaction gets one job per delivery, unless a lane
    at work on its endpoint has a backlog to drain first (a slow endpoint). Endpoints whose
    circuit is open or which are disabled get none.
    """
    # The ORM transaction itself (AsyncSession.get_transaction() returns a fresh proxy each
    # time, whose id can change while the transaction is the same).
    transaction = session.sync_session.get_transaction()
    owner, started = session.info.get(_LANES_STARTED, (None, {}))
    if owner is not transaction:  # counts belong to one transaction
        started = {}
        session.info[_LANES_STARTED] = (transaction, started)
    jobs = []
    for delivery_id, endpoint_id, state, max_in_flight, queued_behind in deliveries:
        if state not in ATTEMPTABLE or queued_behind:
            continue
        if started.get(endpoint_id, 0) >= max_in_flight:
            continue
        started[endpoint_id] = started.get(endpoint_id, 0) + 1
        jobs.append(first_attempt_job(delivery_id, endpoint_id))
    return jobs


async def kick_lanes(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    """Start the lanes of an endpoint whose backlog is due now (re-enabled, recovered).

    One job per lane, for the oldest messages: each lane then drains the rest in order.
    """
    for delivery_id, attempts in await sweep_repository.lane_starts(session, endpoint_id):
        defer_job(
            session,
            deliver_job(delivery_id, endpoint_id, attempt=attempts + 1, queue=FIRST_ATTEMPT_QUEUE),
        )
