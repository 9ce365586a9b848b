"""Fund applications: list, read, create, edit drafts, completeness, submit, withdraw, history.

The actions (submit, withdraw, reopen) take the caller through `services.api.acting`, as the
decisions do."""

import uuid
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from services.api.acting import TerritoryActs
from services.api.deps import (
    AdminOrTerritory,
    IfMatchDep,
    PageDep,
    RecordReader,
    SessionDep,
)
from services.api.etag import with_etag
from services.api.idempotency import IdempotencyKey, create_once
from services.api.lists import RecordFiltersDep
from services.api.pages import history_page, page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.applications import repository, service, submission
from shared.applications.enums import ApplicationStatus
from shared.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationUpdate,
    Completeness,
)
from shared.audit.schemas import AuditEntryRead
from shared.eligibility import completeness as eligibility_completeness
from shared.projects.schemas import TransitionRequest
from shared.schemas import Page

router = APIRouter(prefix="/v1/applications", tags=["applications"], route_class=TidiRoute)
ApplicationSort = Annotated[
    str,
    Query(
        pattern=r"^-?(created_at|updated_at)$",
        description="Order: created_at or updated_at (prefix - for newest first).",
    ),
]


@router.get("", summary="List applications")
async def list_applications(
    principal: RecordReader,
    session: SessionDep,
    page: PageDep,
    filters: RecordFiltersDep,
    status: Annotated[
        list[ApplicationStatus] | None, Query(description="Any of these statuses.")
    ] = None,
    fund: Annotated[str | None, Query(max_length=64, description="Fund code.")] = None,
    project_id: Annotated[uuid.UUID | None, Query()] = None,
    information_overdue: Annotated[
        bool | None,
        Query(description="Only those waiting on information past its due date (true)."),
    ] = None,
    sort: ApplicationSort = "-created_at",
) -> Page[ApplicationRead]:
    """Applications visible to the key: admins all, territories their own, operators those
    submitted to their funds, regions those they preselect in their region.
    """
    statement = repository.filtered(
        repository.readable(principal),
        filters,
        status=status,
        fund=fund,
        project_id=project_id,
        information_overdue=information_overdue,
    )
    return await page_of(
        session,
        statement,
        sort=repository.SORTS[sort],
        page=page,
        read=ApplicationRead,
        convert=partial(service.to_read, principal=principal),
    )


@router.post(
    "",
    summary="Create an application",
    status_code=201,
    response_model=ApplicationRead,
    responses=problems(404, 409),
)
async def create_application(
    principal: AdminOrTerritory,
    session: SessionDep,
    body: ApplicationCreate,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Open a draft application of an active project to an open fund (one open per fund)."""

    async def create() -> tuple[ApplicationRead, dict[str, str]]:
        application = await service.create(session, principal, body)
        headers = {
            "Location": f"/v1/applications/{application.id}",
            "ETag": f'"{application.version}"',
        }
        return service.to_read(application, principal), headers

    return await create_once(session, principal, request, idempotency_key, body, create)


@router.get("/{application_id}", summary="Get an application")
async def get_application(
    principal: RecordReader, session: SessionDep, application_id: uuid.UUID, response: Response
) -> ApplicationRead:
    """One application; its `ETag` is needed to change it."""
    application = await service.get(session, principal, application_id)
    with_etag(response, application.version)
    return service.to_read(application, principal)


@router.patch(
    "/{application_id}", summary="Update a draft application", responses=problems(409, 412, 428)
)
async def update_application(
    principal: AdminOrTerritory,
    session: SessionDep,
    application_id: uuid.UUID,
    body: ApplicationUpdate,
    expected_version: IfMatchDep,
    response: Response,
) -> ApplicationRead:
    """Change a draft (send `If-Match`); answers are checked against the fund's questions.
    While the operator requests information, only the fields its request names change."""
    application = await service.get(session, principal, application_id)
    application = await service.update(
        session, principal, application, body, if_match=expected_version
    )
    with_etag(response, application.version)
    return service.to_read(application, principal)


@router.get("/{application_id}/completeness", summary="Check an application's completeness")
async def get_application_completeness(
    principal: RecordReader, session: SessionDep, application_id: uuid.UUID
) -> Completeness:
    """What is still missing before submission, derived from the fund's current ruleset.

    Each item names the resource (`application`, or the `project` to `PATCH`) and the JSON
    pointer of the field to fill, the eligibility input it supplies and the criteria that
    need it; `required` items block the submission, optional ones only cost points.
    `programme_data_missing` lists what tidi's reference data lacks (zoning coverage of
    the site's commune, say): the applicant cannot supply it, and the criteria needing it
    stay undetermined until the programme adds it.
    """
    application = await service.get(session, principal, application_id, with_project=True)
    return await eligibility_completeness.completeness(session, application)


@router.post(
    "/{application_id}/submit",
    summary="Submit an application",
    responses=problems(409, 412, 428),
)
async def submit_application(acting: TerritoryActs, response: Response) -> ApplicationRead:
    """Submit a complete draft inside the fund's window (send `If-Match`).

    The project's scoring inputs are frozen, `application.submitted` is emitted and
    screening is queued. Incomplete (any required item of the completeness report): 422
    listing them; outside the window: 422 naming it.
    """
    return await acting.move(response, eligibility_completeness.submit, with_project=True)


@router.post(
    "/{application_id}/withdraw",
    summary="Withdraw an application",
    responses=problems(409, 412, 428),
)
async def withdraw_application(
    acting: TerritoryActs, response: Response, body: TransitionRequest | None = None
) -> ApplicationRead:
    """Withdraw an application at any stage before approval (`application.withdrawn`)."""
    reason = body.reason if body else None
    return await acting.move(response, partial(submission.withdraw, reason=reason))


@router.post(
    "/{application_id}/reopen",
    summary="Reopen an undetermined application",
    responses=problems(409, 412, 428),
)
async def reopen_application(acting: TerritoryActs, response: Response) -> ApplicationRead:
    """Send an application screened as undetermined back to draft to complete it."""
    return await acting.move(response, submission.reopen)


@router.get("/{application_id}/history", summary="Get an application's history")
async def get_application_history(
    principal: RecordReader, session: SessionDep, application_id: uuid.UUID, page: PageDep
) -> Page[AuditEntryRead]:
    """Every recorded change of the application, newest first, with actor and reason."""
    application = await service.get(session, principal, application_id)
    return await history_page(session, "application", application.id, page)
