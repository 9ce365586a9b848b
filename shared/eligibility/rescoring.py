"""Rescoring a fund's applications after a publication, in batches, and its progress.

Each batch runs in its own transaction (one arq job): it locks the next applications by id
that have no assessment under the version for their current submission, assesses them
set-based (`batch` reads, `verdicts` writes) and names the batch that follows. The id
space is cut into `SHARDS` ranges, each its own chain of batches, so one worker overlaps
their database waits. The assessments' unique key
(application × version × submission) makes a batch run twice harmless. Progress is
counted from the assessments themselves: nothing else is stored.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications.enums import ApplicationStatus as A
from shared.applications.errors import ApplicationNotFound
from shared.applications.models import Application
from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.eligibility import batch, batch_repository, repository, verdicts
from shared.eligibility import service as scoring
from shared.eligibility.errors import RulesetNotFound
from shared.eligibility.models import Assessment, RulesetStatus, RulesetVersion
from shared.eligibility.ruleset_errors import (
    NotInScreeningError,
    RulesetNotPublished,
    RulesetSuperseded,
    RulesetVersionNotFound,
)
from shared.eligibility.ruleset_schemas import RescoreProgress, RescoreStarted
from shared.eligibility.verdicts import RESCORABLE_BY_FUND
from shared.funds import service as fund_service
from shared.funds.models import Fund
from shared.jobs import JobRequest, defer_job
from shared.principal import Principal

logger = logging.getLogger("tidi.eligibility")
RESCORE_JOB = "eligibility.rescore_fund"
BATCH_SIZE = 500
"""Applications per batch: a batch must stay far below the worker's 60 s job timeout (one
takes about a quarter of a second of CPU), and its rows in memory stay a few megabytes."""

SHARDS = 4
"""Batch chains run side by side over disjoint id ranges: while one computes, the others'
statements run in PostgreSQL (within the worker's pool of five connections)."""
_SPACE = 2**128


@dataclass(frozen=True)
class BatchResult:
    """What one batch did, and where the next one starts (None: the rescoring is over)."""

    assessed: int
    skipped: int
    next_after: uuid.UUID | None


def rescore_jobs(version_id: uuid.UUID, *, tag: str = "") -> list[JobRequest]:
    """The first batch of every shard of a rescoring."""
    return [rescore_job(version_id, shard=shard, tag=tag) for shard in range(SHARDS)]


def rescore_job(
    version_id: uuid.UUID,
    after: uuid.UUID | None = None,
    *,
    shard: int = 0,
    shards: int = SHARDS,
    tag: str = "",
) -> JobRequest:
    """The job of one batch; its id names the version, the shard and where it starts."""
    start = str(after) if after is not None else "start"
    return JobRequest(
        RESCORE_JOB,
        job_id=f"rescore:{version_id}:{shard}/{shards}:{start}{tag}",
        kwargs={
            "ruleset_version_id": str(version_id),
            "after": str(after) if after else None,
            "shard": shard,
            "shards": shards,
        },
    )


def shard_bounds(shard: int, shards: int) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """The id range [low, high) of one shard of the UUID space (None: unbounded)."""
    if not 0 <= shard < shards:
        raise ValueError(f"shard {shard} is not in 0..{shards - 1}")
    low = uuid.UUID(int=shard * _SPACE // shards) if shard else None
    high = uuid.UUID(int=(shard + 1) * _SPACE // shards) if shard < shards - 1 else None
    return low, high


async def rescore_batch(
    session: AsyncSession,
    version_id: uuid.UUID,
    *,
    after: uuid.UUID | None = None,
    shard: int = 0,
    shards: int = 1,
    batch_size: int = BATCH_SIZE,
    now: datetime | None = None,
) -> BatchResult:
    """Assess the next batch of one shard of the fund's applications under a published version.

    The batch is read in a few queries (`batch`), evaluated in memory and written in a few
    statements (`verdicts`). Stops (next_after None) when the batch is the shard's last, or
    when the version is no longer the fund's latest published one: the newer version's own
    rescoring takes over.
    """
    version = await session.get(RulesetVersion, version_id)
    if version is None or version.status is not RulesetStatus.PUBLISHED:
        logger.warning("rescoring skipped: no such published version", extra=_ids(version_id))
        return BatchResult(0, 0, None)
    latest = await repository.latest_published(session, version.fund_id)
    if latest is None or latest.id != version.id:
        logger.info("rescoring stopped: superseded", extra=_ids(version_id))
        return BatchResult(0, 0, None)
    low, high = shard_bounds(shard, shards)
    if after is not None:
        low = after
    rows, last = await batch_repository.rescore_rows(
        session,
        version,
        RESCORABLE_BY_FUND,
        after=low,
        inclusive=after is None,
        before=high,
        limit=batch_size,
    )
    fund = await session.get_one(Fund, version.fund_id)
    facts = await batch.load_facts(session, fund, rows, now=now)
    evaluated = verdicts.evaluate_rows(scoring.ruleset_of(version), rows, facts, now=now)
    assessed, skipped = await verdicts.store(session, version, facts, evaluated)
    return BatchResult(assessed, skipped, last)


async def progress(session: AsyncSession, fund_code: str, number: int) -> RescoreProgress:
    """The rescoring's progress under a published version, counted in PostgreSQL."""
    fund = await fund_service.get(session, fund_code)
    _, report = await _progress(session, fund.id, fund.code, number)
    return report


async def restart(session: AsyncSession, fund_code: str, number: int) -> RescoreStarted:
    """Queue the rescoring under the fund's current version again (assessed ones are skipped).

    The job id is fresh, so a restart is never swallowed by a finished chain's record.
    """
    fund = await fund_service.get(session, fund_code)
    version, report = await _progress(session, fund.id, fund.code, number)
    if report.state == "superseded":
        raise RulesetSuperseded(
            f"a higher version of {fund.code} is published: rescore under that one"
        )
    tag = f":{uuid.uuid4().hex[:12]}"
    jobs = rescore_jobs(version.id, tag=tag)
    for job in jobs:
        defer_job(session, job)
    return RescoreStarted(
        fund_code=fund.code, ruleset_version=number, job_ids=[job.job_id for job in jobs]
    )


async def _progress(
    session: AsyncSession, fund_id: uuid.UUID, fund_code: str, number: int
) -> tuple[RulesetVersion, RescoreProgress]:
    version = await repository.get_version(session, fund_id, number)
    if version is None:
        raise RulesetVersionNotFound(f"{fund_code} has no ruleset version {number}")
    if version.status is not RulesetStatus.PUBLISHED:
        raise RulesetNotPublished(f"version {number} is a draft: nothing is rescored under it")
    total, done, failed = await repository.rescore_counts(session, version, RESCORABLE_BY_FUND)
    remaining = total - done - failed
    latest = await repository.latest_published(session, fund_id)
    if remaining == 0:
        state = "completed"
    elif latest is not None and latest.id != version.id:
        state = "superseded"
    else:
        state = "in_progress"
    return version, RescoreProgress(
        fund_code=fund_code,
        ruleset_version=number,
        state=state,
        total=total,
        done=done,
        failed=failed,
        remaining=remaining,
    )


async def rescore_application(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    *,
    if_match: int | None,
    now: datetime | None = None,
) -> tuple[Application, Assessment | None]:
    """Rescore one application left in screening_error, under its fund's current ruleset."""
    application = await repository.lock_application(session, application_id)
    if application is None:
        raise ApplicationNotFound(f"no application with id {application_id}")
    check_version(application.version, if_match)
    if application.status is not A.SCREENING_ERROR:
        raise NotInScreeningError(
            f"the application is {application.status.value}; only one in screening_error "
            "is rescored on request"
        )
    rules = await scoring.current_rules(session, application.fund_id)
    if rules is None:
        raise RulesetNotFound(f"{application.fund.code} has no published ruleset")
    await audit_service.record(
        session,
        principal,
        action="application.rescore_requested",
        subject_type="application",
        subject_id=application.id,
        changes={"ruleset_version": rules.version},
    )
    assessment = await scoring.screen(session, application, rules, now=now)
    return application, assessment


def _ids(version_id: uuid.UUID) -> dict[str, str]:
    return {"ruleset_version_id": str(version_id)}
