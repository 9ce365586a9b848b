"""Webhook jobs: deliver and probe (webhook queues), sweeper, retention and recovery crons."""

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from services.worker.context import WorkerContext, job_session
from shared.jobs import JobRequest, enqueue_logged
from shared.webhooks import recovery
from shared.webhooks.deliverer import Deliverer
from shared.webhooks.policy import DeliveryPolicy
from shared.webhooks.secrets_box import SecretBox
from shared.webhooks.sender import Sender
from shared.webhooks.sweeper import apply_retention, sweep
from shared.webhooks.transport import create_client

logger = logging.getLogger("tidi.worker")


def build_deliverer(ctx: WorkerContext) -> Deliverer:
    """The process's deliverer: one HTTP client, one lane registry, on the worker's engine."""
    settings = ctx["settings"]
    policy = DeliveryPolicy.from_settings(settings)
    client = create_client(
        allow_hosts=policy.allow_hosts,
        allow_http_hosts=policy.allow_http_hosts,
        connect_timeout=policy.connect_timeout,
        timeout=float(settings.WEBHOOK_DEFAULT_TIMEOUT_SECONDS),
    )

    async def enqueue(jobs: Sequence[JobRequest]) -> None:
        await _enqueue(ctx, jobs)

    sender = Sender(client, SecretBox.from_settings(settings), policy.connect_timeout)
    return Deliverer(ctx["engine"], sender, policy, enqueue)


async def _enqueue(ctx: WorkerContext, jobs: Sequence[JobRequest]) -> int:
    return await enqueue_logged(ctx["redis"], jobs, base_queue=ctx["settings"].WORKER_QUEUE_NAME)


async def deliver(ctx: WorkerContext, delivery_id: str, endpoint_id: str, attempt: int) -> bool:
    """Start a lane for one delivery, which then drains the endpoint's due backlog; the job's
    slot is free at once (see `Deliverer.start`)."""
    return await ctx["deliverer"].start(uuid.UUID(delivery_id), uuid.UUID(endpoint_id), attempt)


async def probe(ctx: WorkerContext, endpoint_id: str) -> bool:
    """Start the probe of an endpoint whose circuit is open (see `Deliverer.start_probe`)."""
    return await ctx["deliverer"].start_probe(uuid.UUID(endpoint_id))


async def sweep_deliveries(ctx: WorkerContext) -> int:
    """Re-enqueue stranded deliveries and due probes; disable long-failing endpoints."""
    policy = DeliveryPolicy.from_settings(ctx["settings"])
    async with job_session(ctx) as session:
        result = await sweep(session, policy, now=datetime.now(UTC))
    enqueued = await _enqueue(ctx, result.jobs) if result.jobs else 0
    if result.jobs:
        logger.info("webhook sweeper re-enqueued", extra={"count": len(result.jobs)})
    return enqueued


async def retention(ctx: WorkerContext) -> dict[str, int]:
    """Null old payloads (30 days by default) and purge old attempt logs (90 days)."""
    settings = ctx["settings"]
    async with job_session(ctx) as session:
        done = await apply_retention(
            session,
            payload_days=settings.EVENT_PAYLOAD_RETENTION_DAYS,
            attempt_days=settings.WEBHOOK_ATTEMPT_RETENTION_DAYS,
        )
    return {
        "payloads_nulled": done.payloads_nulled,
        "deliveries_expired": done.deliveries_expired,
        "attempts_purged": done.attempts_purged,
    }


async def recover(ctx: WorkerContext, recovery_id: str) -> int:
    """Put one batch of a recovery's failed messages back in line; chain the next batch."""
    async with job_session(ctx) as session:
        moved = await recovery.run_batch(session, uuid.UUID(recovery_id))
    return moved


async def startup(ctx: WorkerContext) -> None:
    """Per-process resources of the webhook workers."""
    ctx["deliverer"] = build_deliverer(ctx)


async def shutdown(ctx: WorkerContext) -> None:
    """Close the shared HTTP client."""
    deliverer = ctx.get("deliverer")
    if deliverer is not None:
        await deliverer.aclose()
