"""Completeness derived from the fund's current ruleset, and the submission it guards.

A draft is evaluated as if submitted now (its project as the submission would snapshot
it, the site's zonings and the State-aid register at today's date). Every input a
criterion found missing is named where it can be supplied: a field of the application or
of its project (JSON pointer into that resource's request body), or the programme's own
data, which the applicant cannot supply. Inputs a gate needs are required; inputs only
a score needs are listed as optional. Evaluating, rather than listing every path a rule
may read, asks only for what can change the answer (a company declared not in difficulty
is never asked for evidence of an exit from difficulty).
"""

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications import service as application_service
from shared.applications import submission
from shared.applications.models import Application
from shared.applications.schemas import (
    Completeness,
    MissingItem,
    ProgrammeDataItem,
)
from shared.eligibility import service as scoring
from shared.eligibility.inputs import InputOrigin, InputSource, source_of
from shared.eligibility.rules import Outcome, Ruleset
from shared.eligibility.rules.context import missing_label
from shared.eligibility.rules.engine import CriterionStatus
from shared.eligibility.rules.model import CriterionKind
from shared.principal import Principal
from shared.projects.models import Project

logger = logging.getLogger("tidi.eligibility")
_SITE_COMMUNE = InputSource(InputOrigin.PROJECT, ("/site/commune_insee",))


async def completeness(
    session: AsyncSession,
    application: Application,
    *,
    now: datetime | None = None,
    snapshot: dict[str, object] | None = None,
    applicant_only: bool = False,
) -> Completeness:
    """What the application still needs before submission: the fund's form, then every
    input its current ruleset finds missing, and the programme data that is lacking
    (unless `applicant_only`: a submission does not wait on it). `snapshot` is its
    project's, when the caller already took it.
    """
    now = now or datetime.now(UTC)
    form = application_service.form_requirements(application)
    rules = await scoring.current_rules(session, application.fund_id)
    if rules is None:
        return application_service.completeness(application, form, now=now)
    project = await submission.project_of(session, application)
    try:
        frozen = submission.snapshot(project) if snapshot is None else snapshot
        outcome = await _draft_outcome(session, application, frozen, rules.ruleset, now)
    except Exception:
        # A ruleset the engine cannot evaluate on these inputs is a defect of the ruleset:
        # the fund's form decides alone, and the scoring job records the screening error.
        logger.exception(
            "completeness: the ruleset could not be evaluated",
            extra={"application_id": str(application.id), "ruleset_version": rules.version},
        )
        return application_service.completeness(application, form, now=now)
    derived, programme = _needs(outcome, project, now, applicant_only=applicant_only)
    derived.extend(_contradictions(application, project))
    taken = {(item.resource, item.pointer) for item in form}
    return application_service.completeness(
        application,
        [*form, *(item for item in derived if (item.resource, item.pointer) not in taken)],
        now=now,
        programme_data_missing=programme,
        ruleset_version=rules.version,
    )


async def submit(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    *,
    if_match: int | None,
    now: datetime | None = None,
) -> Application:
    """Submit a draft once nothing it needs from the applicant is missing (422 otherwise),
    freezing its project's scoring inputs as the completeness check read them."""
    now = now or datetime.now(UTC)
    frozen = submission.snapshot(await submission.project_of(session, application))
    report = await completeness(session, application, now=now, snapshot=frozen, applicant_only=True)
    return await submission.submit(
        session, principal, application, if_match=if_match, report=report, frozen=frozen, now=now
    )


async def _draft_outcome(
    session: AsyncSession,
    application: Application,
    snapshot: dict[str, object],
    ruleset: Ruleset,
    now: datetime,
) -> Outcome:
    """The current ruleset's outcome on the draft, as a submission now (of its project's
    `snapshot`) would be assessed."""
    return await scoring.evaluate_as_of(session, application, ruleset, project=snapshot, at=now)


def _needs(
    outcome: Outcome, project: Project, now: datetime, *, applicant_only: bool
) -> tuple[list[MissingItem], list[ProgrammeDataItem]]:
    """The missing inputs of the outcome's unknown criteria, by who can supply them (the
    applicant's only, if so asked)."""
    criteria: dict[str, list[str]] = {}
    required: set[str] = set()
    for result in outcome.criteria:
        if result.status is not CriterionStatus.UNKNOWN:
            continue
        for path in result.missing:
            criteria.setdefault(path, []).append(result.id)
            if result.kind is CriterionKind.GATE:
                required.add(path)
    applicant: dict[tuple[str, str], MissingItem] = {}
    programme: list[ProgrammeDataItem] = []
    commune = (project.site or {}).get("commune_insee")
    for path, ids in sorted(criteria.items()):
        source = _source(path, commune)
        if source.applicant_side:
            for item in _applicant_items(path, source, ids, path in required):
                known = applicant.get((item.resource, item.pointer))
                applicant[(item.resource, item.pointer)] = _merged(known, item)
        elif source.origin is InputOrigin.PROGRAMME and not applicant_only:
            programme.append(
                ProgrammeDataItem(
                    input=path, detail=_programme_detail(path, commune, now), criteria=ids
                )
            )
    items = sorted(applicant.values(), key=lambda i: (not i.required, i.resource, i.pointer))
    return items, programme


def _source(path: str, commune: str | None) -> InputSource:
    """Where the input comes from; a site without a commune has no zonings to look up."""
    if (path == "zonings" or path.startswith("zonings.")) and commune is None:
        return _SITE_COMMUNE
    return source_of(path)


def _applicant_items(
    path: str, source: InputSource, criteria: list[str], required: bool
) -> Iterable[MissingItem]:
    label = missing_label(path) or path
    where = "on the project" if source.origin is InputOrigin.PROJECT else "on the application"
    fields = " or ".join(source.pointers)
    for pointer in source.pointers[:1]:
        yield MissingItem(
            pointer=pointer,
            detail=f"provide « {label} » {where} ({fields})",
            resource="project" if source.origin is InputOrigin.PROJECT else "application",
            required=required,
            input=path,
            criteria=criteria,
        )


def _merged(known: MissingItem | None, item: MissingItem) -> MissingItem:
    """One item per field: required if any input it feeds is, with all their criteria."""
    if known is None:
        return item
    return known.model_copy(
        update={
            "required": known.required or item.required,
            "criteria": sorted({*known.criteria, *item.criteria}),
        }
    )


def _programme_detail(path: str, commune: str | None, now: datetime) -> str:
    day = now.date().isoformat()
    if path == "zonings":
        return f"no zoning data covers commune {commune} on {day}"
    if path.startswith("zonings."):
        kind = path.removeprefix("zonings.")
        return f"no {kind} zoning data covers commune {commune} on {day}"
    return f"the programme's data lacks « {missing_label(path) or path} »"


def _contradictions(application: Application, project: Project) -> list[MissingItem]:
    """Declarations that cannot both be true: one must be corrected before submission."""
    found = application_service.contradiction(project.holder, application.attestations)
    if found is None:
        return []
    pointer, detail = found
    return [MissingItem(pointer=pointer, detail=detail, input="holder.in_difficulty")]
