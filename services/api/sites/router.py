"""Sites clés en main: the catalogue search, proposals by the territories, the State's label."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from services.api.deps import (
    AdminOnly,
    AdminOrTerritory,
    AnyRole,
    IfMatchDep,
    PageDep,
    SessionDep,
)
from services.api.etag import with_etag
from services.api.idempotency import IdempotencyKey, create_once
from services.api.pages import history_page, page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from services.api.sites.deps import ProposalReader, SiteFiltersDep, refuse_query
from shared.audit.schemas import AuditEntryRead
from shared.principal import Principal
from shared.schemas import Page
from shared.sites import repository, service
from shared.sites.models import Site
from shared.sites.schemas import (
    LabelRequest,
    RefusalRequest,
    TurnkeySiteCreate,
    TurnkeySiteRead,
    TurnkeySiteUpdate,
)

router = APIRouter(prefix="/v1/sites", tags=["sites"], route_class=TidiRoute)

SortParam = Annotated[
    str | None,
    Query(
        pattern=r"^(-?(created_at|updated_at|area_ha)|name)$",
        description="Order: created_at, updated_at, area_ha (prefix - for descending), name; "
        "default -created_at. A search around a point is nearest first (no `sort`).",
    ),
]
SiteId = Annotated[uuid.UUID, Path(description="Id of the site.")]
_WRITE_PROBLEMS = problems(409, 412, 428)


@router.get("", summary="Search sites", responses=problems(400))
async def list_sites(
    principal: AnyRole,
    session: SessionDep,
    page: PageDep,
    filters: SiteFiltersDep,
    sort: SortParam = None,
) -> Page[TurnkeySiteRead]:
    """The catalogue: labelled sites, for every key; territory keys also see their own
    proposals, region keys those of their region's territories, admins everything.
    Around a point (`latitude`, `longitude`, `radius_km`), the nearest first, each with
    its `distance_km` (sites without coordinates are then left out)."""
    if filters.near is not None and sort is not None:
        refuse_query("sort", "a search around a point is nearest first: leave sort out", sort)
    order = (
        repository.nearest_first(filters.near)
        if filters.near is not None
        else repository.SORTS[sort or "-created_at"]
    )
    return await page_of(
        session,
        repository.filtered(repository.readable(principal), filters),
        sort=order,
        page=page,
        read=TurnkeySiteRead,
        convert=lambda site: service.to_read(site, principal),
    )


@router.post(
    "",
    summary="Propose a site",
    status_code=201,
    response_model=TurnkeySiteRead,
    responses=problems(409),
)
async def create_site(
    principal: AdminOrTerritory,
    session: SessionDep,
    body: TurnkeySiteCreate,
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Record a draft site in one of the territory's communes (territory keys: their own;
    admins name the territory); `POST …/propose` then submits it for the label. Without
    `coordinates`, the site is placed at its commune's centre when known."""

    async def create() -> tuple[TurnkeySiteRead, dict[str, str]]:
        site = await service.create(session, principal, body)
        headers = {"Location": f"/v1/sites/{site.id}", "ETag": f'"{site.version}"'}
        return service.to_read(site, principal), headers

    return await create_once(session, principal, request, idempotency_key, body, create)


@router.get("/{site_id}", summary="Get a site")
async def get_site(
    principal: AnyRole, session: SessionDep, site_id: SiteId, response: Response
) -> TurnkeySiteRead:
    """One site (labelled ones: every key; proposals: their territory, its region, admins);
    its `ETag` is needed to change it."""
    site = await service.get(session, principal, site_id)
    with_etag(response, site.version)
    return service.to_read(site, principal)


@router.patch("/{site_id}", summary="Update a site", responses=_WRITE_PROBLEMS)
async def update_site(
    principal: AdminOrTerritory,
    session: SessionDep,
    site_id: SiteId,
    body: TurnkeySiteUpdate,
    expected_version: IfMatchDep,
    response: Response,
) -> TurnkeySiteRead:
    """Change a site that is not labelled yet (its territory or an admin; send `If-Match`)."""
    site = await service.get(session, principal, site_id)
    site = await service.update(session, principal, site, body, if_match=expected_version)
    return _answer(site, principal, response)


@router.get("/{site_id}/history", summary="Get a site's history")
async def get_site_history(
    principal: ProposalReader, session: SessionDep, site_id: SiteId, page: PageDep
) -> Page[AuditEntryRead]:
    """Every recorded change of a site, newest first, with actor and reason (its territory,
    its region and admins)."""
    site = await service.get(session, principal, site_id, catalogue=False)
    return await history_page(session, "site", site.id, page)


@router.post(
    "/{site_id}/propose", summary="Propose a site for the label", responses=_WRITE_PROBLEMS
)
async def propose_site(
    principal: AdminOrTerritory,
    session: SessionDep,
    site_id: SiteId,
    expected_version: IfMatchDep,
    response: Response,
) -> TurnkeySiteRead:
    """Submit a draft (or refused, since changed) site to the State for the label; send
    `If-Match`. Illegal from the current status: 409."""
    return await _act(session, principal, site_id, "propose", expected_version, response)


@router.post("/{site_id}/withdraw", summary="Withdraw a site proposal", responses=_WRITE_PROBLEMS)
async def withdraw_site(
    principal: AdminOrTerritory,
    session: SessionDep,
    site_id: SiteId,
    expected_version: IfMatchDep,
    response: Response,
) -> TurnkeySiteRead:
    """Take a proposal back to draft; send `If-Match`. Illegal from the current status: 409."""
    return await _act(session, principal, site_id, "withdraw", expected_version, response)


@router.post("/{site_id}/label", summary="Label a site", responses=_WRITE_PROBLEMS)
async def label_site(
    principal: AdminOnly,
    session: SessionDep,
    site_id: SiteId,
    body: LabelRequest,
    expected_version: IfMatchDep,
    response: Response,
) -> TurnkeySiteRead:
    """Grant the State's label to a proposed site, with its vintage: it joins the public
    catalogue. Send `If-Match`; illegal from the current status: 409."""
    site = await service.get(session, principal, site_id, for_update=True)
    site = await service.transition(
        session, principal, site, "label", if_match=expected_version, vintage=body.vintage
    )
    return _answer(site, principal, response)


@router.post("/{site_id}/refuse", summary="Refuse a site's label", responses=_WRITE_PROBLEMS)
async def refuse_site(
    principal: AdminOnly,
    session: SessionDep,
    site_id: SiteId,
    body: RefusalRequest,
    expected_version: IfMatchDep,
    response: Response,
) -> TurnkeySiteRead:
    """Refuse the label to a proposed site, saying why; its territory may change it and
    propose it again. Send `If-Match`; illegal from the current status: 409."""
    site = await service.get(session, principal, site_id, for_update=True)
    site = await service.transition(
        session, principal, site, "refuse", if_match=expected_version, reason=body.reason
    )
    return _answer(site, principal, response)


async def _act(
    session: SessionDep,
    principal: Principal,
    site_id: SiteId,
    action: str,
    expected_version: int | None,
    response: Response,
) -> TurnkeySiteRead:
    site = await service.get(session, principal, site_id, for_update=True)
    site = await service.transition(session, principal, site, action, if_match=expected_version)
    return _answer(site, principal, response)


def _answer(site: Site, principal: Principal, response: Response) -> TurnkeySiteRead:
    with_etag(response, site.version)
    return service.to_read(site, principal)
