"""Screening one project against every open fund at once: nothing is stored.

The project is read as a submission would snapshot it and each fund's current ruleset is
evaluated through the same context builder as a stored assessment; the application inputs
a project does not carry (amounts, attestations, answers) stay unknown. Each undecided
criterion is then read by where its missing inputs come from (`shared.eligibility.inputs`):
waiting only for an application, or lacking project facts or programme data.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.applications import repository as application_repository
from shared.applications.schemas import ProjectSnapshot
from shared.eligibility import views
from shared.eligibility.facts import load_context
from shared.eligibility.inputs import InputOrigin, source_of
from shared.eligibility.models import RulesetStatus, RulesetVersion
from shared.eligibility.rules import CriterionKind, CriterionStatus, Outcome, evaluate_ruleset
from shared.eligibility.schemas import FundScreening, ProjectScreening, SimulatedApplication
from shared.eligibility.service import ruleset_of
from shared.funds.models import Fund, FundStatus
from shared.principal import Principal
from shared.projects import service as project_service

_PROSPECT_ORDER = {"eligible": 0, "eligible_if_completed": 1, "undetermined": 2, "ineligible": 3}
_BY_APPLICATION = (InputOrigin.APPLICATION, InputOrigin.SUBMISSION)


async def screen_project(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> ProjectScreening:
    """Evaluate every open fund's current ruleset on a project the principal may read."""
    project = await project_service.get(
        session,
        principal,
        project_id,
        operator_projects=application_repository.projects_shown_to(principal),
    )
    moment = now or datetime.now(UTC)
    snapshot = ProjectSnapshot.model_validate(
        {**project_service.to_read(project).model_dump(), "project_id": project.id}
    ).model_dump(mode="json")
    application = SimulatedApplication().model_dump()
    application["applicant_siren"] = project.holder_siren
    items = []
    for fund, version in await _open_funds_with_rules(session, moment):
        context = await load_context(
            session,
            application=application,
            project=snapshot,
            fund=fund,
            territory_id=project.territory_id,
            submitted_at=moment,
        )
        outcome = evaluate_ruleset(ruleset_of(version), context)
        items.append(
            {
                **views.outcome_fields(outcome, fund.code),
                **prospect_of(outcome),
                "fund_name": fund.name,
            }
        )
    items.sort(key=lambda i: (_PROSPECT_ORDER[i["prospect"]], -i["total_points"], i["fund_code"]))
    return ProjectScreening(
        project_id=project.id,
        screened_at=moment,
        items=[
            FundScreening.model_validate({**item, "rank": n}) for n, item in enumerate(items, 1)
        ],
    )


def prospect_of(outcome: Outcome) -> dict[str, Any]:
    """Each criterion's screening state, the application inputs the gates wait for, and
    the fund's prospect for the project (see `FundScreening`)."""
    states: list[dict[str, Any]] = []
    needed: set[str] = set()
    elsewhere = False
    for result in outcome.criteria:
        by_application = [p for p in result.missing if _from_application(p)]
        other = [p for p in result.missing if not _from_application(p)]
        state = result.status.value
        if result.status is CriterionStatus.UNKNOWN:
            state = "unknown" if other or not result.missing else "needs_application_input"
            if result.kind is CriterionKind.GATE:
                needed.update(by_application)
                elsewhere = elsewhere or state == "unknown"
        states.append(
            {
                "id": result.id,
                "state": state,
                "to_provide": by_application,
                "missing_elsewhere": other,
            }
        )
    if outcome.failed_gates:
        prospect = "ineligible"
    elif not outcome.unknown_gates:
        prospect = "eligible"
    else:
        prospect = "undetermined" if elsewhere else "eligible_if_completed"
    return {"prospect": prospect, "application_inputs": sorted(needed), "screening": states}


def _from_application(path: str) -> bool:
    try:
        return source_of(path).origin in _BY_APPLICATION
    except KeyError:
        return False


async def _open_funds_with_rules(
    session: AsyncSession, moment: datetime
) -> list[tuple[Fund, RulesetVersion]]:
    """Funds open at `moment` with their latest published ruleset version, by code."""
    latest = (
        select(RulesetVersion)
        .where(RulesetVersion.status == RulesetStatus.PUBLISHED)
        .ext(distinct_on(RulesetVersion.fund_id))
        .order_by(RulesetVersion.fund_id, RulesetVersion.version.desc())
        .subquery()
    )
    version = aliased(RulesetVersion, latest)
    rows = await session.execute(
        select(Fund, version)
        .join(version, version.fund_id == Fund.id)
        .where(
            Fund.status == FundStatus.OPEN,
            or_(Fund.opens_at.is_(None), Fund.opens_at <= moment),
            or_(Fund.closes_at.is_(None), Fund.closes_at > moment),
        )
        .order_by(Fund.code)
    )
    return [(row[0], row[1]) for row in rows]
