"""Eligibility jobs: the rescoring of a fund after a ruleset publication and the dry-runs of
drafts, batch by batch, and the purge of expired dry-run results."""

import logging
import uuid
from typing import Any

from services.worker.context import WorkerContext, job_session
from services.worker.retries import retry_transient_errors
from shared.eligibility import dryrun, rescoring
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


@retry_transient_errors
async def dry_run(ctx: WorkerContext, dry_run_id: str, after: str | None = None) -> str | None:
    """Evaluate one batch of a ruleset dry-run; the next batch is queued once it commits.

    A rerun of a batch (a worker killed mid-batch, a duplicate job) finds the result's cursor
    past or at its start: nothing is counted twice.
    """
    run_id = uuid.UUID(dry_run_id)
    async with job_session(ctx) as session:
        cursor = await dryrun.run_batch(session, run_id, uuid.UUID(after) if after else None)
        if cursor is not None:
            defer_job(session, dryrun.dry_run_job(run_id, cursor))
    return str(cursor) if cursor is not None else None


async def purge_dry_runs(ctx: WorkerContext) -> int:
    """Delete the dry-run results past their expiry."""
    async with job_session(ctx) as session:
        return await dryrun.purge_expired(session)
