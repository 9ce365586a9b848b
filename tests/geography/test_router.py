"""Reference geography over HTTP: lookups by code, filters and cursor pages."""

from functools import cache

import httpx
import pytest

from shared.reference.files import data_path, read_rows
from tests.fixtures.api import auth
from tests.fixtures.builders import PONTIVY_EPCI, Key
from tests.fixtures.http import assert_problem, error_pointers, list_all, walk_pages


@cache
def _reference(filename: str) -> tuple[dict[str, str], ...]:
    return tuple(row for _, row in read_rows(data_path(filename)))


def _communes(**criteria: str) -> set[str]:
    return {
        row["insee_code"]
        for row in _reference("communes.csv")
        if all(
            (value in row["postal_codes"].split())
            if field == "postal_codes"
            else row[field] == value
            for field, value in criteria.items()
        )
    }


class TestRegions:
    async def test_list_holds_every_region_by_code(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        items = await list_all(client, "/v1/regions", admin_key.secret)
        codes = [r["code"] for r in items]
        assert codes == sorted(row["code"] for row in _reference("regions.csv"))

    @pytest.mark.parametrize(
        ("code", "name"), [("53", "Bretagne"), ("975", "Saint-Pierre-et-Miquelon")]
    )
    async def test_get_by_code(
        self, client: httpx.AsyncClient, admin_key: Key, code: str, name: str
    ) -> None:
        response = await client.get(f"/v1/regions/{code}", headers=auth(admin_key.secret))
        assert response.status_code == 200
        assert response.json()["name"] == name

    @pytest.mark.parametrize("code", ["99", "5", "XYZ"])
    async def test_unknown_region_is_404(
        self, client: httpx.AsyncClient, admin_key: Key, code: str
    ) -> None:
        assert_problem(await client.get(f"/v1/regions/{code}", headers=auth(admin_key.secret)), 404)


class TestDepartments:
    async def test_filter_by_region(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        items = await list_all(client, "/v1/departments", admin_key.secret, {"region": "53"})
        assert [d["code"] for d in items] == ["22", "29", "35", "56"]

    async def test_get_corsican_department(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        response = await client.get("/v1/departments/2A", headers=auth(admin_key.secret))
        assert response.status_code == 200
        assert response.json()["region_code"] == "94"

    async def test_unknown_department_is_404(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        assert_problem(await client.get("/v1/departments/00", headers=auth(admin_key.secret)), 404)

    async def test_malformed_region_filter_is_422(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.get(
            "/v1/departments", params={"region": "Bretagne"}, headers=auth(admin_key.secret)
        )
        assert "/query/region" in error_pointers(assert_problem(response, 422))

    async def test_pages_of_two_return_each_department_once_in_order(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        everything = await list_all(client, "/v1/departments", admin_key.secret)
        paged, pages = await walk_pages(client, "/v1/departments", admin_key.secret, limit=2)
        assert [d["code"] for d in paged] == [d["code"] for d in everything]
        assert len(everything) == len(_reference("departments.csv"))
        assert pages == (len(everything) + 1) // 2


class TestEpcis:
    async def test_get_by_siren(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        response = await client.get(f"/v1/epcis/{PONTIVY_EPCI}", headers=auth(admin_key.secret))
        assert response.status_code == 200
        body = response.json()
        assert body["name"] == "CC Pontivy Communauté"
        assert body["department_code"] == "56"
        assert body["region_code"] == "53"

    @pytest.mark.parametrize("siren", ["732829320", "000000000", "1"])
    async def test_unknown_epci_is_404(
        self, client: httpx.AsyncClient, admin_key: Key, siren: str
    ) -> None:
        assert_problem(await client.get(f"/v1/epcis/{siren}", headers=auth(admin_key.secret)), 404)

    @pytest.mark.parametrize("q", ["Pontivy", "pontivy", "PONTIVY COMM"])
    async def test_filter_by_name_fragment_ignores_case(
        self, client: httpx.AsyncClient, admin_key: Key, q: str
    ) -> None:
        items = await list_all(client, "/v1/epcis", admin_key.secret, {"q": q})
        assert [e["siren"] for e in items] == [PONTIVY_EPCI]

    @pytest.mark.parametrize("q", ["%", "_", "\\"])
    async def test_wildcards_in_the_fragment_are_literal(
        self, client: httpx.AsyncClient, admin_key: Key, q: str
    ) -> None:
        items = await list_all(client, "/v1/epcis", admin_key.secret, {"q": q})
        assert all(q in e["name"] for e in items)

    async def test_filter_by_department_and_region(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        expected = {r["siren"] for r in _reference("epcis.csv") if r["department_code"] == "56"}
        items = await list_all(client, "/v1/epcis", admin_key.secret, {"department": "56"})
        assert {e["siren"] for e in items} == expected
        in_region = await list_all(
            client, "/v1/epcis", admin_key.secret, {"region": "53", "department": "56"}
        )
        assert {e["siren"] for e in in_region} == expected
        elsewhere = await list_all(
            client, "/v1/epcis", admin_key.secret, {"region": "76", "department": "56"}
        )
        assert elsewhere == []

    async def test_pages_of_two_walk_a_text_search_in_name_order(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        expected = [r for r in _reference("epcis.csv") if "mont" in r["name"].lower()]
        everything = await list_all(client, "/v1/epcis", admin_key.secret, {"q": "mont"})
        paged, pages = await walk_pages(
            client, "/v1/epcis", admin_key.secret, params={"q": "mont"}, limit=2
        )
        assert [e["siren"] for e in paged] == [e["siren"] for e in everything]
        assert {e["siren"] for e in paged} == {r["siren"] for r in expected}
        assert len(paged) == len({e["siren"] for e in paged})
        assert pages == (len(expected) + 1) // 2


class TestCommunes:
    async def test_get_by_insee_code(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        response = await client.get("/v1/communes/56178", headers=auth(admin_key.secret))
        assert response.status_code == 200
        body = response.json()
        assert body["name"] == "Pontivy"
        assert body["epci_siren"] == PONTIVY_EPCI
        assert body["postal_codes"] == ["56300"]

    async def test_get_corsican_commune(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        response = await client.get("/v1/communes/2A004", headers=auth(admin_key.secret))
        assert response.json()["name"] == "Ajaccio"

    @pytest.mark.parametrize("code", ["00000", "56999", "ABCDE"])
    async def test_unknown_commune_is_404(
        self, client: httpx.AsyncClient, admin_key: Key, code: str
    ) -> None:
        assert_problem(
            await client.get(f"/v1/communes/{code}", headers=auth(admin_key.secret)), 404
        )

    async def test_filter_by_department(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        items = await list_all(client, "/v1/communes", admin_key.secret, {"department": "56"})
        assert {c["insee_code"] for c in items} == _communes(department_code="56")

    async def test_filter_by_epci(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        items = await list_all(client, "/v1/communes", admin_key.secret, {"epci": PONTIVY_EPCI})
        assert {c["insee_code"] for c in items} == _communes(epci_siren=PONTIVY_EPCI)
        assert "56178" in {c["insee_code"] for c in items}

    @pytest.mark.parametrize(("postal_code", "included"), [("56300", "56178"), ("20090", "2A004")])
    async def test_filter_by_postal_code_matches_any_of_a_communes_codes(
        self, client: httpx.AsyncClient, admin_key: Key, postal_code: str, included: str
    ) -> None:
        items = await list_all(
            client, "/v1/communes", admin_key.secret, {"postal_code": postal_code}
        )
        codes = {c["insee_code"] for c in items}
        assert codes == _communes(postal_codes=postal_code)
        assert included in codes

    async def test_filter_by_name_fragment(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        items = await list_all(client, "/v1/communes", admin_key.secret, {"q": "pontivy"})
        assert {c["name"] for c in items} == {"Pontivy", "Noyal-Pontivy"}

    async def test_filters_combine(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        items = await list_all(
            client,
            "/v1/communes",
            admin_key.secret,
            {"epci": PONTIVY_EPCI, "postal_code": "56300", "q": "Pon"},
        )
        assert [c["insee_code"] for c in items] == ["56178"]

    @pytest.mark.parametrize(
        ("params", "pointer"),
        [
            ({"postal_code": "563"}, "/query/postal_code"),
            ({"epci": "24561443X"}, "/query/epci"),
            ({"department": "Morbihan"}, "/query/department"),
        ],
        ids=["short-postal-code", "letter-in-siren", "department-name"],
    )
    async def test_malformed_filter_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        params: dict[str, str],
        pointer: str,
    ) -> None:
        response = await client.get("/v1/communes", params=params, headers=auth(admin_key.secret))
        assert pointer in error_pointers(assert_problem(response, 422))

    async def test_pages_of_two_return_each_commune_once_in_code_order(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        expected = sorted(_communes(epci_siren=PONTIVY_EPCI))
        paged, pages = await walk_pages(
            client, "/v1/communes", admin_key.secret, params={"epci": PONTIVY_EPCI}, limit=2
        )
        assert [c["insee_code"] for c in paged] == expected
        assert pages == (len(expected) + 1) // 2

    async def test_default_page_size_and_maximum(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        default = await client.get("/v1/communes", headers=auth(admin_key.secret))
        assert len(default.json()["items"]) == 50
        assert default.json()["next_cursor"]
        largest = await client.get(
            "/v1/communes", params={"limit": 200}, headers=auth(admin_key.secret)
        )
        assert len(largest.json()["items"]) == 200
