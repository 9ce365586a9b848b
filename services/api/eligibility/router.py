"""Eligibility: assessments, simulations, rescoring, project screening and fund rankings."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.api.deps import (
    AdminOnly,
    AdminOrOperator,
    IfMatchDep,
    PageDep,
    RecordReader,
    SessionDep,
)
from services.api.etag import with_etag
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.eligibility import rescoring, screening, views
from shared.eligibility.ruleset_schemas import RescoreResult
from shared.eligibility.schemas import (
    AssessmentList,
    OutcomeRead,
    ProjectScreening,
    RankedApplication,
    SimulationInput,
)
from shared.schemas import Page

router = APIRouter(tags=["eligibility"], route_class=TidiRoute)
FundCode = Annotated[str, Path(max_length=64, description="Fund code.")]
"""Who may read a fund's ranking: admins, and operators for their own funds."""


@router.get("/v1/applications/{application_id}/assessments", summary="List assessments")
async def list_assessments(
    principal: RecordReader, session: SessionDep, application_id: uuid.UUID
) -> AssessmentList:
    """The immutable assessments of an application, latest first, each with the verdict,
    the points and the explanation of every criterion of the ruleset version used.
    """
    return AssessmentList(items=await views.assessments(session, principal, application_id))


@router.post(
    "/v1/funds/{fund_code}/eligibility/simulate",
    summary="Simulate an assessment",
    responses={404: {"description": "No such fund, or the fund has no published ruleset."}},
)
async def simulate_eligibility(
    _: RecordReader, session: SessionDep, fund_code: FundCode, body: SimulationInput
) -> OutcomeRead:
    """Evaluate the fund's current ruleset on an application and project that are not
    stored: nothing is written. Registry facts tidi does not hold stay unknown.
    """
    return await views.simulate(session, fund_code, body)


@router.post(
    "/v1/applications/{application_id}/rescore",
    summary="Rescore an application",
    responses=problems(409, 412, 428),
)
async def rescore_application(
    principal: AdminOnly,
    session: SessionDep,
    application_id: uuid.UUID,
    expected: IfMatchDep,
    response: Response,
) -> RescoreResult:
    """Rescore an application left in `screening_error` under its fund's current ruleset
    (send `If-Match`): a new assessment and the status it decides, or `screening_error`
    again if the engine fails again. Any other status is a 409.
    """
    application, assessment = await rescoring.rescore_application(
        session, principal, application_id, if_match=expected
    )
    result = await views.rescore_result(session, application, assessment)
    with_etag(response, application.version)
    return result


@router.post("/v1/projects/{project_id}/eligibility", summary="Screen a project")
async def screen_project(
    principal: RecordReader, session: SessionDep, project_id: uuid.UUID
) -> ProjectScreening:
    """Evaluate a project against every fund open now, at once, with each fund's current
    ruleset: eligible funds first by points, then undetermined, then ineligible. Inputs an
    application would add (amounts, attestations, answers) are reported missing. Nothing
    is stored.
    """
    return await screening.screen_project(session, principal, project_id)


@router.get("/v1/funds/{fund_code}/ranking", summary="Rank a fund's applications")
async def list_fund_ranking(
    principal: AdminOrOperator, session: SessionDep, fund_code: FundCode, page: PageDep
) -> Page[RankedApplication]:
    """The fund's eligible applications by decreasing points of their latest assessment,
    ties by submission time then id. Operators see only their own funds.
    """
    return await views.ranking(session, principal, fund_code, limit=page.limit, cursor=page.cursor)
