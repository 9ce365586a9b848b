"""The sweeper and retention: nothing committed is stranded, nothing is kept past its time.

Every few seconds the sweeper finds deliveries that are due but that no job or lane has
taken (a crash between commit and enqueue, a lost Redis, a killed worker whose lease ran
out) and enqueues them again, at most `max_in_flight` per endpoint and only for endpoints
with no live lane (a live lane drains its endpoint by itself). It also schedules the
probes of open circuits and disables endpoints failing for too long.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.jobs import JobRequest
from shared.webhooks import endpoint_health, sweep_repository
from shared.webhooks.jobs import FIRST_ATTEMPT_QUEUE, RETRY_QUEUE, deliver_job
from shared.webhooks.policy import DeliveryPolicy

PROBE_JOB = "webhooks.probe"


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one sweep did."""

    jobs: list[JobRequest]
    disabled: int


async def sweep(
    session: AsyncSession, policy: DeliveryPolicy, *, now: datetime, limit: int = 1000
) -> Sweep:
    """Re-enqueue stranded deliveries, schedule due probes, disable long-failing endpoints."""
    stranded = await sweep_repository.take_stranded(session, grace=policy.sweep_grace, limit=limit)
    jobs = [
        deliver_job(
            delivery_id,
            endpoint_id,
            attempt=attempts + 1,
            queue=RETRY_QUEUE if attempts else FIRST_ATTEMPT_QUEUE,
        )
        for delivery_id, endpoint_id, attempts in stranded
    ]
    jobs += [probe_job(*due) for due in await sweep_repository.probes_due(session)]
    disabled = await endpoint_health.disable_failing(session, policy.health, now)
    return Sweep(jobs=jobs, disabled=disabled)


def probe_job(endpoint_id: uuid.UUID, probes: int) -> JobRequest:
    """The job of one probe (unique per endpoint and probe count)."""
    return JobRequest(
        PROBE_JOB,
        job_id=f"probe:{endpoint_id}:{probes}",
        kwargs={"endpoint_id": str(endpoint_id)},
        queue=RETRY_QUEUE,
    )


@dataclass(frozen=True, slots=True)
class Retention:
    """What one retention pass removed."""

    payloads_nulled: int
    deliveries_expired: int
    attempts_purged: int


async def apply_retention(
    session: AsyncSession,
    *,
    now: datetime | None = None,
    payload_days: int,
    attempt_days: int,
    limit: int = 10_000,
) -> Retention:
    """Null payloads older than `payload_days`, fail their undelivered messages, and purge
    attempt logs older than `attempt_days` (each bounded by `limit` rows per pass)."""
    moment = now or datetime.now(UTC)
    return Retention(
        payloads_nulled=await sweep_repository.null_payloads(
            session, moment - timedelta(days=payload_days), limit
        ),
        deliveries_expired=await sweep_repository.expire_deliveries(session),
        attempts_purged=await sweep_repository.purge_attempts(
            session, moment - timedelta(days=attempt_days), limit
        ),
    )
