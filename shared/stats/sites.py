"""Labelled sites clés en main per region: the catalogue in the programme figures."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.sites.enums import SiteStatus
from shared.sites.models import Site
from shared.stats.filters import StatsFilters


async def labelled_by_region(session: AsyncSession, filters: StatsFilters) -> dict[str, int]:
    """Labelled sites counted by the region of their commune (regions without any left out).

    The catalogue is public, so every key counts all of it; of the filters, only the place
    (region, department) and the territory apply: the others describe applications.
    """
    statement = (
        select(Site.region_code, func.count())
        .where(Site.status == SiteStatus.LABELLED)
        .group_by(Site.region_code)
        .order_by(Site.region_code)
    )
    if filters.region is not None:
        statement = statement.where(Site.region_code == filters.region)
    if filters.department is not None:
        statement = statement.where(Site.department_code == filters.department)
    if filters.territory_id is not None:
        statement = statement.where(Site.territory_id == filters.territory_id)
    rows = await session.execute(statement)
    return {region: int(count) for region, count in rows}
