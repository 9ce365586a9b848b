"""Eligibility: the assessments of an application and what-if simulations."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from services.api.deps import RecordReader, SessionDep
from services.api.routing import TidiRoute
from shared.eligibility import views
from shared.eligibility.schemas import AssessmentList, OutcomeRead, SimulationInput

router = APIRouter(tags=["eligibility"], route_class=TidiRoute)
FundCode = Annotated[str, Path(max_length=64, description="Fund code.")]


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
