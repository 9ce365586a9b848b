"""Screening one project against every open fund at once: nothing is stored.

The project is read as a submission would snapshot it and each fund's current ruleset is
evaluated through the same context builder as a stored assessment; the application inputs
a project does not carry (amounts, attestations, answers) stay unknown.
"""

import uuid
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.applications import repository as application_repository
from shared.applications.schemas import ProjectSnapshot
from shared.eligibility import views
from shared.eligibility.facts import load_context
from shared.eligibility.models import AssessmentOutcome, RulesetStatus, RulesetVersion
from shared.eligibility.rules import evaluate_ruleset
from shared.eligibility.schemas import FundScreening, ProjectScreening, SimulatedApplication
from shared.eligibility.service import ruleset_of
from shared.funds.models import Fund, FundStatus
from shared.principal import Principal
from shared.projects import service as project_service
from shared.territories.models import Territory

_OUTCOME_ORDER = {
    AssessmentOutcome.ELIGIBLE: 0,
    AssessmentOutcome.UNDETERMINED: 1,
    AssessmentOutcome.INELIGIBLE: 2,
}


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
    territory = (
        await session.get(Territory, project.territory_id)
        if project.territory_id is not None
        else None
    )
    items = []
    for fund, version in await _open_funds_with_rules(session, moment):
        context = await load_context(
            session,
            application=application,
            project=snapshot,
            fund=fund,
            territory=territory,
            submitted_at=moment,
        )
        outcome = evaluate_ruleset(ruleset_of(version), context)
        items.append({**views.outcome_fields(outcome, fund.code), "fund_name": fund.name})
    items.sort(
        key=lambda i: (
            _OUTCOME_ORDER[AssessmentOutcome(i["outcome"])],
            -i["total_points"],
            i["fund_code"],
        )
    )
    return ProjectScreening(
        project_id=project.id,
        screened_at=moment,
        items=[
            FundScreening.model_validate({**item, "rank": n}) for n, item in enumerate(items, 1)
        ],
    )


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
