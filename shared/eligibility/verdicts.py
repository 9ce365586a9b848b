"""A batch's verdicts, evaluated in memory and stored set-based.

What `service.screen` writes for one application, written here for a whole batch in a few
statements: the assessments in one; the status moves (screening, then the outcome, as two
audited moves: the version goes up by two) with their `application.scored` events and
webhook deliveries in one (`shared.outbox.service.record_changes`); and, for applications
past pre-selection (`RECORD_ONLY`), whose status is not the engine's to change, an
`application.rescored` audit entry beside their new assessment, in one more. An engine
failure moves the application to `screening_error` (past pre-selection: nothing is written),
as one by one.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications.enums import ApplicationStatus as A
from shared.applications.models import Application
from shared.applications.states import APPLICATION_MACHINE, RESCORABLE
from shared.applications.submission import APPLICATION_URL
from shared.audit.service import entry_values
from shared.db.engine import json_text
from shared.eligibility import batch_repository
from shared.eligibility.batch import BatchFacts, Row, context_of
from shared.eligibility.models import AssessmentOutcome, RulesetVersion
from shared.eligibility.rules import (
    CompiledRuleset,
    Outcome,
    Ruleset,
    compile_ruleset,
    evaluate_ruleset,
)
from shared.eligibility.rules.results import stored_results
from shared.eligibility.service import MARK_ACTIONS, points, ruleset_of
from shared.events.catalogue import ApplicationScoredData, EventType
from shared.events.service import NewEvent, new_event
from shared.outbox.service import RowChange, record_changes
from shared.principal import SYSTEM
from shared.states import Actor

logger = logging.getLogger("tidi.eligibility")
_APPLICATIONS: Table = Application.__table__  # type: ignore[assignment]

RECORD_ONLY = (A.PRESELECTED, A.UNDER_REVIEW, A.INFORMATION_REQUESTED)
"""Still under consideration but past pre-selection: a new assessment, the status stays."""

RESCORABLE_BY_FUND = (*(s for s in RESCORABLE if s is not A.SUBMITTED), *RECORD_ONLY)
"""What a fund rescoring visits; `submitted` ones are left to their own scoring job."""


@dataclass(frozen=True, slots=True)
class Evaluated:
    """One application of a batch and the engine's outcome, or the error it raised."""

    row: Row
    outcome: Outcome | None
    error: Exception | None = None


def evaluate_rows(
    ruleset: Ruleset, rows: Sequence[Row], facts: BatchFacts, *, now: datetime | None = None
) -> list[Evaluated]:
    """Each application's outcome under `ruleset` (an engine failure is kept, and logged)."""
    evaluated = []
    for row in rows:
        try:
            outcome = evaluate_ruleset(ruleset, context_of(row, facts, now=now))
        except Exception as exc:
            logger.exception("scoring failed", extra={"application_id": str(row["id"])})
            evaluated.append(Evaluated(row, None, exc))
        else:
            evaluated.append(Evaluated(row, outcome))
    return evaluated


async def store(
    session: AsyncSession, version: RulesetVersion, facts: BatchFacts, batch: Sequence[Evaluated]
) -> tuple[int, int]:
    """Write the batch's assessments, status moves, audit entries and events; (assessed,
    skipped). An application assessed meanwhile under the same version and submission (by
    its own scoring job) is skipped whole.
    """
    if not batch:
        return 0, 0
    assessment_ids = {item.row["id"]: uuid.uuid4() for item in batch if item.outcome is not None}
    compiled = compile_ruleset(ruleset_of(version))
    written = await batch_repository.insert_assessments(
        session, version.id, _assessment_columns(compiled, batch, assessment_ids)
    )
    changes: list[RowChange] = []
    entries: list[dict[str, Any]] = []
    for item in batch:
        application_id = item.row["id"]
        if item.outcome is not None and application_id not in written:
            continue
        if item.row["status"] in RECORD_ONLY:
            if item.outcome is not None:
                entries.append(_rescored_entry(item, version, assessment_ids[application_id]))
        else:
            changes.append(_screening(item, version, facts, assessment_ids.get(application_id)))
    await record_changes(session, _APPLICATIONS, changes, steps=2)
    await batch_repository.insert_audit_entries(session, entries)
    return len(written), len(batch) - len(written)


def _assessment_columns(
    compiled: CompiledRuleset, batch: Sequence[Evaluated], ids: dict[uuid.UUID, uuid.UUID]
) -> dict[str, list[Any]]:
    """The new assessments column by column (`service.new_assessment`'s values)."""
    columns: dict[str, list[Any]] = {
        name: []
        for name in (
            "id",
            "application_id",
            "submission_no",
            "outcome",
            "total_points",
            "max_points",
            "results",
            "missing_inputs",
        )
    }
    for item in batch:
        outcome = item.outcome
        if outcome is None:
            continue
        columns["id"].append(ids[item.row["id"]])
        columns["application_id"].append(item.row["id"])
        columns["submission_no"].append(item.row["submission_no"])
        columns["outcome"].append(outcome.verdict.value)
        columns["total_points"].append(points(outcome.total))
        columns["max_points"].append(outcome.max_total)
        columns["results"].append(json_text(stored_results(compiled, outcome)))
        columns["missing_inputs"].append(json_text(list(outcome.missing)))
    return columns


def _rescored_entry(
    item: Evaluated, version: RulesetVersion, assessment_id: uuid.UUID
) -> dict[str, Any]:
    """The audit entry of a new assessment past pre-selection (no status move)."""
    assert item.outcome is not None  # noqa: S101 - only assessed applications get one
    return entry_values(
        SYSTEM,
        action="application.rescored",
        subject_type="application",
        subject_id=item.row["id"],
        changes={
            "assessment_id": str(assessment_id),
            "ruleset_version": version.version,
            "outcome": item.outcome.verdict.value,
        },
    )


def _screening(
    item: Evaluated,
    version: RulesetVersion,
    facts: BatchFacts,
    assessment_id: uuid.UUID | None,
) -> RowChange:
    """The two moves of `service.screen` (to screening, then to the outcome or to
    screening_error), their audit entries and, for an outcome, `application.scored`."""
    row, outcome = item.row, item.outcome
    before: A = row["status"]
    screening = APPLICATION_MACHINE.check(before, "screen", Actor.SYSTEM).target
    entries = [_move_entry(row, "screen", before, screening, {"ruleset_version": version.version})]
    if outcome is None:
        target = APPLICATION_MACHINE.check(screening, "mark_screening_error", Actor.SYSTEM).target
        reason = f"{type(item.error).__name__}: {item.error}"[:2000]
        changes: dict[str, Any] = {"ruleset_version": version.version}
        entries.append(_move_entry(row, "mark_screening_error", screening, target, changes, reason))
        return RowChange(row["id"], row["version"], {"status": target}, entries)
    action = MARK_ACTIONS[AssessmentOutcome(outcome.verdict.value)]
    target = APPLICATION_MACHINE.check(screening, action, Actor.SYSTEM).target
    changes = {"assessment_id": str(assessment_id), "ruleset_version": version.version}
    entries.append(_move_entry(row, action, screening, target, changes))
    event = _scored(row, facts, outcome, version, target, before)
    return RowChange(row["id"], row["version"], {"status": target}, entries, event)


def _move_entry(
    row: Row,
    action: str,
    previous: A,
    target: A,
    changes: dict[str, Any],
    reason: str | None = None,
) -> dict[str, Any]:
    return entry_values(
        SYSTEM,
        action=f"application.{action}",
        subject_type="application",
        subject_id=row["id"],
        changes={"status": {"from": previous.value, "to": target.value}, **changes},
        reason=reason,
    )


def _scored(
    row: Row,
    facts: BatchFacts,
    outcome: Outcome,
    version: RulesetVersion,
    status: A,
    previous: A,
) -> NewEvent:
    """`application.scored` for the move to `status`, addressed as `application_event`
    addresses it; its sequence and instant are stamped by the statement that writes it."""
    sequence = row["version"] + 2
    data = ApplicationScoredData(
        id=row["id"],
        url=APPLICATION_URL.format(id=row["id"]),
        status=status.value,
        previous_status=previous.value,
        occurred_at=row["updated_at"],
        sequence=sequence,
        project_id=row["project_id"],
        fund_code=facts.fund.code,
        territory_id=row["territory_id"],
        region_code=row["region_code"],
        requested_amount_cents=row["requested_amount_cents"],
        eligible_expense_base_cents=row["eligible_expense_base_cents"],
        outcome=outcome.verdict.value,
        total_points=float(points(outcome.total)),
        ruleset_version=version.version,
        missing_input_count=len(outcome.missing),
    )
    return new_event(
        EventType.APPLICATION_SCORED,
        data,
        subject_type="application",
        subject_id=row["id"],
        sequence=sequence,
        fund_id=row["fund_id"],
        operator_id=row["operator_id"],
        territory_id=row["territory_id"],
        deciding_region=row["region_code"] if facts.fund.regional_preselection else None,
    )
