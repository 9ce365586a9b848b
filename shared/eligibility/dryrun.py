"""Ruleset dry-runs in the background: a draft and the published version evaluated side by
side over the fund's submitted applications, batch by batch, nothing written but the result.

`start` stores the result resource (the draft's document as it is now, the baseline, how
many applications there are) and defers its first batch. Each batch (`run_batch`, one job)
locks the result, evaluates the applications after its cursor (batched contexts, as the
rescoring reads them), adds them to the running figures and moves the cursor, in one
transaction; the next batch is then queued under an id naming where it starts. A batch
run twice, or a worker killed mid-batch whose job arq runs again, finds the cursor where
the last committed batch left it: each application is counted once. A completed result is
kept `RETENTION` after completion, then purged (`purge_expired`, a cron).
"""

import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.eligibility import batch, batch_repository, repository
from shared.eligibility import service as scoring
from shared.eligibility.dryrun_models import DryRun, DryRunState
from shared.eligibility.dryrun_tally import Tally
from shared.eligibility.models import RulesetStatus, RulesetVersion
from shared.eligibility.rules import Ruleset, compile_ruleset
from shared.eligibility.ruleset_errors import (
    DryRunNotFound,
    RulesetNotDraft,
    RulesetVersionNotFound,
)
from shared.eligibility.ruleset_schemas import DryRunRead, DryRunReport
from shared.eligibility.rulesets import valid_definition
from shared.funds import service as fund_service
from shared.funds.models import Fund
from shared.jobs import JobRequest, defer_job
from shared.principal import Principal

logger = logging.getLogger("tidi.eligibility")
DRY_RUN_JOB = "eligibility.dry_run"
BATCH_SIZE = 1000
"""Applications per batch (two evaluations each): about half a second of CPU."""
RETENTION = timedelta(days=7)
"""How long a result is kept after it completes (or, unfinished, after it started)."""
_CANDIDATES: dict[uuid.UUID, Ruleset] = {}
"""The draft document of each dry-run in progress, parsed once per worker process."""


def dry_run_job(dry_run_id: uuid.UUID, after: uuid.UUID | None) -> JobRequest:
    """The job of the batch starting after `after`; its id names the run and the start."""
    start = str(after) if after is not None else "start"
    return JobRequest(
        DRY_RUN_JOB,
        job_id=f"dry-run:{dry_run_id}:{start}",
        kwargs={"dry_run_id": str(dry_run_id), "after": str(after) if after else None},
    )


async def start(
    session: AsyncSession, principal: Principal, fund_code: str, number: int
) -> DryRunRead:
    """Store a dry-run of draft `number` against the fund's published version; its first
    batch runs once the caller commits."""
    fund = await fund_service.get(session, fund_code)
    draft = await repository.get_version(session, fund.id, number)
    if draft is None:
        raise RulesetVersionNotFound(f"{fund.code} has no ruleset version {number}")
    if draft.status is not RulesetStatus.DRAFT:
        raise RulesetNotDraft(f"version {number} is published: dry-run a draft")
    candidate = valid_definition(draft)
    baseline = await repository.latest_published(session, fund.id)
    run = DryRun(
        id=uuid.uuid4(),
        fund_id=fund.id,
        ruleset_version_id=draft.id,
        baseline_version_id=baseline.id if baseline is not None else None,
        definition=candidate.model_dump(mode="json"),
        state=DryRunState.RUNNING,
        total=await batch_repository.count_submitted(session, fund.id),
        evaluated=0,
        failed=0,
        cursor=None,
        tally=Tally().figures(),
        items=[],
        created_by_key_id=principal.key_id,
        expires_at=datetime.now(UTC) + RETENTION,
    )
    session.add(run)
    await session.flush()
    await session.refresh(run)
    defer_job(session, dry_run_job(run.id, None))
    return _read(run, fund, number, baseline)


async def get(
    session: AsyncSession, fund_code: str, number: int, dry_run_id: uuid.UUID
) -> DryRunRead:
    """A dry-run of draft `number` of the fund, unexpired, or `DryRunNotFound`."""
    fund = await fund_service.get(session, fund_code)
    found = await batch_repository.get_dry_run(session, fund.id, number, dry_run_id)
    if found is None:
        raise DryRunNotFound(f"no dry-run {dry_run_id} of {fund.code} version {number}")
    run, baseline = found
    return _read(run, fund, number, baseline)


async def run_batch(
    session: AsyncSession, dry_run_id: uuid.UUID, after: uuid.UUID | None
) -> uuid.UUID | None:
    """Evaluate the batch of the dry-run starting after `after`; where the next one starts
    (None: the run is over, or this batch was already counted by an earlier run of it)."""
    run = await batch_repository.lock_dry_run(session, dry_run_id)
    if run is None or run.state is not DryRunState.RUNNING or run.cursor != after:
        return None
    fund = await session.get_one(Fund, run.fund_id)
    baseline = (
        await session.get(RulesetVersion, run.baseline_version_id)
        if run.baseline_version_id is not None
        else None
    )
    rows = await batch_repository.submitted_rows(
        session, run.fund_id, after=after, before=None, limit=BATCH_SIZE
    )
    facts = await batch.load_facts(session, fund, rows)
    tally = Tally.resume(run.tally, run.items)
    _compare(tally, rows, facts, _candidate(run), baseline)
    run.tally, run.items = tally.figures(), tally.kept_items()
    run.evaluated, run.failed = tally.evaluated, tally.failed
    if len(rows) < BATCH_SIZE:
        now = datetime.now(UTC)
        run.state, run.completed_at, run.expires_at = DryRunState.COMPLETED, now, now + RETENTION
        _CANDIDATES.pop(run.id, None)
        return None
    run.cursor = rows[-1]["id"]
    return run.cursor


async def purge_expired(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Delete the results past their expiry; how many."""
    return await batch_repository.delete_expired_dry_runs(session, now or datetime.now(UTC))


def _compare(
    tally: Tally,
    rows: Sequence[batch.Row],
    facts: batch.BatchFacts,
    candidate: Ruleset,
    baseline: RulesetVersion | None,
) -> None:
    """Both rulesets on each application's one context (the differences are the rules')."""
    after_rules = compile_ruleset(candidate)
    before_rules = compile_ruleset(scoring.ruleset_of(baseline)) if baseline else None
    for row in rows:
        try:
            context = batch.context_of(row, facts)
            outcome = after_rules.evaluate(context)
            before = before_rules.evaluate(context) if before_rules is not None else None
        except Exception:
            tally.failed += 1
            continue
        tally.add(row["id"], row["status"], before, outcome)


def _candidate(run: DryRun) -> Ruleset:
    ruleset = _CANDIDATES.get(run.id)
    if ruleset is None:
        ruleset = _CANDIDATES[run.id] = Ruleset.model_validate(run.definition)
    return ruleset


def _read(run: DryRun, fund: Fund, number: int, baseline: RulesetVersion | None) -> DryRunRead:
    report: DryRunReport | None = None
    if run.state is DryRunState.COMPLETED:
        tally = Tally.resume(run.tally, run.items)
        report = tally.report(fund.code, number, baseline.version if baseline else None)
    fields: dict[str, Any] = {
        "id": run.id,
        "fund_code": fund.code,
        "version": number,
        "baseline_version": baseline.version if baseline is not None else None,
        "state": run.state,
        "done": run.evaluated + run.failed,
        "total": max(run.total, run.evaluated + run.failed),
        "created_at": run.created_at,
        "completed_at": run.completed_at,
        "expires_at": run.expires_at,
        "report": report,
    }
    return DryRunRead.model_validate(fields)
