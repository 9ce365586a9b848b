"""The keys around sites clés en main: Pontivy's territory (Bretagne, the proposer), Albi's
(Occitanie), both regions, Business France (an operator reading the catalogue), an observer
and an admin (the State, who labels); and sites driven through the API."""

import math
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.geography.models import Commune
from tests.fixtures.builders import ALBI_EPCI, Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal

# Commune centres (WGS 84) used as known points.
PONTIVY = ("56178", 48.0686, -2.9628)
NOYAL_PONTIVY = ("56151", 48.0658, -2.8844)  # ~5.8 km east of Pontivy
CLEGUEREC = ("56041", 48.1253, -3.0700)  # ~10.2 km north-west
ROHAN = ("56198", 48.0700, -2.7514)  # ~15.7 km east
ALBI = ("81004", 43.9289, 2.1464)


class Keys:
    """Portals by who holds the key; `ids` holds the territories' ids."""

    def __init__(self, client: httpx.AsyncClient, keys: dict[str, Key], ids: dict[str, str]):
        self.portals = {who: Portal(client, key.secret) for who, key in keys.items()}
        self.ids = ids

    def __getitem__(self, who: str) -> Portal:
        return self.portals[who]


@pytest.fixture
async def keys(client: httpx.AsyncClient, make_key: MakeKey, make_territory: MakeTerritory) -> Keys:
    pontivy = await make_territory("ti-pontivy")
    albi = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
    return Keys(
        client,
        {
            "territory": await make_key("territory", territory_id=pontivy.id),
            "other_territory": await make_key("territory", territory_id=albi.id),
            "region": await make_key("region", region_code="53"),
            "other_region": await make_key("region", region_code="76"),
            "operator": await make_key("operator", operator_code="business-france"),
            "observer": await make_key("observer"),
            "admin": await make_key("admin"),
        },
        {"territory": str(pontivy.id), "other_territory": str(albi.id)},
    )


@pytest.fixture
async def pontivy_centre(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """Pontivy's centre known to the reference data for one test (geography is shared by
    the whole session: it is put back as it was)."""
    insee, latitude, longitude = PONTIVY
    await _set_centre(sessionmaker, insee, latitude, longitude)
    try:
        yield
    finally:
        await _set_centre(sessionmaker, insee, None, None)


async def _set_centre(
    sessionmaker: async_sessionmaker[AsyncSession],
    insee: str,
    latitude: float | None,
    longitude: float | None,
) -> None:
    async with sessionmaker() as session:
        await session.execute(
            update(Commune)
            .where(Commune.insee_code == insee)
            .values(latitude=latitude, longitude=longitude)
        )
        await session.commit()


def site_body(place: tuple[str, float, float] = PONTIVY, **overrides: Any) -> dict[str, Any]:
    """A site at `place` (commune and coordinates), 20 ha, public land."""
    insee, latitude, longitude = place
    return {
        "name": f"Parc d'activités {insee}",
        "commune_insee": insee,
        "area_ha": 20.0,
        "land_control": "public",
        "procedures": {"urban_planning": "2021-03-15", "archaeology_diagnosis": "2020-11-20"},
        "services": {"rail": True, "road": True, "power_mva": 12.0},
        "coordinates": {"latitude": latitude, "longitude": longitude},
    } | overrides


async def create(portal: Portal, **overrides: Any) -> dict[str, Any]:
    """A draft site created through the API."""
    response = await portal.call("POST", "/v1/sites", json=site_body(**overrides), expect=201)
    return dict(response.json())


async def labelled(keys: Keys, vintage: int = 2024, **overrides: Any) -> dict[str, Any]:
    """A site proposed by its territory (Pontivy's unless `territory_id` is given to the
    admin) and labelled by the admin."""
    proposer = keys["admin"] if "territory_id" in overrides else keys["territory"]
    site = await create(proposer, **overrides)
    site = await proposer.act(site, "sites", "propose")
    return await keys["admin"].act(site, "sites", "label", json={"vintage": vintage})


def haversine_km(a: tuple[str, float, float], b: tuple[str, float, float]) -> float:
    """The great-circle distance between two places' points (as the search computes it)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[1], a[2], b[1], b[2]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))
