"""Who reads site proposals, and the catalogue's search parameters."""

import uuid
from typing import Annotated, Any, NoReturn

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError

from services.api.deps import Authorize
from services.api.lists import RegionFilter
from shared.principal import Principal, Role
from shared.sites.enums import LandControl, SiteStatus
from shared.sites.repository import Nearby, SiteFilters

ProposalReader = Annotated[Principal, Depends(Authorize(Role.ADMIN, Role.TERRITORY, Role.REGION))]
"""Who follows proposals (territories theirs, region keys their region's territories')."""

DEPARTMENT_PATTERN = r"^(?:[0-9]{2}|2A|2B|97[1-8]|98[4-9])$"
DEFAULT_RADIUS_KM = 50.0


async def site_filters(
    status: Annotated[list[SiteStatus] | None, Query(description="Any of these statuses.")] = None,
    region: RegionFilter = None,
    department: Annotated[
        str | None,
        Query(pattern=DEPARTMENT_PATTERN, description="INSEE department code of the site."),
    ] = None,
    territory_id: Annotated[uuid.UUID | None, Query(description="The proposing territory.")] = None,
    min_area_ha: Annotated[
        float | None, Query(ge=0, le=100_000, description="At least this area (ha).")
    ] = None,
    max_area_ha: Annotated[
        float | None, Query(ge=0, le=100_000, description="At most this area (ha).")
    ] = None,
    land_control: Annotated[LandControl | None, Query(description="Land control.")] = None,
    latitude: Annotated[
        float | None, Query(ge=-90, le=90, description="Search around this point (WGS 84).")
    ] = None,
    longitude: Annotated[
        float | None, Query(ge=-180, le=180, description="With `latitude`.")
    ] = None,
    radius_km: Annotated[
        float | None,
        Query(
            gt=0,
            le=1000,
            description=f"Distance from the point, in km (default {DEFAULT_RADIUS_KM:g}).",
        ),
    ] = None,
) -> SiteFilters:
    """The search filters; a point (`latitude` and `longitude`) sorts nearest first."""
    _check_together(latitude, longitude, radius_km, min_area_ha, max_area_ha)
    near = None
    if latitude is not None and longitude is not None:
        near = Nearby(latitude, longitude, radius_km or DEFAULT_RADIUS_KM)
    return SiteFilters(
        status=tuple(status or ()),
        region=region,
        department=department,
        territory_id=territory_id,
        min_area_ha=min_area_ha,
        max_area_ha=max_area_ha,
        land_control=land_control,
        near=near,
    )


def _check_together(
    latitude: float | None,
    longitude: float | None,
    radius_km: float | None,
    min_area_ha: float | None,
    max_area_ha: float | None,
) -> None:
    """Parameters that only make sense together, each refusal naming the one to fix."""
    if (latitude is None) != (longitude is None):
        missing = "longitude" if longitude is None else "latitude"
        refuse_query(missing, "latitude and longitude go together", None)
    if radius_km is not None and latitude is None:
        refuse_query("latitude", "radius_km needs a point (latitude and longitude)", None)
    if min_area_ha is not None and max_area_ha is not None and min_area_ha > max_area_ha:
        refuse_query("max_area_ha", "must not be less than min_area_ha", max_area_ha)


def refuse_query(parameter: str, message: str, value: Any) -> NoReturn:
    """A 422 naming the query parameter (`/query/<parameter>`), whose value conflicts with
    another parameter's (error type `parameters_conflict`)."""
    raise RequestValidationError(
        [
            {
                "loc": ("query", parameter),
                "msg": message,
                "type": "parameters_conflict",
                "input": value,
            }
        ]
    )


SiteFiltersDep = Annotated[SiteFilters, Depends(site_filters)]
