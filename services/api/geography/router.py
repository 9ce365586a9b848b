"""Reference geography: regions, departments, EPCIs and communes (read-only)."""

from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Query

from services.api.deps import AnyRole, PageDep, SessionDep
from services.api.pages import page_of
from services.api.routing import TidiRoute
from shared.errors import NotFound
from shared.geography import repository
from shared.geography.models import Commune, Department, Epci, Region
from shared.geography.schemas import CommuneRead, DepartmentRead, EpciRead, RegionRead
from shared.schemas import Page

router = APIRouter(prefix="/v1", tags=["geography"], route_class=TidiRoute)
M = TypeVar("M")

RegionFilter = Annotated[str | None, Query(pattern=r"^[0-9]{2}$", description="INSEE region code.")]
DepartmentFilter = Annotated[
    str | None, Query(pattern=r"^[0-9AB]{2,3}$", description="INSEE department code.")
]
TextFilter = Annotated[
    str | None, Query(min_length=1, max_length=100, description="Name contains.")
]


@router.get("/regions", summary="List regions")
async def list_regions(_: AnyRole, session: SessionDep, page: PageDep) -> Page[RegionRead]:
    """Regions and overseas collectivities, by INSEE code."""
    return await page_of(
        session,
        repository.regions(),
        sort=repository.REGIONS_BY_CODE,
        page=page,
        read=RegionRead,
    )


@router.get("/regions/{region_code}", summary="Get a region")
async def get_region(
    _: AnyRole, session: SessionDep, region_code: Annotated[str, Path(max_length=3)]
) -> RegionRead:
    """One region by INSEE code."""
    return RegionRead.model_validate(await _get(session, Region, region_code, "region"))


@router.get("/departments", summary="List departments")
async def list_departments(
    _: AnyRole, session: SessionDep, page: PageDep, region: RegionFilter = None
) -> Page[DepartmentRead]:
    """Departments, optionally of one region."""
    return await page_of(
        session,
        repository.departments(region=region),
        sort=repository.DEPARTMENTS_BY_CODE,
        page=page,
        read=DepartmentRead,
    )


@router.get("/departments/{department_code}", summary="Get a department")
async def get_department(
    _: AnyRole, session: SessionDep, department_code: Annotated[str, Path(max_length=3)]
) -> DepartmentRead:
    """One department by INSEE code."""
    return DepartmentRead.model_validate(
        await _get(session, Department, department_code, "department")
    )


@router.get("/epcis", summary="List intercommunalities (EPCI)")
async def list_epcis(
    _: AnyRole,
    session: SessionDep,
    page: PageDep,
    region: RegionFilter = None,
    department: DepartmentFilter = None,
    q: TextFilter = None,
) -> Page[EpciRead]:
    """EPCIs by name, filtered by region, department or name fragment."""
    return await page_of(
        session,
        repository.epcis(region=region, department=department, q=q),
        sort=repository.EPCIS_BY_NAME,
        page=page,
        read=EpciRead,
    )


@router.get("/epcis/{siren}", summary="Get an intercommunality (EPCI)")
async def get_epci(
    _: AnyRole, session: SessionDep, siren: Annotated[str, Path(max_length=9)]
) -> EpciRead:
    """One EPCI by SIREN."""
    return EpciRead.model_validate(await _get(session, Epci, siren, "EPCI"))


@router.get("/communes", summary="List communes")
async def list_communes(
    _: AnyRole,
    session: SessionDep,
    page: PageDep,
    department: DepartmentFilter = None,
    epci: Annotated[str | None, Query(pattern=r"^[0-9]{9}$", description="EPCI SIREN.")] = None,
    postal_code: Annotated[str | None, Query(pattern=r"^[0-9]{5}$")] = None,
    q: TextFilter = None,
) -> Page[CommuneRead]:
    """Communes by INSEE code, filtered by department, EPCI, postal code or name."""
    return await page_of(
        session,
        repository.communes(department=department, epci=epci, postal_code=postal_code, q=q),
        sort=repository.COMMUNES_BY_CODE,
        page=page,
        read=CommuneRead,
    )


@router.get("/communes/{insee_code}", summary="Get a commune")
async def get_commune(
    _: AnyRole, session: SessionDep, insee_code: Annotated[str, Path(max_length=5)]
) -> CommuneRead:
    """One commune by INSEE code."""
    return CommuneRead.model_validate(await _get(session, Commune, insee_code, "commune"))


async def _get(session: SessionDep, model: type[M], key: str, label: str) -> M:
    row = await session.get(model, key)
    if row is None:
        raise NotFound(f"no {label} with code {key!r}")
    return row
