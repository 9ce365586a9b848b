"""Application jobs: scoring, the relay of unscored submissions, and window expiry."""

import logging
import uuid
from datetime import timedelta
from typing import Any

from arq import Retry
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from services.worker.context import job_session
from shared.applications import submission
from shared.db.engine import open_connections
from shared.eligibility import service as eligibility_service
from shared.idempotency import service as idempotency_service

logger = logging.getLogger("tidi.worker")
UNSCORED_GRACE = timedelta(seconds=30)
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 300
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "08000", "08003", "08006"})


def is_transient(exc: BaseException) -> bool:
    """Whether a database error may succeed on a later try (lost connection, deadlock…)."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return code in _TRANSIENT_SQLSTATES
    return isinstance(exc, (ConnectionError, TimeoutError))


def retry_delay(job_try: int) -> int:
    """Exponential backoff in seconds for the given try (1-based), capped."""
    return int(min(RETRY_BASE_SECONDS * 2 ** max(job_try - 1, 0), RETRY_MAX_SECONDS))


async def score_application(ctx: dict[str, Any], application_id: str) -> str:
    """Assess a submitted application under its fund's current ruleset.

    Returns the verdict, or `skipped` when nothing was assessed; transient database
    errors are retried later (up to the function's `max_tries`).
    """
    try:
        async with job_session(ctx) as session:
            assessment = await eligibility_service.score(session, uuid.UUID(application_id))
            outcome = assessment.outcome.value if assessment is not None else "skipped"
    except Exception as exc:
        if is_transient(exc):
            job_try = int(ctx.get("job_try", 1))
            logger.warning(
                "scoring will be retried",
                extra={"application_id": application_id, "job_try": job_try},
            )
            raise Retry(defer=retry_delay(job_try)) from exc
        raise
    logger.info("application scored", extra={"application_id": application_id, "outcome": outcome})
    return outcome


async def warm_up(ctx: dict[str, Any], *, connections: int) -> None:
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


async def relay_unscored(ctx: dict[str, Any]) -> int:
    """Re-enqueue the scoring of submissions still waiting (crash after commit, lost Redis)."""
    async with job_session(ctx) as session:
        jobs = await eligibility_service.unscored_jobs(session, older_than=UNSCORED_GRACE)
    enqueued = 0
    for job in jobs:
        # None: arq still holds this job id (queued, running, or its record not expired).
        if await ctx["redis"].enqueue_job(job.name, _job_id=job.job_id, **job.kwargs):
            enqueued += 1
    if enqueued:
        logger.warning("unscored applications re-enqueued", extra={"count": enqueued})
    return enqueued


async def expire_drafts(ctx: dict[str, Any]) -> int:
    """Move drafts of funds whose window closed to `expired` (with audit and event)."""
    async with job_session(ctx) as session:
        count = await submission.expire_due_drafts(session)
    if count:
        logger.info("drafts expired", extra={"count": count})
    return count


async def purge_idempotency_records(ctx: dict[str, Any]) -> int:
    """Forget Idempotency-Key records older than 24 hours."""
    async with job_session(ctx) as session:
        return await idempotency_service.purge_expired(session)
