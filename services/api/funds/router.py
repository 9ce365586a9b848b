"""Funds (schemes): list with filters, read, create and update (admin)."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AwareDatetime

from services.api.deps import AdminOnly, AnyRole, IfMatchDep, PageDep, SessionDep
from services.api.etag import with_etag
from services.api.pages import page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.funds import repository, service
from shared.funds.models import FundStatus
from shared.funds.schemas import FundCreate, FundRead, FundUpdate
from shared.schemas import Page

router = APIRouter(prefix="/v1/funds", tags=["funds"], route_class=TidiRoute)
FundCode = Annotated[str, Path(max_length=64, description="Fund code.")]


@router.get("", summary="List funds")
async def list_funds(
    _: AnyRole,
    session: SessionDep,
    page: PageDep,
    status_: Annotated[FundStatus | None, Query(alias="status")] = None,
    operator: Annotated[str | None, Query(max_length=64, description="Operator code.")] = None,
    open_at: Annotated[
        AwareDatetime | None,
        Query(description="Only funds open for applications at this moment (RFC 3339)."),
    ] = None,
    open_now: Annotated[bool, Query(description="Only funds open for applications now.")] = False,
) -> Page[FundRead]:
    """Funds by code, filtered by status, operator and open window."""
    moment = open_at or (datetime.now(UTC) if open_now else None)
    return await page_of(
        session,
        repository.list_statement(status=status_, operator=operator, open_at=moment),
        sort=repository.BY_CODE,
        page=page,
        read=FundRead,
    )


@router.get("/{fund_code}", summary="Get a fund")
async def get_fund(
    _: AnyRole, session: SessionDep, fund_code: FundCode, response: Response
) -> FundRead:
    """One fund by code; its `ETag` is needed to update it."""
    fund = await service.get(session, fund_code)
    with_etag(response, fund.version)
    return FundRead.model_validate(fund)


@router.post(
    "",
    summary="Create a fund",
    status_code=status.HTTP_201_CREATED,
    responses=problems(409),
)
async def create_fund(
    principal: AdminOnly, session: SessionDep, body: FundCreate, response: Response
) -> FundRead:
    """Register a fund under its operator."""
    fund = await service.create(session, principal, body)
    with_etag(response, fund.version, location=f"/v1/funds/{fund.code}")
    return FundRead.model_validate(fund)


@router.patch("/{fund_code}", summary="Update a fund", responses=problems(412, 428))
async def update_fund(
    principal: AdminOnly,
    session: SessionDep,
    fund_code: FundCode,
    body: FundUpdate,
    expected_version: IfMatchDep,
    response: Response,
) -> FundRead:
    """Change a fund: window, status, envelope… (send `If-Match`)."""
    fund = await service.get(session, fund_code)
    fund = await service.update(session, principal, fund, body, if_match=expected_version)
    with_etag(response, fund.version)
    return FundRead.model_validate(fund)
