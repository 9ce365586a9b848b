"""Rulesets per fund and the scoring of submitted applications.

`score` runs in the caller's transaction: status moves, the immutable assessment, the
audit entries and the `application.scored` outbox event commit together or not at all.
"""

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.applications.states import APPLICATION_MACHINE, RESCORABLE
from shared.applications.submission import application_event, event_fields, score_job
from shared.audit import service as audit_service
from shared.eligibility import facts, repository
from shared.eligibility.errors import RulesetPublished
from shared.eligibility.models import Assessment, AssessmentOutcome, RulesetStatus, RulesetVersion
from shared.eligibility.rules import (
    Outcome,
    Ruleset,
    compile_ruleset,
    evaluate_ruleset,
)
from shared.eligibility.rules.results import stored_results
from shared.eligibility.rules.rulesets import SHIPPED_RULESETS
from shared.events.catalogue import ApplicationScoredData, EventType
from shared.events.service import NewEvent
from shared.funds.models import Fund
from shared.jobs import JobRequest
from shared.outbox.service import record_change
from shared.principal import SYSTEM
from shared.states import Actor
from shared.zonings import facts as zoning_facts

logger = logging.getLogger("tidi.eligibility")
_PUBLISHED: dict[uuid.UUID, Ruleset] = {}
"""Published versions never change, so their parsed rulesets are kept by version id."""
_PUBLISHED_CACHE_SIZE = 64
_CENT = Decimal("0.01")
MARK_ACTIONS = {
    AssessmentOutcome.ELIGIBLE: "mark_eligible",
    AssessmentOutcome.INELIGIBLE: "mark_ineligible",
    AssessmentOutcome.UNDETERMINED: "mark_undetermined",
}


async def seed_rulesets(session: AsyncSession) -> int:
    """Store each shipped ruleset as a published version of its fund, if missing.

    Funds that do not exist yet are skipped; existing versions are never touched.
    Returns how many versions were created.
    """
    created = 0
    for (fund_code, version), ruleset in SHIPPED_RULESETS.items():
        fund_id = await session.scalar(select(Fund.id).where(Fund.code == fund_code))
        if fund_id is None:
            continue
        existing = await session.scalar(
            select(RulesetVersion.id).where(
                RulesetVersion.fund_id == fund_id, RulesetVersion.version == version
            )
        )
        if existing is not None:
            continue
        session.add(
            RulesetVersion(
                id=uuid.uuid4(),
                fund_id=fund_id,
                version=version,
                status=RulesetStatus.PUBLISHED,
                definition=ruleset.model_dump(mode="json"),
                published_at=datetime.now(UTC),
            )
        )
        created += 1
    await session.flush()
    return created


async def warm_up(session: AsyncSession) -> int:
    """Parse and compile every fund's current ruleset, so first scorings do not wait for it.

    Returns:
        The number of rulesets made ready.
    """
    versions = await repository.current_published(session)
    for version in versions:
        compile_ruleset(ruleset_of(version))
    return len(versions)


def ruleset_of(version: RulesetVersion) -> Ruleset:
    """The validated ruleset stored in a version (published ones are parsed once)."""
    if version.status is not RulesetStatus.PUBLISHED:
        return Ruleset.model_validate(version.definition)
    ruleset = _PUBLISHED.get(version.id)
    if ruleset is None:
        ruleset = Ruleset.model_validate(version.definition)
        if len(_PUBLISHED) >= _PUBLISHED_CACHE_SIZE:
            _PUBLISHED.pop(next(iter(_PUBLISHED)))
        _PUBLISHED[version.id] = ruleset
    return ruleset


@dataclass(frozen=True)
class CurrentRules:
    """A fund's current ruleset: its latest published version's id, number and rules."""

    version_id: uuid.UUID
    version: int
    ruleset: Ruleset

    @classmethod
    def of(cls, version: RulesetVersion) -> "CurrentRules":
        """The rules of a version already read whole."""
        return cls(version.id, version.version, ruleset_of(version))


async def current_rules(session: AsyncSession, fund_id: uuid.UUID) -> CurrentRules | None:
    """The fund's current ruleset, or None. Its definition is read only the first time this
    process meets the version: a published version never changes."""
    found = await repository.latest_published_number(session, fund_id)
    if found is None:
        return None
    if (ruleset := _PUBLISHED.get(found[0])) is not None:
        return CurrentRules(*found, ruleset)
    version = await repository.latest_published(session, fund_id)  # whole, this once
    return None if version is None else CurrentRules.of(version)


def revise_draft(version: RulesetVersion, ruleset: Ruleset) -> RulesetVersion:
    """Replace a draft's definition; a published version is immutable."""
    if version.status is RulesetStatus.PUBLISHED:
        raise RulesetPublished(
            f"version {version.version} is published and cannot change; create a new version"
        )
    version.definition = ruleset.model_dump(mode="json")
    return version


async def score(
    session: AsyncSession, application_id: uuid.UUID, *, now: datetime | None = None
) -> Assessment | None:
    """Assess a submitted application under its fund's current ruleset (idempotent).

    Returns the assessment, the existing one if this submission was already assessed
    under that version, or None when nothing could be assessed (unknown application,
    fund without a published ruleset, status past screening, engine failure).
    """
    application = await repository.lock_application(session, application_id)
    if application is None:
        logger.warning("scoring skipped: no such application", extra=_ids(application_id))
        return None
    # What the statistics read of its site's zonings, for this submission.
    await zoning_facts.refresh(session, [application.id])
    rules = await current_rules(session, application.fund_id)
    if rules is None:
        logger.warning(
            "scoring deferred: the fund has no published ruleset", extra=_ids(application_id)
        )
        return None
    existing = await repository.find_assessment(
        session, application.id, rules.version_id, application.submission_no
    )
    if existing is not None:
        return existing
    if application.status not in RESCORABLE:
        logger.info("scoring skipped", extra={**_ids(application_id), "status": application.status})
        return None
    return await screen(session, application, rules, now=now)


async def unscored_jobs(session: AsyncSession, *, older_than: timedelta) -> list[JobRequest]:
    """Scoring jobs of applications left in `submitted` for longer than `older_than`.

    The job ids are those enqueued at submission, so a job still queued is not run twice.
    """
    cutoff = datetime.now(UTC) - older_than
    return [score_job(a) for a in await repository.submitted_before(session, cutoff)]


async def screen(
    session: AsyncSession,
    application: Application,
    rules: CurrentRules,
    *,
    now: datetime | None = None,
) -> Assessment | None:
    """Move a locked, rescorable application to screening, evaluate it under `rules`,
    store the verdict and move it to its outcome with the `application.scored` event;
    `screening_error` (and None) if the engine fails.
    """
    before = application.status
    await _move(session, application, "screen", changes={"ruleset_version": rules.version})
    try:
        outcome = await evaluate_with(session, application, rules.ruleset, now=now)
    except Exception as exc:
        logger.exception("scoring failed", extra=_ids(application.id))
        await _move(
            session,
            application,
            "mark_screening_error",
            changes={"ruleset_version": rules.version},
            reason=f"{type(exc).__name__}: {exc}"[:2000],
        )
        return None
    assessment = new_assessment(application, rules, outcome)
    session.add(assessment)
    await session.flush()
    await _move(
        session,
        application,
        MARK_ACTIONS[assessment.outcome],
        changes={"assessment_id": str(assessment.id), "ruleset_version": rules.version},
        announce=lambda status: _scored(application, assessment, rules.version, status, before),
    )
    return assessment


async def evaluate_with(
    session: AsyncSession,
    application: Application,
    ruleset: Ruleset,
    *,
    now: datetime | None = None,
) -> Outcome:
    """The engine's outcome for a stored application under any ruleset (nothing written).

    The context is the one every assessment uses: the application, its project snapshot,
    its fund and its territory, at its submission date. Its prior de minimis aid is what
    the applicant declared plus what the State-aid register holds for its SIREN over the
    three years to that date (the computation approvals use); undeclared, it stays unknown.
    """
    return await evaluate_as_of(
        session,
        application,
        ruleset,
        project=application.project_snapshot or {},
        at=application.submitted_at or now,
    )


async def evaluate_as_of(
    session: AsyncSession,
    application: Application,
    ruleset: Ruleset,
    *,
    project: Mapping[str, Any],
    at: datetime | None,
) -> Outcome:
    """The engine's outcome for an application with this project snapshot, as at `at`
    (the zonings and the register's de minimis at that date; nothing written).
    """
    inputs = facts.application_inputs(application)
    context = await facts.load_context(
        session,
        application=inputs,
        project=project,
        fund=application.fund,
        territory_id=application.territory_id,
        submitted_at=at,
        register_siren=(
            application.applicant_siren if inputs["prior_deminimis_cents"] is not None else None
        ),
    )
    return evaluate_ruleset(ruleset, context)


def new_assessment(application: Application, rules: CurrentRules, outcome: Outcome) -> Assessment:
    """The immutable assessment of the application's current submission (not yet added)."""
    return Assessment(
        id=uuid.uuid4(),
        application_id=application.id,
        ruleset_version_id=rules.version_id,
        submission_no=application.submission_no,
        outcome=AssessmentOutcome(outcome.verdict.value),
        total_points=points(outcome.total),
        max_points=outcome.max_total,
        results=stored_results(compile_ruleset(rules.ruleset), outcome),
        missing_inputs=list(outcome.missing),
    )


def points(total: float) -> Decimal:
    """Points as an exact decimal with two places."""
    return Decimal(str(total)).quantize(_CENT)


async def _move(
    session: AsyncSession,
    application: Application,
    action: str,
    *,
    changes: dict[str, Any],
    reason: str | None = None,
    announce: Callable[[ApplicationStatus], NewEvent] | None = None,
) -> None:
    """Status, audit entry and (with `announce`, given the new status) the event in one
    statement (the row is locked: no version race).
    """
    step = APPLICATION_MACHINE.check(application.status, action, Actor.SYSTEM)
    previous = application.status
    await record_change(
        session,
        application,
        {"status": step.target},
        audit_service.entry_values(
            SYSTEM,
            action=f"application.{action}",
            subject_type="application",
            subject_id=application.id,
            changes={"status": {"from": previous.value, "to": step.target.value}, **changes},
            reason=reason,
        ),
        event=announce(step.target) if announce is not None else None,
    )


def _scored(
    application: Application,
    assessment: Assessment,
    version: int,
    status: ApplicationStatus,
    previous: ApplicationStatus,
) -> NewEvent:
    """`application.scored`, for the move to `status` (stamped by the statement)."""
    data = ApplicationScoredData(
        **event_fields(application, status, previous=previous),
        outcome=assessment.outcome.value,
        total_points=float(assessment.total_points),
        ruleset_version=version,
        missing_input_count=len(assessment.missing_inputs),
    )
    return application_event(application, EventType.APPLICATION_SCORED, data)


def _ids(application_id: uuid.UUID) -> dict[str, str]:
    return {"application_id": str(application_id)}
