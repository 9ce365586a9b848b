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

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.jobs import JobRequest
from shared.webhooks import health as health_rules
from shared.webhooks.delivery import announce_health, health_of
from shared.webhooks.jobs import FIRST_ATTEMPT_QUEUE, RETRY_QUEUE, deliver_job
from shared.webhooks.policy import DeliveryPolicy

PROBE_JOB = "webhooks.probe"

_STRANDED = text(
    """
WITH live AS (
    SELECT DISTINCT endpoint_id FROM webhook_deliveries
    WHERE status = 'pending' AND locked_until > clock_timestamp()
), candidates AS (
    SELECT d.id, e.max_in_flight,
           row_number() OVER (PARTITION BY d.endpoint_id ORDER BY d.position) AS rank
    FROM webhook_deliveries AS d JOIN webhook_endpoints AS e ON e.id = d.endpoint_id
    WHERE d.status = 'pending'
      AND d.next_attempt_at < clock_timestamp() - CAST(:grace AS interval)
      AND (d.locked_until IS NULL OR d.locked_until < clock_timestamp())
      AND e.state IN ('healthy', 'degraded')
      AND d.endpoint_id NOT IN (SELECT endpoint_id FROM live)
), taken AS (
    SELECT d.id FROM webhook_deliveries AS d
    WHERE d.id IN (SELECT id FROM candidates WHERE rank <= max_in_flight LIMIT :limit)
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries AS d SET next_attempt_at = clock_timestamp()
FROM taken WHERE d.id = taken.id
RETURNING d.id, d.endpoint_id, d.attempts
"""
)
_PROBES_DUE = text(
    """
SELECT e.id, e.probes FROM webhook_endpoints AS e
WHERE e.state = 'circuit_open' AND (e.next_probe_at IS NULL OR e.next_probe_at <= now())
  AND EXISTS (SELECT 1 FROM webhook_deliveries AS d
              WHERE d.endpoint_id = e.id AND d.status = 'pending')
"""
)
_FAILING_TOO_LONG = text(
    """
SELECT id, operator_id, state::text AS state, consecutive_failures, failing_since,
    last_failure_at, last_success_at, probes, next_probe_at,
    disabled_reason::text AS disabled_reason
FROM webhook_endpoints
WHERE state IN ('degraded', 'circuit_open')
  AND failing_since < now() - CAST(:disable_after AS interval)
FOR NO KEY UPDATE SKIP LOCKED
"""
)
_DISABLE = text(
    """
UPDATE webhook_endpoints
SET state = 'disabled', disabled_reason = 'failing', next_probe_at = NULL,
    health_changed_at = now()
WHERE id = :id
"""
)


@dataclass(frozen=True, slots=True)
class Sweep:
    """What one sweep did."""

    jobs: list[JobRequest]
    disabled: int


async def sweep(
    session: AsyncSession, policy: DeliveryPolicy, *, now: datetime, limit: int = 1000
) -> Sweep:
    """Re-enqueue stranded deliveries, schedule due probes, disable long-failing endpoints."""
    jobs: list[JobRequest] = []
    for delivery_id, endpoint_id, attempts in await session.execute(
        _STRANDED, {"grace": policy.sweep_grace, "limit": limit}
    ):
        jobs.append(
            deliver_job(
                delivery_id,
                endpoint_id,
                attempt=attempts + 1,
                queue=RETRY_QUEUE if attempts else FIRST_ATTEMPT_QUEUE,
            )
        )
    for endpoint_id, probes in await session.execute(_PROBES_DUE):
        jobs.append(probe_job(endpoint_id, probes))
    disabled = 0
    for row in (
        await session.execute(_FAILING_TOO_LONG, {"disable_after": policy.health.disable_after})
    ).all():
        before = health_of(row)
        transition = health_rules.tick(before, now, policy.health)
        if transition.event is None:
            continue
        await session.execute(_DISABLE, {"id": row.id})
        await announce_health(
            session,
            endpoint_id=row.id,
            operator_id=row.operator_id,
            event=transition.event,
            before=before,
            after=transition.health,
            now=now,
        )
        disabled += 1
    return Sweep(jobs=jobs, disabled=disabled)


def probe_job(endpoint_id: uuid.UUID, probes: int) -> JobRequest:
    """The job of one probe (unique per endpoint and probe count)."""
    return JobRequest(
        PROBE_JOB,
        job_id=f"probe:{endpoint_id}:{probes}",
        kwargs={"endpoint_id": str(endpoint_id)},
        queue=RETRY_QUEUE,
    )


_NULL_PAYLOADS = text(
    """
UPDATE events SET data = NULL
WHERE id IN (SELECT id FROM events WHERE data IS NOT NULL AND occurred_at < :cutoff
             ORDER BY occurred_at LIMIT :limit)
"""
)
_EXPIRE_DELIVERIES = text(
    """
UPDATE webhook_deliveries AS d
SET status = 'failed', last_error = 'payload_expired', locked_until = NULL
FROM events AS ev
WHERE ev.id = d.event_id AND ev.data IS NULL AND d.status = 'pending'
  AND (d.locked_until IS NULL OR d.locked_until < clock_timestamp())
"""
)
_PURGE_ATTEMPTS = text(
    """
DELETE FROM webhook_attempts
WHERE id IN (SELECT id FROM webhook_attempts WHERE started_at < :cutoff LIMIT :limit)
"""
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
    nulled = await session.execute(
        _NULL_PAYLOADS, {"cutoff": moment - timedelta(days=payload_days), "limit": limit}
    )
    expired = await session.execute(_EXPIRE_DELIVERIES)
    purged = await session.execute(
        _PURGE_ATTEMPTS, {"cutoff": moment - timedelta(days=attempt_days), "limit": limit}
    )
    return Retention(
        payloads_nulled=nulled.rowcount,  # type: ignore[attr-defined]
        deliveries_expired=expired.rowcount,  # type: ignore[attr-defined]
        attempts_purged=purged.rowcount,  # type: ignore[attr-defined]
    )
