"""Application jobs: scoring, the relay of unscored submissions, window expiry, and the
announcement of overdue information requests."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

from services.worker.context import WorkerContext, job_session
from services.worker.retries import retry_transient_errors
from shared.applications import submission
from shared.db.engine import open_connections
from shared.decisions import service as decisions
from shared.eligibility import service as eligibility_service
from shared.idempotency import service as idempotency_service
from shared.jobs import enqueue_logged

logger = logging.getLogger("tidi.worker")
UNSCORED_GRACE = timedelta(seconds=30)


@retry_transient_errors
async def score_application(ctx: WorkerContext, application_id: str) -> str:
    """Assess a submitted application under its fund's current ruleset.

    Returns the verdict, or `skipped` when nothing was assessed; transient database
    errors are retried later (up to the function's `max_tries`).
    """
    async with job_session(ctx) as session:
        assessment = await eligibility_service.score(session, uuid.UUID(application_id))
        outcome = assessment.outcome.value if assessment is not None else "skipped"
    logger.info("application scored", extra={"application_id": application_id, "outcome": outcome})
    return outcome


async def warm_up(ctx: WorkerContext, *, connections: int) -> None:
    """Before the first job: open the pool's connections and compile the current rulesets.

    Best effort: a failure is logged and the jobs pay those costs themselves.
    """
    try:
        await open_connections(ctx["engine"], connections)
        async with job_session(ctx) as session:
            ready = await eligibility_service.warm_up(session)
    except Exception:
        logger.warning("worker warm-up failed", exc_info=True)
        return
    logger.info("worker warmed up", extra={"rulesets": ready, "connections": connections})


async def relay_unscored(ctx: WorkerContext) -> int:
    """Re-enqueue the scoring of submissions still waiting (crash after commit, lost Redis)."""
    async with job_session(ctx) as session:
        jobs = await eligibility_service.unscored_jobs(session, older_than=UNSCORED_GRACE)
    # Not counted: the ids arq still holds (queued, running, or their record not expired).
    enqueued = await enqueue_logged(
        ctx["redis"], jobs, base_queue=ctx["settings"].WORKER_QUEUE_NAME
    )
    if enqueued:
        logger.warning("unscored applications re-enqueued", extra={"count": enqueued})
    return enqueued


async def expire_drafts(ctx: WorkerContext) -> int:
    """Move drafts of funds whose window closed to `expired` (with audit and event)."""
    async with job_session(ctx) as session:
        count = await submission.expire_due_drafts(session)
    if count:
        logger.info("drafts expired", extra={"count": count})
    return count


async def announce_overdue_information(ctx: WorkerContext) -> int:
    """Announce the information requests whose due date has passed unanswered (once each)."""
    async with job_session(ctx) as session:
        count = await decisions.announce_overdue(session, today=datetime.now(UTC).date())
    if count:
        logger.info("overdue information requests announced", extra={"count": count})
    return count


async def purge_idempotency_records(ctx: WorkerContext) -> int:
    """Forget Idempotency-Key records older than 24 hours."""
    async with job_session(ctx) as session:
        return await idempotency_service.purge_expired(session)
