"""Territoires d'industrie: list, read, create (admin), update (admin or the territory)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from services.api.deps import (
    AdminOnly,
    AdminOrTerritory,
    AnyRole,
    IfMatchDep,
    PageDep,
    SessionDep,
)
from services.api.etag import with_etag
from services.api.pages import page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.schemas import Page
from shared.territories import repository, service
from shared.territories.schemas import TerritoryCreate, TerritoryRead, TerritoryUpdate

router = APIRouter(prefix="/v1/territories", tags=["territories"], route_class=TidiRoute)


@router.get("", summary="List territories")
async def list_territories(
    principal: AnyRole,
    session: SessionDep,
    page: PageDep,
    region: Annotated[
        str | None, Query(pattern=r"^[0-9]{2}$", description="INSEE region code.")
    ] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Name or code contains."),
    ] = None,
) -> Page[TerritoryRead]:
    """Territoires d'industrie by name; contacts only for admins and the territory itself."""
    return await page_of(
        session,
        repository.list_statement(region=region, q=q),
        sort=repository.BY_NAME,
        page=page,
        read=TerritoryRead,
        convert=lambda t: service.to_read(t, principal),
    )


@router.get("/{territory_id}", summary="Get a territory")
async def get_territory(
    principal: AnyRole, session: SessionDep, territory_id: uuid.UUID, response: Response
) -> TerritoryRead:
    """One territory; its `ETag` is needed to update it."""
    territory = await service.get(session, territory_id)
    with_etag(response, territory.version)
    return service.to_read(territory, principal)


@router.post(
    "",
    summary="Create a territory",
    status_code=status.HTTP_201_CREATED,
    responses=problems(409),
)
async def create_territory(
    principal: AdminOnly, session: SessionDep, body: TerritoryCreate, response: Response
) -> TerritoryRead:
    """Register a Territoire d'industrie with its EPCIs (SIRENs checked) and binôme."""
    territory = await service.create(session, principal, body)
    with_etag(response, territory.version, location=f"/v1/territories/{territory.id}")
    return service.to_read(territory, principal)


@router.patch("/{territory_id}", summary="Update a territory", responses=problems(409, 412, 428))
async def update_territory(
    principal: AdminOrTerritory,
    session: SessionDep,
    territory_id: uuid.UUID,
    body: TerritoryUpdate,
    expected_version: IfMatchDep,
    response: Response,
) -> TerritoryRead:
    """Change a territory. Territory keys may change only their own `description` and `contacts`."""
    territory = await service.get(session, territory_id)
    territory = await service.update(session, principal, territory, body, if_match=expected_version)
    with_etag(response, territory.version)
    return service.to_read(territory, principal)
