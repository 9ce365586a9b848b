"""Recovering failed messages of an endpoint over a time range, as batches with progress."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.errors import NotFound, Unprocessable
from shared.jobs import JobRequest, defer_job
from shared.principal import Principal
from shared.webhooks import endpoint_repository, sweep_repository
from shared.webhooks.jobs import kick_lanes
from shared.webhooks.models import RecoveryStatus, WebhookEndpoint, WebhookRecovery

RECOVER_JOB: Final = "webhooks.recover"
MAX_SPAN: Final = timedelta(days=30)
MAX_MESSAGES: Final = 50_000
BATCH: Final = 1_000


class RecoveryNotFound(NotFound):
    """No such recovery on this endpoint."""

    type_slug = "webhook-recovery-not-found"


class RecoveryRangeEmpty(Unprocessable):
    """`until` (now when left out) is not after `since`."""

    type_slug = "recovery-range-empty"


class RecoveryTooLarge(Unprocessable):
    """The range is too long or holds too many messages."""

    type_slug = "recovery-too-large"


async def get(
    session: AsyncSession, endpoint: WebhookEndpoint, recovery_id: uuid.UUID
) -> WebhookRecovery:
    """One recovery of the endpoint, or `RecoveryNotFound`."""
    recovery = await endpoint_repository.get_recovery(session, endpoint.id, recovery_id)
    if recovery is None:
        raise RecoveryNotFound(f"no recovery {recovery_id} on this endpoint")
    return recovery


def recover_job(recovery_id: uuid.UUID, batch: int) -> JobRequest:
    """The job of one batch of a recovery."""
    return JobRequest(
        RECOVER_JOB,
        job_id=f"recover:{recovery_id}:{batch}",
        kwargs={"recovery_id": str(recovery_id)},
    )


async def start(
    session: AsyncSession,
    principal: Principal,
    endpoint: WebhookEndpoint,
    *,
    since: datetime,
    until: datetime | None,
) -> WebhookRecovery:
    """Count the failed messages in range and queue the first batch (≤ 30 days, ≤ 50,000)."""
    end = until or datetime.now(UTC)
    if end <= since:
        raise RecoveryRangeEmpty(
            "until (now when left out) must be after since", pointer="/body/until"
        )
    if end - since > MAX_SPAN:
        raise RecoveryTooLarge("a recovery covers 30 days at most", pointer="/body/since")
    total = await sweep_repository.count_recoverable(session, endpoint.id, since, end)
    if total > MAX_MESSAGES:
        raise RecoveryTooLarge(
            f"{total} failed messages in range; recover at most {MAX_MESSAGES} at once"
        )
    recovery = WebhookRecovery(
        id=uuid.uuid4(),
        endpoint_id=endpoint.id,
        since=since,
        until=end,
        total=total,
        created_by_key_id=principal.key_id,
    )
    if not total:
        recovery.status = RecoveryStatus.DONE
        recovery.finished_at = datetime.now(UTC)
    session.add(recovery)
    await session.flush()
    if total:
        defer_job(session, recover_job(recovery.id, 0))
    await audit_service.record(
        session,
        principal,
        action="webhook_endpoint.recovery_started",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        changes={"since": since.isoformat(), "until": end.isoformat(), "total": total},
    )
    return recovery


async def run_batch(session: AsyncSession, recovery_id: uuid.UUID) -> int:
    """Put one batch back in line (the sweeper sends it), record progress, chain the next."""
    recovery = await session.get(WebhookRecovery, recovery_id, with_for_update=True)
    if recovery is None or recovery.status is RecoveryStatus.DONE:
        return 0
    moved = await sweep_repository.requeue_recoverable(
        session, recovery.endpoint_id, recovery.since, recovery.until, BATCH
    )
    recovery.done = min(recovery.total, recovery.done + moved)
    if moved < BATCH:
        recovery.status = RecoveryStatus.DONE
        recovery.finished_at = datetime.now(UTC)
    else:
        defer_job(session, recover_job(recovery.id, recovery.done))
    await kick_lanes(session, recovery.endpoint_id)
    return moved
