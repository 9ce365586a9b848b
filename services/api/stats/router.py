"""Programme statistics: the figures of the caller's scope, in total, per territory and per
region (aggregates only: observers read them too)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.api.deps import AnyRole, PageDep
from services.api.lists import RegionFilter
from services.api.routing import TidiRoute
from services.api.stats.deps import ReadSessionDep
from shared.applications.enums import ApplicationStatus
from shared.classification import Priority, ProjectNature
from shared.schemas import Page
from shared.stats import service
from shared.stats.filters import StatsFilters
from shared.stats.schemas import ProgrammeStats, RegionStats, TerritoryStats
from shared.types import IsoDate

DEPARTMENT_PATTERN = r"^(?:[0-9]{2}|2A|2B|97[1-8]|98[4-9])$"
router = APIRouter(prefix="/v1/stats/programme", tags=["statistics"], route_class=TidiRoute)

_SCOPE = """Each key reads its own scope, applied in the queries: admins and observers
the whole programme, territory keys their territory, region keys the applications whose
site is in their region, operator keys the applications to their funds. Applications count
once submitted. Reads the reporting replica when one is configured (`DATABASE_READ_URL`):
figures may then lag the latest changes by the replication delay."""


async def stats_filters(
    submitted_from: Annotated[
        IsoDate | None, Query(description="Submitted on or after this day (UTC, YYYY-MM-DD).")
    ] = None,
    submitted_to: Annotated[
        IsoDate | None, Query(description="Submitted on or before this day (UTC, YYYY-MM-DD).")
    ] = None,
    region: RegionFilter = None,
    department: Annotated[
        str | None,
        Query(pattern=DEPARTMENT_PATTERN, description="INSEE department code of the site."),
    ] = None,
    territory_id: Annotated[uuid.UUID | None, Query(description="The territory.")] = None,
    fund: Annotated[str | None, Query(max_length=64, description="Fund code.")] = None,
    priority: Annotated[
        Priority | None, Query(description="The project (as submitted) has this axis.")
    ] = None,
    nature: Annotated[
        ProjectNature | None, Query(description="Kind of project (as submitted).")
    ] = None,
    status: Annotated[
        list[ApplicationStatus] | None, Query(description="Any of these application statuses.")
    ] = None,
    fragile: Annotated[
        bool | None,
        Query(
            description="Site in a fragile territory on the submission day (true), or not "
            "shown to be (false: includes undetermined sites)."
        ),
    ] = None,
) -> StatsFilters:
    """The filters of every statistics operation."""
    return StatsFilters(
        submitted_from=submitted_from,
        submitted_to=submitted_to,
        region=region,
        department=department,
        territory_id=territory_id,
        fund=fund,
        priority=priority,
        nature=nature,
        status=tuple(status or ()),
        fragile=fragile,
    )


StatsFiltersDep = Annotated[StatsFilters, Depends(stats_filters)]


@router.get(
    "",
    summary="Get the programme statistics",
    description="""Applications and projects by status; money requested, awarded, committed
and paid by financer; jobs and investment planned and reported; relocations; the share of
projects and money in fragile territories (FRR, FRR+, QPV, ACV; PVD apart) with the zoning
vintages read; monthly series; decision delays (median, 90th percentile); the
territories with applications counted and their intercommunalités; the endowment (the
envelopes of the funds in scope, by financer).

"""
    + _SCOPE,
)
async def get_programme_stats(
    principal: AnyRole, session: ReadSessionDep, filters: StatsFiltersDep
) -> ProgrammeStats:
    """The figures of the caller's scope matching the filters."""
    return await service.programme(session, principal, filters)


@router.get(
    "/territories",
    summary="List the statistics per territory",
    description="""The programme figures of each territory with applications in scope, by
territory code (applications outside any territory count only in the total).

"""
    + _SCOPE,
)
async def list_territory_stats(
    principal: AnyRole, session: ReadSessionDep, filters: StatsFiltersDep, page: PageDep
) -> Page[TerritoryStats]:
    """A page of territories with their figures."""
    return await service.per_territory(
        session, principal, filters, limit=page.limit, cursor=page.cursor
    )


@router.get(
    "/regions",
    summary="List the statistics per region",
    description="""The programme figures of each region (the projects' sites) with
applications in scope, by region code.

"""
    + _SCOPE,
)
async def list_region_stats(
    principal: AnyRole, session: ReadSessionDep, filters: StatsFiltersDep, page: PageDep
) -> Page[RegionStats]:
    """A page of regions with their figures."""
    return await service.per_region(
        session, principal, filters, limit=page.limit, cursor=page.cursor
    )
