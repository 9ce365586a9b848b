"""Queries over sites, scoped to what the principal may see, and the catalogue search."""

import math
import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Double, Select, false, func, or_, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import with_expression

from shared.db.pagination import SortKey
from shared.geography.models import Commune
from shared.principal import Principal, Role
from shared.sites.enums import LandControl, SiteStatus
from shared.sites.models import Site
from shared.territories.models import Territory, TerritoryEpci

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG): haversine distances are within 0.5 % of the ellipsoid's."""
KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
"""Length of one degree of latitude (and of longitude at the equator)."""

SORTS = {
    "created_at": SortKey("created_at", ((Site.created_at, False), (Site.id, False))),
    "-created_at": SortKey("-created_at", ((Site.created_at, True), (Site.id, True))),
    "updated_at": SortKey("updated_at", ((Site.updated_at, False), (Site.id, False))),
    "-updated_at": SortKey("-updated_at", ((Site.updated_at, True), (Site.id, True))),
    "area_ha": SortKey("area_ha", ((Site.area_ha, False), (Site.id, False))),
    "-area_ha": SortKey("-area_ha", ((Site.area_ha, True), (Site.id, True))),
    "name": SortKey("name", ((Site.name, False), (Site.id, False))),
}


@dataclass(frozen=True)
class Nearby:
    """Sites within `radius_km` of a point, nearest first."""

    latitude: float
    longitude: float
    radius_km: float


@dataclass(frozen=True)
class SiteFilters:
    """The catalogue search: each filter optional."""

    status: tuple[SiteStatus, ...] = ()
    region: str | None = None
    department: str | None = None
    territory_id: uuid.UUID | None = None
    min_area_ha: float | None = None
    max_area_ha: float | None = None
    land_control: LandControl | None = None
    near: Nearby | None = None


def readable(principal: Principal, *, catalogue: bool = True) -> Select[Site]:
    """Sites the principal may see: admins all; territory keys their own; region keys those
    of their region's territories; with `catalogue`, every key also sees labelled sites."""
    statement = select(Site)
    if principal.is_admin:
        return statement
    conditions: list[ColumnElement[bool]] = []
    if catalogue:
        conditions.append(Site.status == SiteStatus.LABELLED)
    if principal.role is Role.TERRITORY and principal.territory_id is not None:
        conditions.append(Site.territory_id == principal.territory_id)
    if principal.role is Role.REGION and principal.region_code is not None:
        in_region = select(Territory.id).where(Territory.region_code == principal.region_code)
        conditions.append(Site.territory_id.in_(in_region))
    return statement.where(or_(*conditions) if conditions else false())


SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


def filtered(statement: SelectT, filters: SiteFilters) -> SelectT:
    """Apply the search filters to a statement over sites; a distance search also sets each
    site's `distance_km`."""
    if filters.status:
        statement = statement.where(Site.status.in_(filters.status))
    if filters.region is not None:
        statement = statement.where(Site.region_code == filters.region)
    if filters.department is not None:
        statement = statement.where(Site.department_code == filters.department)
    if filters.territory_id is not None:
        statement = statement.where(Site.territory_id == filters.territory_id)
    if filters.min_area_ha is not None:
        statement = statement.where(Site.area_ha >= filters.min_area_ha)
    if filters.max_area_ha is not None:
        statement = statement.where(Site.area_ha <= filters.max_area_ha)
    if filters.land_control is not None:
        statement = statement.where(Site.land_control == filters.land_control)
    if filters.near is not None:
        distance = distance_km(filters.near)
        statement = statement.where(
            *bounding_box(filters.near), distance <= filters.near.radius_km
        ).options(with_expression(Site.distance_km, distance))
    return statement


def nearest_first(near: Nearby) -> SortKey:
    """The order of a distance search: nearest first, then by id."""
    return SortKey("distance", ((distance_km(near), False), (Site.id, False)))


def distance_km(near: Nearby) -> ColumnElement[float]:
    """The haversine great-circle distance (km) from `near`'s point to each site."""
    lat, lon = math.radians(near.latitude), math.radians(near.longitude)
    half_dlat = (func.radians(Site.latitude) - lat) / 2
    half_dlon = (func.radians(Site.longitude) - lon) / 2
    haversine = func.power(func.sin(half_dlat), 2) + math.cos(lat) * func.cos(
        func.radians(Site.latitude)
    ) * func.power(func.sin(half_dlon), 2)
    # least(1, …): rounding may push the square root a hair above 1, out of asin's domain.
    central_angle = 2 * func.asin(func.least(1.0, func.sqrt(haversine)))
    return type_coerce(EARTH_RADIUS_KM * central_angle, Double()).label("distance_km")


def bounding_box(near: Nearby) -> list[ColumnElement[bool]]:
    """Index-friendly conditions every site within the radius meets (a superset of it)."""
    dlat = near.radius_km / KM_PER_DEGREE
    conditions: list[ColumnElement[bool]] = [
        Site.latitude.between(near.latitude - dlat, near.latitude + dlat)
    ]
    north_south = max(abs(near.latitude - dlat), abs(near.latitude + dlat))
    if north_south < 89:  # near a pole, every longitude may be within the radius
        dlon = dlat / math.cos(math.radians(north_south))
        west, east = near.longitude - dlon, near.longitude + dlon
        if west >= -180 and east <= 180:  # a box across the antimeridian: latitude only
            conditions.append(Site.longitude.between(west, east))
    return conditions


async def get_readable(
    session: AsyncSession,
    principal: Principal,
    site_id: uuid.UUID,
    *,
    catalogue: bool = True,
    for_update: bool = False,
) -> Site | None:
    """One site if the principal may see it (optionally locked for update)."""
    statement = readable(principal, catalogue=catalogue).where(Site.id == site_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def commune_in_territory(
    session: AsyncSession, insee_code: str, territory_id: uuid.UUID
) -> bool:
    """Whether the commune's EPCI belongs to the territory."""
    statement = select(TerritoryEpci.epci_siren).where(
        TerritoryEpci.territory_id == territory_id,
        TerritoryEpci.epci_siren
        == select(Commune.epci_siren).where(Commune.insee_code == insee_code).scalar_subquery(),
    )
    return await session.scalar(statement) is not None
