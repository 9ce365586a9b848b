"""Partner operators: list, read, create and update (admin)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.api.deps import AdminOnly, AnyRole, IfMatchDep, PageDep, SessionDep
from services.api.etag import with_etag
from services.api.pages import page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.operators import repository, service
from shared.operators.models import OperatorKind
from shared.operators.schemas import OperatorCreate, OperatorRead, OperatorUpdate
from shared.schemas import Page

router = APIRouter(prefix="/v1/operators", tags=["operators"], route_class=TidiRoute)
OperatorCode = Annotated[str, Path(max_length=64, description="Operator code.")]


@router.get("", summary="List operators")
async def list_operators(
    _: AnyRole,
    session: SessionDep,
    page: PageDep,
    kind: Annotated[OperatorKind | None, Query(description="Only this kind.")] = None,
) -> Page[OperatorRead]:
    """Partner operators by code."""
    return await page_of(
        session,
        repository.list_statement(kind=kind),
        sort=repository.BY_CODE,
        page=page,
        read=OperatorRead,
    )


@router.get("/{operator_code}", summary="Get an operator")
async def get_operator(
    _: AnyRole, session: SessionDep, operator_code: OperatorCode, response: Response
) -> OperatorRead:
    """One operator by code; its `ETag` is needed to update it."""
    operator = await service.get(session, operator_code)
    with_etag(response, operator.version)
    return OperatorRead.model_validate(operator)


@router.post(
    "",
    summary="Create an operator",
    status_code=status.HTTP_201_CREATED,
    responses=problems(409),
)
async def create_operator(
    principal: AdminOnly, session: SessionDep, body: OperatorCreate, response: Response
) -> OperatorRead:
    """Register a partner operator."""
    operator = await service.create(session, principal, body)
    with_etag(response, operator.version, location=f"/v1/operators/{operator.code}")
    return OperatorRead.model_validate(operator)


@router.patch("/{operator_code}", summary="Update an operator", responses=problems(412, 428))
async def update_operator(
    principal: AdminOnly,
    session: SessionDep,
    operator_code: OperatorCode,
    body: OperatorUpdate,
    expected_version: IfMatchDep,
    response: Response,
) -> OperatorRead:
    """Change an operator (send `If-Match`)."""
    operator = await service.get(session, operator_code)
    operator = await service.update(session, principal, operator, body, if_match=expected_version)
    with_etag(response, operator.version)
    return OperatorRead.model_validate(operator)
