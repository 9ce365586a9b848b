"""Operators over HTTP: create, read, optimistic updates, audit, filters and pages."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.operators.models import Operator
from tests.fixtures.api import auth
from tests.fixtures.builders import Key
from tests.fixtures.http import (
    assert_problem,
    audit_actions,
    count_rows,
    error_pointers,
    list_all,
    walk_pages,
)


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "cci-bretagne",
        "name": "CCI Bretagne",
        "kind": "state",
        "website": "https://www.bretagne.cci.fr",
        "description": "Chambre de commerce et d'industrie.",
        **overrides,
    }


async def _create(client: httpx.AsyncClient, key: Key, **overrides: Any) -> httpx.Response:
    return await client.post("/v1/operators", json=_body(**overrides), headers=auth(key.secret))


async def _patch(
    client: httpx.AsyncClient, key: Key, code: str, etag: str | None, body: object
) -> httpx.Response:
    headers = auth(key.secret) | ({"If-Match": etag} if etag is not None else {})
    return await client.patch(f"/v1/operators/{code}", json=body, headers=headers)


class TestCreateOperator:
    async def test_create_returns_201_with_location_and_etag(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        response = await _create(client, admin_key)
        assert response.status_code == 201, response.text
        assert response.headers["location"] == "/v1/operators/cci-bretagne"
        assert response.headers["etag"] == '"1"'
        body = response.json()
        assert body["kind"] == "state"
        assert body["website"] == "https://www.bretagne.cci.fr/"
        assert body["version"] == 1
        async with sessionmaker() as session:
            stored = await session.scalar(select(Operator).where(Operator.code == "cci-bretagne"))
        assert stored is not None
        assert str(stored.id) == body["id"]
        fetched = await client.get(response.headers["location"], headers=auth(admin_key.secret))
        assert fetched.json() == body

    async def test_creation_is_audited(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        created = (await _create(client, admin_key)).json()
        actions = await audit_actions(client, admin_key.secret, "operator", created["id"])
        assert actions == ["operator.created"]

    async def test_duplicate_code_is_409_and_writes_nothing(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await count_rows(sessionmaker)
        response = await _create(client, admin_key, code="bpifrance")
        assert "/body/code" in error_pointers(assert_problem(response, 409))
        assert await count_rows(sessionmaker) == before

    async def test_unknown_region_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await count_rows(sessionmaker)
        response = await _create(client, admin_key, kind="region", region_code="99")
        assert "/body/region_code" in error_pointers(assert_problem(response, 422))
        assert await count_rows(sessionmaker) == before

    @pytest.mark.parametrize(
        ("override", "pointer"),
        [
            ({"kind": "company"}, "/body/kind"),
            ({"website": "not a url"}, "/body/website"),
            ({"code": "Not A Slug"}, "/body/code"),
            ({"name": "   "}, "/body/name"),
        ],
        ids=["kind", "website", "code", "blank-name"],
    )
    async def test_invalid_field_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        override: dict[str, Any],
        pointer: str,
    ) -> None:
        response = await _create(client, admin_key, **override)
        assert pointer in error_pointers(assert_problem(response, 422))


class TestGetOperator:
    async def test_seeded_operator_with_its_etag(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.get("/v1/operators/region-53", headers=auth(admin_key.secret))
        assert response.status_code == 200
        body = response.json()
        assert response.headers["etag"] == f'"{body["version"]}"'
        assert body["kind"] == "region"
        assert body["region_code"] == "53"
        assert body["name"] == "Région Bretagne"

    async def test_unknown_operator_is_404(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        response = await client.get("/v1/operators/nobody", headers=auth(admin_key.secret))
        body = assert_problem(response, 404)
        assert body["type"].endswith("/operator-not-found")


class TestUpdateOperator:
    async def test_update_without_if_match_is_428(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await count_rows(sessionmaker)
        response = await _patch(client, admin_key, "ademe", None, {"name": "ADEME 2"})
        assert_problem(response, 428)
        assert await count_rows(sessionmaker) == before

    async def test_update_with_a_stale_if_match_is_412(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        etag = (await client.get("/v1/operators/ademe", headers=auth(admin_key.secret))).headers[
            "etag"
        ]
        first = await _patch(client, admin_key, "ademe", etag, {"name": "ADEME (Agence)"})
        assert first.status_code == 200
        stale = await _patch(client, admin_key, "ademe", etag, {"name": "Overwritten"})
        assert_problem(stale, 412)
        current = await client.get("/v1/operators/ademe", headers=auth(admin_key.secret))
        assert current.json()["name"] == "ADEME (Agence)"

    async def test_update_with_the_current_etag_bumps_the_version_and_is_audited(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        current = await client.get("/v1/operators/ademe", headers=auth(admin_key.secret))
        version = current.json()["version"]
        response = await _patch(
            client,
            admin_key,
            "ademe",
            current.headers["etag"],
            {"description": "Transition écologique", "website": None},
        )
        assert response.status_code == 200, response.text
        assert response.json()["version"] == version + 1
        assert response.headers["etag"] == f'"{version + 1}"'
        assert response.json()["website"] is None
        again = await _patch(
            client, admin_key, "ademe", response.headers["etag"], {"kind": "state"}
        )
        assert again.json()["version"] == version + 2
        entries = (
            await client.get(
                "/v1/audit",
                params={"subject_type": "operator", "subject_id": current.json()["id"]},
                headers=auth(admin_key.secret),
            )
        ).json()["items"]
        assert [e["action"] for e in entries] == ["operator.updated", "operator.updated"]
        assert entries[0]["changes"] == {"kind": "state"}
        assert entries[1]["changes"] == {"description": "Transition écologique", "website": None}

    async def test_update_to_an_unknown_region_is_422(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        etag = (await client.get("/v1/operators/ademe", headers=auth(admin_key.secret))).headers[
            "etag"
        ]
        response = await _patch(client, admin_key, "ademe", etag, {"region_code": "99"})
        assert "/body/region_code" in error_pointers(assert_problem(response, 422))

    async def test_update_of_an_unknown_operator_is_404(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        assert_problem(await _patch(client, admin_key, "nobody", '"1"', {"name": "x"}), 404)


class TestListOperators:
    async def test_list_holds_the_national_and_regional_operators_by_code(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        items = await list_all(client, "/v1/operators", admin_key.secret)
        codes = [o["code"] for o in items]
        assert codes == sorted(codes)
        assert {"bpifrance", "ademe", "banque-des-territoires", "etat", "region-53"} <= set(codes)

    async def test_filter_by_kind(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        regions = await list_all(client, "/v1/operators", admin_key.secret, {"kind": "region"})
        assert regions
        assert all(o["kind"] == "region" and o["code"].startswith("region-") for o in regions)
        assert all(o["region_code"] == o["code"].removeprefix("region-") for o in regions)
        states = await list_all(client, "/v1/operators", admin_key.secret, {"kind": "state"})
        assert [o["code"] for o in states] == ["etat"]

    async def test_unknown_kind_is_422(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        response = await client.get(
            "/v1/operators", params={"kind": "company"}, headers=auth(admin_key.secret)
        )
        assert "/query/kind" in error_pointers(assert_problem(response, 422))

    async def test_pages_of_two_return_each_operator_once_in_order(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        await _create(client, admin_key)
        everything = await list_all(client, "/v1/operators", admin_key.secret)
        paged, pages = await walk_pages(client, "/v1/operators", admin_key.secret, limit=2)
        assert [o["code"] for o in paged] == [o["code"] for o in everything]
        assert len({o["code"] for o in paged}) == len(everything)
        assert pages == (len(everything) + 1) // 2
