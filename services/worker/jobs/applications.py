"""Application jobs: screening (placeholder until the rules engine lands) and window expiry."""

import logging
from typing import Any

from services.worker.context import job_session
from shared.applications import submission
from shared.idempotency import service as idempotency_service

logger = logging.getLogger("tidi.worker")


async def score_application(ctx: dict[str, Any], application_id: str) -> str:  # noqa: ARG001
    """Screen a submitted application: not yet implemented, so the job is logged and skipped."""
    logger.info("scoring not available yet; skipped", extra={"application_id": application_id})
    return "skipped"


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
