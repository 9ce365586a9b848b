"""The catalogue search: labelled sites for every key, filtered by place, territory and area,
and around a point nearest first with each site's distance (haversine, in SQL)."""

from typing import Any

import pytest

from tests.fixtures.http import assert_problem, error_pointers, walk_pages
from tests.sites.conftest import (
    ALBI,
    CLEGUEREC,
    NOYAL_PONTIVY,
    PONTIVY,
    ROHAN,
    Keys,
    create,
    haversine_km,
    labelled,
)


@pytest.fixture
async def catalogue(keys: Keys) -> dict[str, dict[str, Any]]:
    """Four labelled sites around Pontivy and one at Albi, plus a Pontivy draft."""
    albi = keys.ids["other_territory"]
    return {
        "pontivy": await labelled(keys, area_ha=20.0),
        "noyal": await labelled(keys, place=NOYAL_PONTIVY, area_ha=5.0, land_control="private"),
        "cleguerec": await labelled(keys, place=CLEGUEREC, area_ha=60.0),
        "rohan": await labelled(keys, place=ROHAN, area_ha=110.0, land_control="mixed"),
        "albi": await labelled(keys, place=ALBI, area_ha=45.0, territory_id=albi),
        "draft": await create(keys["territory"], name="Brouillon", area_ha=30.0),
    }


def _ids(sites: dict[str, dict[str, Any]], *names: str) -> set[str]:
    return {sites[name]["id"] for name in names}


async def _found(keys: Keys, who: str, **params: Any) -> set[str]:
    response = await keys[who].call("GET", "/v1/sites", params=params | {"limit": 50}, expect=200)
    return {site["id"] for site in response.json()["items"]}


LABELLED = ("pontivy", "noyal", "cleguerec", "rohan", "albi")


class TestCatalogue:
    @pytest.mark.parametrize("who", ["operator", "observer", "other_territory", "other_region"])
    async def test_every_key_reads_the_labelled_sites(
        self, keys: Keys, catalogue: dict[str, dict[str, Any]], who: str
    ) -> None:
        assert await _found(keys, who) == _ids(catalogue, *LABELLED)

    async def test_the_territory_also_sees_its_draft(
        self, keys: Keys, catalogue: dict[str, dict[str, Any]]
    ) -> None:
        assert await _found(keys, "territory") == _ids(catalogue, *LABELLED, "draft")
        drafts = await _found(keys, "territory", status="draft")
        assert drafts == _ids(catalogue, "draft")

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"region": "76"}, {"albi"}),
            ({"department": "56"}, {"pontivy", "noyal", "cleguerec", "rohan"}),
            ({"min_area_ha": 20, "max_area_ha": 60}, {"pontivy", "cleguerec", "albi"}),
            ({"min_area_ha": 100}, {"rohan"}),
            ({"land_control": "private"}, {"noyal"}),
            ({"region": "53", "max_area_ha": 20}, {"pontivy", "noyal"}),
        ],
    )
    async def test_filters(
        self,
        keys: Keys,
        catalogue: dict[str, dict[str, Any]],
        params: dict[str, Any],
        expected: set[str],
    ) -> None:
        assert await _found(keys, "operator", **params) == _ids(catalogue, *expected)

    async def test_territory_filter(self, keys: Keys, catalogue: dict[str, dict[str, Any]]) -> None:
        found = await _found(keys, "observer", territory_id=keys.ids["other_territory"])
        assert found == _ids(catalogue, "albi")

    @pytest.mark.usefixtures("catalogue")
    async def test_sorted_by_area(self, keys: Keys) -> None:
        response = await keys["observer"].call(
            "GET", "/v1/sites", params={"sort": "-area_ha"}, expect=200
        )
        areas = [site["area_ha"] for site in response.json()["items"]]
        assert areas == [110.0, 60.0, 45.0, 20.0, 5.0]


class TestDistance:
    async def test_nearest_first_within_the_radius_with_distances(
        self, keys: Keys, catalogue: dict[str, dict[str, Any]]
    ) -> None:
        point = {"latitude": PONTIVY[1], "longitude": PONTIVY[2]}
        response = await keys["operator"].call(
            "GET", "/v1/sites", params=point | {"radius_km": 12}, expect=200
        )
        items = response.json()["items"]
        assert [site["id"] for site in items] == [
            catalogue[name]["id"] for name in ("pontivy", "noyal", "cleguerec")
        ]
        expected = [haversine_km(PONTIVY, place) for place in (PONTIVY, NOYAL_PONTIVY, CLEGUEREC)]
        assert [site["distance_km"] for site in items] == pytest.approx(expected, abs=1e-6)
        assert 5.5 < items[1]["distance_km"] < 6.2
        assert 9.8 < items[2]["distance_km"] < 10.6

    async def test_a_larger_radius_reaches_further(
        self, keys: Keys, catalogue: dict[str, dict[str, Any]]
    ) -> None:
        point = {"latitude": PONTIVY[1], "longitude": PONTIVY[2], "radius_km": 20}
        found = await _found(keys, "observer", **point)
        assert found == _ids(catalogue, "pontivy", "noyal", "cleguerec", "rohan")
        far = {"latitude": PONTIVY[1], "longitude": PONTIVY[2], "radius_km": 1000}
        assert await _found(keys, "observer", **far) == _ids(catalogue, *LABELLED)

    async def test_the_default_radius_is_50_km(
        self, keys: Keys, catalogue: dict[str, dict[str, Any]]
    ) -> None:
        point = {"latitude": ALBI[1], "longitude": ALBI[2]}
        assert await _found(keys, "observer", **point) == _ids(catalogue, "albi")

    async def test_filters_combine_with_distance(
        self, keys: Keys, catalogue: dict[str, dict[str, Any]]
    ) -> None:
        point = {"latitude": PONTIVY[1], "longitude": PONTIVY[2], "radius_km": 20}
        found = await _found(keys, "observer", **point, min_area_ha=50)
        assert found == _ids(catalogue, "cleguerec", "rohan")

    async def test_pages_follow_the_distance_order(
        self, keys: Keys, catalogue: dict[str, dict[str, Any]]
    ) -> None:
        point: dict[str, str | int] = {
            "latitude": str(ROHAN[1]),
            "longitude": str(ROHAN[2]),
            "radius_km": 30,
        }
        secret = keys["observer"].headers["Authorization"].removeprefix("Bearer ")
        sites, pages = await walk_pages(
            keys["observer"].client, "/v1/sites", secret, params=point, limit=1
        )
        distances = [site["distance_km"] for site in sites]
        assert (len(sites), pages) == (4, 4)
        assert distances == sorted(distances)
        assert sites[0]["id"] == catalogue["rohan"]["id"]

    @pytest.mark.parametrize(
        ("params", "pointer"),
        [
            ({"latitude": 48.0}, "/query/longitude"),
            ({"longitude": -2.9}, "/query/latitude"),
            ({"radius_km": 10}, "/query/latitude"),
            ({"latitude": 91, "longitude": 0}, "/query/latitude"),
            ({"latitude": 48.0, "longitude": -2.9, "radius_km": 0}, "/query/radius_km"),
            ({"latitude": 48.0, "longitude": -2.9, "radius_km": 5000}, "/query/radius_km"),
            ({"latitude": 48.0, "longitude": -2.9, "sort": "name"}, "/query/sort"),
            ({"min_area_ha": 50, "max_area_ha": 10}, "/query/max_area_ha"),
            ({"sort": "distance"}, "/query/sort"),
            ({"status": "approved"}, "/query/status/0"),
            ({"region": "Bretagne"}, "/query/region"),
        ],
    )
    async def test_invalid_parameters_are_422_naming_them(
        self, keys: Keys, params: dict[str, Any], pointer: str
    ) -> None:
        response = await keys["observer"].call("GET", "/v1/sites", params=params)
        assert pointer in error_pointers(assert_problem(response, 422))
