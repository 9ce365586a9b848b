"""Reading assessments, ruleset versions and rankings, and simulating an assessment."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications import service as application_service
from shared.applications.models import Application
from shared.eligibility import repository
from shared.eligibility.errors import RulesetNotFound
from shared.eligibility.facts import load_context
from shared.eligibility.models import Assessment, RulesetVersion
from shared.eligibility.rules import (
    CriterionKind,
    CriterionStatus,
    Outcome,
    compile_ruleset,
    evaluate_ruleset,
)
from shared.eligibility.rules.results import documents
from shared.eligibility.ruleset_schemas import (
    RescoreResult,
    RulesetVersionRead,
    RulesetVersionSummary,
)
from shared.eligibility.schemas import (
    AssessmentRead,
    OutcomeRead,
    RankedApplication,
    SimulationInput,
)
from shared.eligibility.service import current_rules, points, ruleset_of
from shared.eligibility.sources import cited_by
from shared.funds import repository as fund_repository
from shared.funds import service as fund_service
from shared.funds.errors import FundNotFound
from shared.geography.models import Commune
from shared.principal import Principal, Role
from shared.projects.schemas import HolderRead, ProjectCreate
from shared.schemas import Page
from shared.territories.errors import UnknownReference


async def assessments(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID
) -> list[AssessmentRead]:
    """The assessments of an application the principal may see, latest first."""
    application = await application_service.get(session, principal, application_id)
    return [
        to_read(assessment, version, application.fund.code)
        for assessment, version in await repository.assessments_of(session, application.id)
    ]


async def simulate(session: AsyncSession, fund_code: str, data: SimulationInput) -> OutcomeRead:
    """Evaluate the fund's current ruleset on inputs that are not stored."""
    fund = await fund_service.get(session, fund_code)
    rules = await current_rules(session, fund.id)
    if rules is None:
        raise RulesetNotFound(f"{fund.code} has no published ruleset")
    application = data.application.model_dump()
    application["applicant_siren"] = data.application.applicant_siren or data.project.holder.siren
    context = await load_context(
        session,
        application=application,
        project=await _simulated_project(session, data.project),
        fund=fund,
        territory_id=data.project.territory_id,
        submitted_at=data.submitted_at or datetime.now(UTC),
    )
    outcome = evaluate_ruleset(rules.ruleset, context)
    return OutcomeRead.model_validate(outcome_fields(outcome, fund.code))


def to_read(assessment: Assessment, version: RulesetVersion, fund_code: str) -> AssessmentRead:
    """The API view of a stored assessment (its criteria rendered from the version's)."""
    criteria = documents(compile_ruleset(ruleset_of(version)), assessment.results)
    return AssessmentRead.model_validate(
        {
            "id": assessment.id,
            "application_id": assessment.application_id,
            "submission_no": assessment.submission_no,
            "created_at": assessment.created_at,
            "fund_code": fund_code,
            "ruleset_version": version.version,
            "outcome": assessment.outcome,
            "total_points": float(assessment.total_points),
            "max_points": assessment.max_points,
            "missing_inputs": assessment.missing_inputs,
            "failed_gates": _gates(criteria, CriterionStatus.FAIL),
            "unknown_gates": _gates(criteria, CriterionStatus.UNKNOWN),
            "criteria": criteria,
        }
    )


def outcome_fields(outcome: Outcome, fund_code: str) -> dict[str, Any]:
    """The fields of `OutcomeRead` for an engine outcome."""
    return {
        "fund_code": fund_code,
        "ruleset_version": outcome.ruleset_version,
        "outcome": outcome.verdict.value,
        "total_points": float(points(outcome.total)),
        "max_points": outcome.max_total,
        "missing_inputs": list(outcome.missing),
        "failed_gates": list(outcome.failed_gates),
        "unknown_gates": list(outcome.unknown_gates),
        "criteria": [result.as_json() for result in outcome.criteria],
    }


def _gates(criteria: list[dict[str, Any]], status: CriterionStatus) -> list[str]:
    return [c["id"] for c in criteria if c["kind"] == CriterionKind.GATE and c["status"] == status]


async def _simulated_project(session: AsyncSession, project: ProjectCreate) -> dict[str, Any]:
    """The project as a submission would snapshot it (the site's region from its commune)."""
    region_code = None
    if project.site.commune_insee is not None:
        commune = await session.get(Commune, project.site.commune_insee)
        if commune is None:
            raise UnknownReference(
                f"no commune with INSEE code {project.site.commune_insee}",
                pointer="/body/project/site/commune_insee",
            )
        region_code = commune.region_code
    holder = HolderRead.model_validate(project.holder.model_dump())
    return {
        **project.model_dump(exclude={"holder", "site"}),
        "holder": holder.model_dump(),
        "site": {**project.site.model_dump(), "region_code": region_code},
    }


def version_read(version: RulesetVersion, fund_code: str) -> RulesetVersionRead:
    """The API view of a ruleset version with its definition and the sources it cites."""
    return RulesetVersionRead.model_validate(
        {
            **_version_fields(version, fund_code),
            "definition": version.definition,
            "sources": cited_by(version.definition),
        }
    )


def version_summary(version: RulesetVersion, fund_code: str) -> RulesetVersionSummary:
    """The API view of a ruleset version without its definition."""
    return RulesetVersionSummary.model_validate(_version_fields(version, fund_code))


def _version_fields(version: RulesetVersion, fund_code: str) -> dict[str, Any]:
    return {
        "id": version.id,
        "fund_code": fund_code,
        "version": version.version,
        "status": version.status,
        "created_at": version.created_at,
        "updated_at": version.updated_at,
        "published_at": version.published_at,
    }


async def rescore_result(
    session: AsyncSession, application: Application, assessment: Assessment | None
) -> RescoreResult:
    """The API view of an application rescored on request."""
    read = None
    if assessment is not None:
        version = await session.get_one(RulesetVersion, assessment.ruleset_version_id)
        read = to_read(assessment, version, application.fund.code)
    return RescoreResult(
        application_id=application.id,
        status=application.status,
        version=application.version,
        assessment=read,
    )


async def ranking(
    session: AsyncSession,
    principal: Principal,
    fund_code: str,
    *,
    limit: int,
    cursor: str | None,
) -> Page[RankedApplication]:
    """The fund's eligible applications by decreasing points (operators: their own funds)."""
    fund = await fund_repository.get_by_code(session, fund_code)
    if fund is None or (
        principal.role is Role.OPERATOR and fund.operator_id != principal.operator_id
    ):
        raise FundNotFound(f"no fund with code {fund_code!r}")
    operator_id = principal.operator_id if principal.role is Role.OPERATOR else None
    rows, next_cursor = await repository.ranking_page(
        session, fund.id, operator_id=operator_id, limit=limit, cursor=cursor
    )
    return Page[RankedApplication](
        items=[RankedApplication.model_validate(dict(row)) for row in rows],
        next_cursor=next_cursor,
    )
