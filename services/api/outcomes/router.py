"""Outcomes of funded applications: report what the project achieved, read the reports
beside the planned figures."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from services.api.deps import AdminOrTerritory, PageDep, RecordReader, SessionDep
from services.api.idempotency import IdempotencyKey, create_once
from services.api.pages import page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.applications import service as applications
from shared.outcomes import repository
from shared.outcomes import service as outcomes
from shared.outcomes.schemas import OutcomeReportCreate, OutcomeReportHistory, OutcomeReportRead

router = APIRouter(prefix="/v1", tags=["outcomes"], route_class=TidiRoute)


@router.post(
    "/applications/{application_id}/outcomes",
    summary="Report an application's outcomes",
    status_code=201,
    response_model=OutcomeReportRead,
    responses=problems(409),
)
async def report_application_outcome(
    principal: AdminOrTerritory,
    session: SessionDep,
    application_id: uuid.UUID,
    body: OutcomeReportCreate,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Report what the project has achieved at a date (jobs created and maintained,
    investment made), once the agreement is signed (`agreement_signed`, `funded`, `closed`;
    before, a 409). Reports are kept; the latest counts (`outcome.reported`)."""
    application = await applications.get(session, principal, application_id)

    async def create() -> tuple[OutcomeReportRead, dict[str, str]]:
        outcome = await outcomes.report(session, principal, application, body)
        headers = {
            "Location": f"/v1/outcomes/{outcome.id}",
            "ETag": '"1"',
        }
        return OutcomeReportRead.model_validate(outcome), headers

    return await create_once(session, principal, request, idempotency_key, body, create)


@router.get(
    "/applications/{application_id}/outcomes", summary="List an application's outcome reports"
)
async def list_application_outcomes(
    principal: RecordReader, session: SessionDep, application_id: uuid.UUID, page: PageDep
) -> OutcomeReportHistory:
    """The application's reports, newest first, beside the figures its project planned at
    submission; `latest` is the report that counts."""
    application = await applications.get(session, principal, application_id)
    history = await page_of(
        session,
        repository.of_application(application.id),
        sort=repository.NEWEST_FIRST,
        page=page,
        read=OutcomeReportRead,
    )
    latest = await repository.latest(session, application.id)
    return OutcomeReportHistory(
        application_id=application.id,
        planned=outcomes.planned(application),
        latest=None if latest is None else OutcomeReportRead.model_validate(latest),
        items=history.items,
        next_cursor=history.next_cursor,
    )


@router.get("/outcomes/{outcome_id}", summary="Get an outcome report")
async def get_outcome(
    principal: RecordReader,
    session: SessionDep,
    outcome_id: Annotated[uuid.UUID, Path(description="The report's id.")],
) -> OutcomeReportRead:
    """One report, readable by whoever may read its application."""
    return OutcomeReportRead.model_validate(await outcomes.get(session, principal, outcome_id))
