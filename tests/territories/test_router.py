"""Territories over HTTP: create, read, optimistic updates, audit, filters and pages."""

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.principal import Role
from shared.territories.models import Territory
from tests.fixtures.api import auth
from tests.fixtures.builders import ALBI_EPCI, PONTIVY_EPCI, Key, MakeKey, MakeTerritory
from tests.fixtures.http import (
    assert_problem,
    audit_actions,
    count_rows,
    error_pointers,
    list_all,
    walk_pages,
)

NOT_AN_EPCI = "732829320"


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "ti-pontivy",
        "name": "Pontivy (CC Pontivy Communauté)",
        "region_code": "53",
        "description": "Bassin d'emploi du centre Bretagne.",
        "epci_sirens": [PONTIVY_EPCI],
        "contacts": [
            {"role": "elected_official", "full_name": "Marie Le Goff", "email": "m@example.org"}
        ],
        **overrides,
    }


async def _create(client: httpx.AsyncClient, key: Key, **overrides: Any) -> httpx.Response:
    return await client.post("/v1/territories", json=_body(**overrides), headers=auth(key.secret))


async def _patch(
    client: httpx.AsyncClient, key: Key, territory_id: object, etag: str | None, body: object
) -> httpx.Response:
    headers = auth(key.secret) | ({"If-Match": etag} if etag is not None else {})
    return await client.patch(f"/v1/territories/{territory_id}", json=body, headers=headers)


class TestCreateTerritory:
    async def test_create_returns_201_with_location_and_etag(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        response = await _create(client, admin_key)
        assert response.status_code == 201, response.text
        body = response.json()
        assert response.headers["location"] == f"/v1/territories/{body['id']}"
        assert response.headers["etag"] == '"1"'
        assert body["version"] == 1
        assert body["code"] == "ti-pontivy"
        assert body["epci_sirens"] == [PONTIVY_EPCI]
        assert body["contacts"][0]["full_name"] == "Marie Le Goff"
        async with sessionmaker() as session:
            stored = await session.scalar(select(Territory).where(Territory.code == "ti-pontivy"))
        assert stored is not None
        assert str(stored.id) == body["id"]

    async def test_location_leads_to_the_created_territory(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        created = await _create(client, admin_key)
        fetched = await client.get(created.headers["location"], headers=auth(admin_key.secret))
        assert fetched.status_code == 200
        assert fetched.json() == created.json()

    async def test_creation_is_audited(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        created = (await _create(client, admin_key)).json()
        entries = (
            await client.get(
                "/v1/audit",
                params={"subject_type": "territory", "subject_id": created["id"]},
                headers=auth(admin_key.secret),
            )
        ).json()["items"]
        assert [e["action"] for e in entries] == ["territory.created"]
        assert entries[0]["actor_key_id"] == str(admin_key.id)
        assert entries[0]["changes"]["code"] == "ti-pontivy"
        assert "contacts" not in entries[0]["changes"]

    async def test_duplicate_code_is_409_and_writes_nothing(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        assert (await _create(client, admin_key)).status_code == 201
        before = await count_rows(sessionmaker)
        response = await _create(client, admin_key, name="Another name")
        body = assert_problem(response, 409)
        assert "/body/code" in error_pointers(body)
        assert await count_rows(sessionmaker) == before

    async def test_unknown_region_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await count_rows(sessionmaker)
        response = await _create(client, admin_key, region_code="99")
        assert "/body/region_code" in error_pointers(assert_problem(response, 422))
        assert await count_rows(sessionmaker) == before

    async def test_unknown_epci_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await count_rows(sessionmaker)
        response = await _create(client, admin_key, epci_sirens=[PONTIVY_EPCI, NOT_AN_EPCI])
        assert "/body/epci_sirens/1" in error_pointers(assert_problem(response, 422))
        assert await count_rows(sessionmaker) == before

    @pytest.mark.parametrize("code", ["TI-Upper", "ti_underscore", "-ti", "x", "ti--double"])
    async def test_code_that_is_not_a_slug_is_422(
        self, client: httpx.AsyncClient, admin_key: Key, code: str
    ) -> None:
        response = await _create(client, admin_key, code=code)
        assert "/body/code" in error_pointers(assert_problem(response, 422))


class TestGetTerritory:
    async def test_get_returns_the_territory_with_its_etag(
        self, client: httpx.AsyncClient, admin_key: Key, make_territory: MakeTerritory
    ) -> None:
        territory = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
        response = await client.get(
            f"/v1/territories/{territory.id}", headers=auth(admin_key.secret)
        )
        assert response.status_code == 200
        assert response.headers["etag"] == f'"{territory.version}"'
        body = response.json()
        assert body["code"] == "ti-albi"
        assert body["region_code"] == "76"
        assert body["epci_sirens"] == [ALBI_EPCI]

    async def test_unknown_territory_is_404(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.get(
            "/v1/territories/5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11",
            headers=auth(admin_key.secret),
        )
        assert_problem(response, 404)


class TestUpdateTerritory:
    @pytest.fixture
    async def created(self, client: httpx.AsyncClient, admin_key: Key) -> httpx.Response:
        response = await _create(client, admin_key)
        assert response.status_code == 201
        return response

    async def test_update_without_if_match_is_428(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        created: httpx.Response,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await count_rows(sessionmaker)
        response = await _patch(client, admin_key, created.json()["id"], None, {"description": "x"})
        assert_problem(response, 428)
        assert await count_rows(sessionmaker) == before

    async def test_update_with_a_stale_if_match_is_412(
        self, client: httpx.AsyncClient, admin_key: Key, created: httpx.Response
    ) -> None:
        territory_id = created.json()["id"]
        first = await _patch(
            client, admin_key, territory_id, created.headers["etag"], {"description": "one"}
        )
        assert first.status_code == 200
        stale = await _patch(
            client, admin_key, territory_id, created.headers["etag"], {"description": "two"}
        )
        body = assert_problem(stale, 412)
        assert body["current_etag"] == first.headers["etag"]
        current = await client.get(
            f"/v1/territories/{territory_id}", headers=auth(admin_key.secret)
        )
        assert current.json()["description"] == "one"

    async def test_update_with_the_current_etag_bumps_the_version(
        self, client: httpx.AsyncClient, admin_key: Key, created: httpx.Response
    ) -> None:
        territory_id = created.json()["id"]
        etag = created.headers["etag"]
        for version, change in enumerate(
            [
                {"name": "Pontivy"},
                {"epci_sirens": [PONTIVY_EPCI, ALBI_EPCI]},
                {"contacts": []},
                {"region_code": "76", "epci_sirens": [ALBI_EPCI]},
            ],
            start=2,
        ):
            response = await _patch(client, admin_key, territory_id, etag, change)
            assert response.status_code == 200, response.text
            assert response.json()["version"] == version
            assert response.headers["etag"] == f'"{version}"'
            etag = response.headers["etag"]
        final = (
            await client.get(f"/v1/territories/{territory_id}", headers=auth(admin_key.secret))
        ).json()
        assert final["name"] == "Pontivy"
        assert final["region_code"] == "76"
        assert final["epci_sirens"] == [ALBI_EPCI]
        assert final["contacts"] == []

    async def test_weak_etag_is_accepted(
        self, client: httpx.AsyncClient, admin_key: Key, created: httpx.Response
    ) -> None:
        response = await _patch(
            client, admin_key, created.json()["id"], 'W/"1"', {"description": "weak"}
        )
        assert response.status_code == 200

    async def test_each_update_is_audited_with_its_changes(
        self, client: httpx.AsyncClient, admin_key: Key, created: httpx.Response
    ) -> None:
        territory_id = created.json()["id"]
        response = await _patch(
            client,
            admin_key,
            territory_id,
            created.headers["etag"],
            {"description": "Nouveau", "contacts": []},
        )
        await _patch(client, admin_key, territory_id, response.headers["etag"], {"name": "Renamed"})
        entries = (
            await client.get(
                "/v1/audit",
                params={"subject_type": "territory", "subject_id": territory_id},
                headers=auth(admin_key.secret),
            )
        ).json()["items"]
        assert [e["action"] for e in entries] == [
            "territory.updated",
            "territory.updated",
            "territory.created",
        ]
        assert entries[0]["changes"] == {"name": "Renamed"}
        assert entries[1]["changes"] == {"description": "Nouveau", "contacts": "replaced"}

    async def test_refused_update_writes_no_audit_entry(
        self, client: httpx.AsyncClient, admin_key: Key, created: httpx.Response
    ) -> None:
        territory_id = created.json()["id"]
        await _patch(client, admin_key, territory_id, '"7"', {"description": "stale"})
        await _patch(client, admin_key, territory_id, None, {"description": "none"})
        await _patch(
            client, admin_key, territory_id, created.headers["etag"], {"region_code": "99"}
        )
        actions = await audit_actions(client, admin_key.secret, "territory", territory_id)
        assert actions == ["territory.created"]

    async def test_update_to_an_unknown_epci_is_422_pointing_at_it(
        self, client: httpx.AsyncClient, admin_key: Key, created: httpx.Response
    ) -> None:
        response = await _patch(
            client,
            admin_key,
            created.json()["id"],
            created.headers["etag"],
            {"epci_sirens": [NOT_AN_EPCI]},
        )
        assert "/body/epci_sirens/0" in error_pointers(assert_problem(response, 422))

    async def test_update_of_an_unknown_territory_is_404(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await _patch(
            client, admin_key, "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11", '"1"', {"name": "x"}
        )
        assert_problem(response, 404)

    async def test_concurrent_updates_with_one_etag_let_exactly_one_through(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        created: httpx.Response,
    ) -> None:
        territory_id = created.json()["id"]
        etag = created.headers["etag"]
        responses = await asyncio.gather(
            *(
                _patch(client, admin_key, territory_id, etag, {"description": f"writer {i}"})
                for i in range(50)
            )
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: 1, 412: 49}, statuses
        for response in responses:
            if response.status_code == 412:
                assert_problem(response, 412)
        [winner] = [r for r in responses if r.status_code == 200]
        current = (
            await client.get(f"/v1/territories/{territory_id}", headers=auth(admin_key.secret))
        ).json()
        assert current["version"] == 2
        assert current["description"] == winner.json()["description"]
        actions = await audit_actions(client, admin_key.secret, "territory", territory_id)
        assert actions == ["territory.updated", "territory.created"]

    async def test_concurrent_contact_replacements_let_exactly_one_through(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        created: httpx.Response,
    ) -> None:
        territory_id = created.json()["id"]
        etag = created.headers["etag"]
        responses = await asyncio.gather(
            *(
                _patch(
                    client,
                    admin_key,
                    territory_id,
                    etag,
                    {"contacts": [{"role": "project_lead", "full_name": f"Lead {i}"}]},
                )
                for i in range(10)
            )
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: 1, 412: 9}, statuses
        current = (
            await client.get(f"/v1/territories/{territory_id}", headers=auth(admin_key.secret))
        ).json()
        assert len(current["contacts"]) == 1


class TestListTerritories:
    @pytest.fixture
    async def territories(self, make_territory: MakeTerritory) -> dict[str, Territory]:
        specs = [
            ("ti-pontivy", "Pontivy", "53", PONTIVY_EPCI),
            ("ti-albi", "Albi", "76", ALBI_EPCI),
            ("ti-lorient", "Lorient", "53", PONTIVY_EPCI),
            ("ti-brest", "Brest 50% industrie", "53", PONTIVY_EPCI),
            ("ti-castres", "Castres", "76", ALBI_EPCI),
        ]
        return {
            code: await make_territory(code, name=name, region_code=region, epci_sirens=[epci])
            for code, name, region, epci in specs
        }

    async def test_list_is_ordered_by_name(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        territories: dict[str, Territory],
    ) -> None:
        items = await list_all(client, "/v1/territories", admin_key.secret)
        names = [t["name"] for t in items]
        assert names == sorted(names)
        assert len(items) == len(territories)

    @pytest.mark.usefixtures("territories")
    async def test_filter_by_region(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
    ) -> None:
        items = await list_all(client, "/v1/territories", admin_key.secret, {"region": "76"})
        assert {t["code"] for t in items} == {"ti-albi", "ti-castres"}

    @pytest.mark.parametrize(
        ("q", "codes"),
        [
            ("pontivy", {"ti-pontivy"}),
            ("ti-", {"ti-pontivy", "ti-albi", "ti-lorient", "ti-brest", "ti-castres"}),
            ("ORIENT", {"ti-lorient"}),
            ("50%", {"ti-brest"}),
            ("%", {"ti-brest"}),
            ("_", set()),
            ("nowhere", set()),
        ],
    )
    @pytest.mark.usefixtures("territories")
    async def test_filter_by_text_matches_name_or_code(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        q: str,
        codes: set[str],
    ) -> None:
        items = await list_all(client, "/v1/territories", admin_key.secret, {"q": q})
        assert {t["code"] for t in items} == codes

    @pytest.mark.usefixtures("territories")
    async def test_region_and_text_filters_combine(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
    ) -> None:
        items = await list_all(
            client, "/v1/territories", admin_key.secret, {"region": "53", "q": "o"}
        )
        assert {t["code"] for t in items} == {"ti-pontivy", "ti-lorient"}

    async def test_pages_of_two_return_each_territory_once_in_order(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        territories: dict[str, Territory],
    ) -> None:
        everything = await list_all(client, "/v1/territories", admin_key.secret)
        paged, pages = await walk_pages(client, "/v1/territories", admin_key.secret, limit=2)
        assert pages == 3
        assert [t["id"] for t in paged] == [t["id"] for t in everything]
        assert len({t["id"] for t in paged}) == len(territories)

    async def test_pages_stay_consistent_with_same_names(
        self, client: httpx.AsyncClient, admin_key: Key, make_territory: MakeTerritory
    ) -> None:
        created = [await make_territory(name="Même nom") for _ in range(5)]
        paged, _ = await walk_pages(client, "/v1/territories", admin_key.secret, limit=2)
        assert sorted(t["id"] for t in paged) == sorted(str(t.id) for t in created)
        assert [t["id"] for t in paged] == sorted(t["id"] for t in paged)

    @pytest.mark.usefixtures("territories")
    async def test_filtered_pages_keep_the_filter(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
    ) -> None:
        paged, _ = await walk_pages(
            client, "/v1/territories", admin_key.secret, params={"region": "53"}, limit=2
        )
        assert [t["code"] for t in paged] == ["ti-brest", "ti-lorient", "ti-pontivy"]

    async def test_every_role_may_list(
        self,
        client: httpx.AsyncClient,
        make_key: MakeKey,
        territories: dict[str, Territory],
    ) -> None:
        keys = [
            await make_key(Role.OBSERVER),
            await make_key(Role.OPERATOR, operator_code="ademe"),
            await make_key(Role.TERRITORY, territory_id=territories["ti-albi"].id),
        ]
        for key in keys:
            items = await list_all(client, "/v1/territories", key.secret)
            assert len(items) == len(territories)
