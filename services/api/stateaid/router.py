"""The State-aid register: awards recorded at approval, aid granted elsewhere, and the de
minimis room of an undertaking."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from services.api.deps import AdminOrOperator, PageDep, SessionDep
from services.api.pages import page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.schemas import Page
from shared.stateaid import repository, service
from shared.stateaid.schemas import AidGrantRead, DeminimisRoom, ExternalAidCreate
from shared.types import IsoDate, Siren

router = APIRouter(prefix="/v1/aid-register", tags=["state-aid"], route_class=TidiRoute)


@router.get("", summary="List the State-aid register")
async def list_aid_grants(
    _: AdminOrOperator,
    session: SessionDep,
    page: PageDep,
    siren: Annotated[Siren | None, Query(description="Only this undertaking's grants.")] = None,
) -> Page[AidGrantRead]:
    """Grants, newest first: awards approved in tidi and aid recorded from elsewhere."""
    return await page_of(
        session,
        repository.grants_of(siren),
        sort=repository.NEWEST_FIRST,
        page=page,
        read=AidGrantRead,
    )


@router.post(
    "",
    summary="Record aid granted elsewhere",
    status_code=201,
    responses=problems(422),
)
async def record_external_aid(
    principal: AdminOrOperator, session: SessionDep, body: ExternalAidCreate, response: Response
) -> AidGrantRead:
    """Aid an undertaking received outside tidi (source, reference): it counts in the de
    minimis cumulation of every later approval for the same SIREN."""
    grant = await service.record_external(session, principal, body)
    response.headers["Location"] = f"/v1/aid-register?siren={grant.siren}"
    return AidGrantRead.model_validate(grant)


@router.get("/{siren}/de-minimis", summary="Get an undertaking's de minimis room")
async def get_deminimis_room(
    _: AdminOrOperator,
    session: SessionDep,
    siren: Siren,
    on: Annotated[
        IsoDate | None, Query(description="The date (default today): three years back from it.")
    ] = None,
) -> DeminimisRoom:
    """The de minimis the register holds for the undertaking over the three rolling years
    ending `on`, and what remains of the 300 k€ ceiling (before what it declares itself)."""
    return await service.deminimis_room(session, siren, on or datetime.now(UTC).date())
