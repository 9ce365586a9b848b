"""Eligibility jobs: the rescoring of a fund after a ruleset publication, batch by batch."""

import logging
import uuid
from typing import Any

from services.worker.context import WorkerContext, job_session
from services.worker.retries import retry_transient_errors
from shared.eligibility import rescoring
from shared.jobs import defer_job

logger = logging.getLogger("tidi.worker")


@retry_transient_errors
async def rescore_fund(
    ctx: WorkerContext,
    ruleset_version_id: str,
    after: str | None = None,
    batch_size: int = rescoring.BATCH_SIZE,
    shard: int = 0,
    shards: int = 1,
) -> dict[str, Any]:
    """Rescore one batch of one shard of a fund's applications under a published version.

    The batch and the enqueueing of the next one commit together: the next job is enqueued
    only once this batch is stored, under an id naming where it starts, so a retried or
    duplicated batch never forks the chain. Transient database errors are retried later.
    """
    version_id = uuid.UUID(ruleset_version_id)
    async with job_session(ctx) as session:
        result = await rescoring.rescore_batch(
            session,
            version_id,
            after=uuid.UUID(after) if after else None,
            shard=shard,
            shards=shards,
            batch_size=batch_size,
        )
        if result.next_after is not None:
            job = rescoring.rescore_job(version_id, result.next_after, shard=shard, shards=shards)
            job.kwargs["batch_size"] = batch_size
            defer_job(session, job)
    logger.info(
        "rescoring batch done",
        extra={
            "ruleset_version_id": ruleset_version_id,
            "assessed": result.assessed,
            "skipped": result.skipped,
        },
    )
    return {
        "assessed": result.assessed,
        "skipped": result.skipped,
        "next_after": str(result.next_after) if result.next_after else None,
    }
