"""Industrial projects: list, read, create, edit drafts, lifecycle actions, history."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from services.api.deps import (
    AdminOrTerritory,
    IfMatchDep,
    PageDep,
    RecordReader,
    SessionDep,
)
from services.api.etag import with_etag
from services.api.idempotency import IdempotencyKey, create_once
from services.api.lists import RecordFiltersDep, SortParam
from services.api.pages import history_page, page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.applications import repository as application_repository
from shared.audit.schemas import AuditEntryRead
from shared.principal import Principal
from shared.projects import repository, service
from shared.projects.enums import ProjectStatus
from shared.projects.models import Project
from shared.projects.schemas import ProjectCreate, ProjectRead, ProjectUpdate, TransitionRequest
from shared.schemas import Page

router = APIRouter(prefix="/v1/projects", tags=["projects"], route_class=TidiRoute)

ACTIONS: dict[str, str] = {
    "submit": "Submit a draft project to its territory (`project.submitted`).",
    "accept": "Accept a submitted project: it becomes active and may apply to funds.",
    "return": "Return a submitted project to draft for changes (reason required).",
    "reject": "Reject a submitted project (reason required).",
    "withdraw": "Withdraw a project that is not final (reason required).",
    "complete": "Mark an active project completed.",
    "abandon": "Mark an active project abandoned (reason required).",
}


@router.get("", summary="List projects")
async def list_projects(
    principal: RecordReader,
    session: SessionDep,
    page: PageDep,
    filters: RecordFiltersDep,
    status: Annotated[
        list[ProjectStatus] | None, Query(description="Any of these statuses.")
    ] = None,
    sort: SortParam = "-created_at",
) -> Page[ProjectRead]:
    """Projects visible to the key: admins all, territories their own, operators those that
    applied to their funds.
    """
    shown = application_repository.projects_shown_to(principal)
    statement = repository.filtered(
        repository.readable(principal, operator_projects=shown), filters, status=status
    )
    return await page_of(
        session,
        statement,
        sort=repository.SORTS[sort],
        page=page,
        read=ProjectRead,
        convert=service.to_read,
    )


@router.post(
    "",
    summary="Create a project",
    status_code=201,
    response_model=ProjectRead,
    responses=problems(409),
)
async def create_project(
    principal: AdminOrTerritory,
    session: SessionDep,
    body: ProjectCreate,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Register a draft project (territory keys: in their own territory)."""

    async def create() -> tuple[ProjectRead, dict[str, str]]:
        project = await service.create(session, principal, body)
        return service.to_read(project), _headers(project.id, project.version)

    return await create_once(session, principal, request, idempotency_key, body, create)


@router.get("/{project_id}", summary="Get a project")
async def get_project(
    principal: RecordReader, session: SessionDep, project_id: uuid.UUID, response: Response
) -> ProjectRead:
    """One project; its `ETag` is needed to change it."""
    project = await _readable(session, principal, project_id)
    with_etag(response, project.version)
    return service.to_read(project)


@router.patch("/{project_id}", summary="Update a draft project", responses=problems(409, 412, 428))
async def update_project(
    principal: AdminOrTerritory,
    session: SessionDep,
    project_id: uuid.UUID,
    body: ProjectUpdate,
    expected_version: IfMatchDep,
    response: Response,
) -> ProjectRead:
    """Change a draft project (send `If-Match`); emits `project.updated`."""
    project = await service.get(session, principal, project_id)
    project = await service.update(session, principal, project, body, if_match=expected_version)
    with_etag(response, project.version)
    return service.to_read(project)


@router.get("/{project_id}/history", summary="Get a project's history")
async def get_project_history(
    principal: RecordReader, session: SessionDep, project_id: uuid.UUID, page: PageDep
) -> Page[AuditEntryRead]:
    """Every recorded change of the project, newest first, with actor and reason."""
    project = await _readable(session, principal, project_id)
    return await history_page(session, "project", project.id, page)


async def _readable(session: SessionDep, principal: Principal, project_id: uuid.UUID) -> Project:
    """A project the key may read (operators: those that applied to their funds)."""
    shown = application_repository.projects_shown_to(principal)
    return await service.get(session, principal, project_id, operator_projects=shown)


def _headers(project_id: uuid.UUID, version: int) -> dict[str, str]:
    return {"Location": f"/v1/projects/{project_id}", "ETag": f'"{version}"'}


def _action_endpoint(action: str) -> Any:
    async def endpoint(
        principal: AdminOrTerritory,
        session: SessionDep,
        project_id: uuid.UUID,
        expected_version: IfMatchDep,
        response: Response,
        body: TransitionRequest | None = None,
    ) -> ProjectRead:
        project = await service.get(session, principal, project_id, for_update=True)
        project = await service.transition(
            session,
            principal,
            project,
            action,
            reason=body.reason if body else None,
            if_match=expected_version,
        )
        with_etag(response, project.version)
        return service.to_read(project)

    endpoint.__doc__ = ACTIONS[action] + " Send `If-Match`; illegal from the current status: 409."
    return endpoint


for _action in ACTIONS:
    router.add_api_route(
        f"/{{project_id}}/{_action}",
        _action_endpoint(_action),
        methods=["POST"],
        name=f"{_action}_project",
        summary=f"{_action.capitalize()} a project",
        response_model=ProjectRead,
        responses=problems(409, 412, 428),
    )
