"""Funds over HTTP: create, read, optimistic updates, audit, window filters and pages."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.funds.models import Fund
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

SEEDED = {
    "ecoles-de-production",
    "fonds-acceleration",
    "fonds-friches",
    "fonds-vert-ti",
    "sites-cles-en-main",
}


def _body(**overrides: Any) -> dict[str, Any]:
    return {
        "code": "fonds-test",
        "name": "Fonds de test",
        "kind": "call_for_projects",
        "operator_code": "ademe",
        "status": "open",
        "envelope_cents": 10_000_000_000,
        "regional_share_cents": 1_000_000_000,
        "opens_at": "2026-02-01T00:00:00+01:00",
        "closes_at": "2026-12-31T23:59:59+01:00",
        "aid_forms": ["subsidy", "repayable_advance"],
        "source_url": "https://agirpourlatransition.ademe.fr",
        **overrides,
    }


async def _create(client: httpx.AsyncClient, key: Key, **overrides: Any) -> httpx.Response:
    return await client.post("/v1/funds", json=_body(**overrides), headers=auth(key.secret))


async def _patch(
    client: httpx.AsyncClient, key: Key, code: str, etag: str | None, body: object
) -> httpx.Response:
    headers = auth(key.secret) | ({"If-Match": etag} if etag is not None else {})
    return await client.patch(f"/v1/funds/{code}", json=body, headers=headers)


async def _codes(client: httpx.AsyncClient, key: Key, params: dict[str, str]) -> set[str]:
    return {f["code"] for f in await list_all(client, "/v1/funds", key.secret, params)}


async def _etag(client: httpx.AsyncClient, key: Key, code: str) -> str:
    return (await client.get(f"/v1/funds/{code}", headers=auth(key.secret))).headers["etag"]


class TestCreateFund:
    async def test_create_returns_201_with_location_and_etag(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        response = await _create(client, admin_key)
        assert response.status_code == 201, response.text
        assert response.headers["location"] == "/v1/funds/fonds-test"
        assert response.headers["etag"] == '"1"'
        body = response.json()
        assert body["operator_code"] == "ademe"
        assert body["envelope_cents"] == 10_000_000_000
        assert body["aid_forms"] == ["subsidy", "repayable_advance"]
        assert body["version"] == 1
        assert datetime.fromisoformat(body["opens_at"]) == datetime(2026, 1, 31, 23, tzinfo=UTC)
        async with sessionmaker() as session:
            stored = await session.scalar(select(Fund).where(Fund.code == "fonds-test"))
        assert stored is not None
        assert str(stored.id) == body["id"]
        fetched = (
            await client.get(response.headers["location"], headers=auth(admin_key.secret))
        ).json()
        for moment in ("opens_at", "closes_at"):
            assert datetime.fromisoformat(fetched.pop(moment)) == datetime.fromisoformat(
                body.pop(moment)
            )
        assert fetched == body
        actions = await audit_actions(client, admin_key.secret, "fund", body["id"])
        assert actions == ["fund.created"]

    async def test_minimal_fund_gets_draft_defaults(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.post(
            "/v1/funds",
            json={"code": "fonds-mini", "name": "Mini", "operator_code": "etat"},
            headers=auth(admin_key.secret),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["status"] == "draft"
        assert body["kind"] == "aid_scheme"
        assert body["envelope_cents"] == 0
        assert body["opens_at"] is None

    async def test_duplicate_code_is_409_and_writes_nothing(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await count_rows(sessionmaker)
        response = await _create(client, admin_key, code="fonds-friches")
        assert "/body/code" in error_pointers(assert_problem(response, 409))
        assert await count_rows(sessionmaker) == before

    async def test_unknown_operator_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await count_rows(sessionmaker)
        response = await _create(client, admin_key, operator_code="nobody")
        assert "/body/operator_code" in error_pointers(assert_problem(response, 422))
        assert await count_rows(sessionmaker) == before

    @pytest.mark.parametrize(
        "override",
        [
            {"regional_share_cents": 20_000_000_000},
            {"closes_at": "2026-01-01T00:00:00Z"},
            {"envelope_cents": -1},
            {"envelope_cents": 10**16},
            {"envelope_cents": 12.5},
            {"opens_at": "2026-02-01T00:00:00"},
            {"aid_forms": ["gift"]},
            {"status": "pending"},
        ],
        ids=[
            "share-over-envelope",
            "closes-before-opens",
            "negative-amount",
            "amount-too-large",
            "fractional-cents",
            "naive-datetime",
            "unknown-aid-form",
            "unknown-status",
        ],
    )
    async def test_incoherent_or_invalid_fund_is_422(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        override: dict[str, Any],
    ) -> None:
        before = await count_rows(sessionmaker)
        assert_problem(await _create(client, admin_key, **override), 422)
        assert await count_rows(sessionmaker) == before


class TestGetFund:
    async def test_seeded_fund_with_its_etag(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.get("/v1/funds/fonds-acceleration", headers=auth(admin_key.secret))
        assert response.status_code == 200
        body = response.json()
        assert response.headers["etag"] == f'"{body["version"]}"'
        assert body["operator_code"] == "bpifrance"
        assert body["envelope_cents"] == 85_000_000_000
        assert body["regional_share_cents"] == 14_300_000_000

    async def test_unknown_fund_is_404(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        body = assert_problem(
            await client.get("/v1/funds/nothing", headers=auth(admin_key.secret)), 404
        )
        assert body["type"].endswith("/fund-not-found")


class TestUpdateFund:
    async def test_update_without_if_match_is_428(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        before = await count_rows(sessionmaker)
        assert_problem(
            await _patch(client, admin_key, "fonds-friches", None, {"status": "closed"}), 428
        )
        assert await count_rows(sessionmaker) == before

    async def test_update_with_a_stale_if_match_is_412(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        etag = await _etag(client, admin_key, "fonds-friches")
        first = await _patch(client, admin_key, "fonds-friches", etag, {"status": "closed"})
        assert first.status_code == 200, first.text
        stale = await _patch(client, admin_key, "fonds-friches", etag, {"status": "archived"})
        assert_problem(stale, 412)
        current = await client.get("/v1/funds/fonds-friches", headers=auth(admin_key.secret))
        assert current.json()["status"] == "closed"

    async def test_update_with_the_current_etag_bumps_the_version_and_is_audited(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        current = await client.get("/v1/funds/fonds-vert-ti", headers=auth(admin_key.secret))
        version = current.json()["version"]
        response = await _patch(
            client,
            admin_key,
            "fonds-vert-ti",
            current.headers["etag"],
            {"envelope_cents": 12_000_000_000, "operator_code": "etat", "closes_at": None},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["version"] == version + 1
        assert response.headers["etag"] == f'"{version + 1}"'
        assert body["operator_code"] == "etat"
        assert body["closes_at"] is None
        entries = (
            await client.get(
                "/v1/audit",
                params={"subject_type": "fund", "subject_id": body["id"]},
                headers=auth(admin_key.secret),
            )
        ).json()["items"]
        assert [e["action"] for e in entries] == ["fund.updated"]
        assert entries[0]["changes"] == {
            "envelope_cents": 12_000_000_000,
            "operator_code": "etat",
            "closes_at": None,
        }
        assert entries[0]["actor_key_id"] == str(admin_key.id)

    @pytest.mark.parametrize(
        "change",
        [{"envelope_cents": 100}, {"closes_at": "2025-01-01T00:00:00Z"}],
        ids=["envelope-below-regional-share", "closes-before-stored-opening"],
    )
    async def test_update_that_makes_the_fund_incoherent_is_422(
        self, client: httpx.AsyncClient, admin_key: Key, change: dict[str, Any]
    ) -> None:
        etag = await _etag(client, admin_key, "fonds-acceleration")
        response = await _patch(client, admin_key, "fonds-acceleration", etag, change)
        assert_problem(response, 422)
        assert await _etag(client, admin_key, "fonds-acceleration") == etag
        fund_id = (
            await client.get("/v1/funds/fonds-acceleration", headers=auth(admin_key.secret))
        ).json()["id"]
        assert await audit_actions(client, admin_key.secret, "fund", fund_id) == []

    async def test_update_to_an_unknown_operator_is_422(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        etag = await _etag(client, admin_key, "fonds-friches")
        response = await _patch(
            client, admin_key, "fonds-friches", etag, {"operator_code": "nobody"}
        )
        assert "/body/operator_code" in error_pointers(assert_problem(response, 422))

    async def test_update_of_an_unknown_fund_is_404(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        assert_problem(await _patch(client, admin_key, "nothing", '"1"', {"name": "x"}), 404)


class TestListFunds:
    @pytest.fixture
    async def extra(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        now = datetime.now(UTC)
        specs = [
            ("fonds-draft", {"status": "draft", "opens_at": None, "closes_at": None}),
            (
                "fonds-ouvert",
                {
                    "opens_at": (now - timedelta(days=1)).isoformat(),
                    "closes_at": (now + timedelta(days=1)).isoformat(),
                },
            ),
            (
                "fonds-futur",
                {
                    "opens_at": (now + timedelta(days=10)).isoformat(),
                    "closes_at": (now + timedelta(days=20)).isoformat(),
                },
            ),
            (
                "fonds-passe",
                {
                    "opens_at": (now - timedelta(days=20)).isoformat(),
                    "closes_at": (now - timedelta(days=1)).isoformat(),
                },
            ),
            ("fonds-clos", {"status": "closed", "opens_at": None, "closes_at": None}),
        ]
        for code, override in specs:
            response = await _create(client, admin_key, code=code, **override)
            assert response.status_code == 201, response.text

    @pytest.mark.usefixtures("extra")
    async def test_list_is_ordered_by_code(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        codes = [f["code"] for f in await list_all(client, "/v1/funds", admin_key.secret)]
        assert codes == sorted(codes)
        assert set(codes) == SEEDED | {
            "fonds-draft",
            "fonds-ouvert",
            "fonds-futur",
            "fonds-passe",
            "fonds-clos",
        }

    @pytest.mark.usefixtures("extra")
    async def test_filter_by_status(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        assert await _codes(client, admin_key, {"status": "draft"}) == {"fonds-draft"}
        assert await _codes(client, admin_key, {"status": "closed"}) == {"fonds-clos"}
        assert await _codes(client, admin_key, {"status": "open"}) == SEEDED | {
            "fonds-ouvert",
            "fonds-futur",
            "fonds-passe",
        }

    @pytest.mark.usefixtures("extra")
    async def test_filter_by_operator(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        assert await _codes(client, admin_key, {"operator": "etat"}) == {
            "fonds-friches",
            "sites-cles-en-main",
        }
        assert await _codes(client, admin_key, {"operator": "bpifrance"}) == {"fonds-acceleration"}
        assert await _codes(client, admin_key, {"operator": "nobody"}) == set()

    @pytest.mark.parametrize(
        ("moment", "codes"),
        [
            ("2026-03-01T00:00:00Z", {"fonds-acceleration", "sites-cles-en-main"}),
            ("2026-01-01T00:00:00Z", {"fonds-acceleration", "sites-cles-en-main"}),
            ("2025-12-31T23:59:59Z", {"sites-cles-en-main"}),
            (
                "2026-10-15T12:00:00+02:00",
                {
                    "fonds-acceleration",
                    "fonds-friches",
                    "ecoles-de-production",
                    "fonds-vert-ti",
                    "sites-cles-en-main",
                },
            ),
            ("2027-12-30T23:59:59Z", {"fonds-acceleration", "sites-cles-en-main"}),
            ("2027-12-31T00:00:00Z", {"sites-cles-en-main"}),
        ],
        ids=[
            "march-2026",
            "opening-instant-included",
            "just-before-opening",
            "october-2026-with-offset",
            "last-second",
            "closing-instant-excluded",
        ],
    )
    async def test_filter_by_moment_keeps_open_funds_whose_window_contains_it(
        self, client: httpx.AsyncClient, admin_key: Key, moment: str, codes: set[str]
    ) -> None:
        assert await _codes(client, admin_key, {"open_at": moment}) == codes

    @pytest.mark.usefixtures("extra")
    async def test_filter_open_now_uses_the_current_time(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        now = datetime.now(UTC)
        everything = await list_all(client, "/v1/funds", admin_key.secret)
        expected = {
            f["code"]
            for f in everything
            if f["status"] == "open"
            and (f["opens_at"] is None or datetime.fromisoformat(f["opens_at"]) <= now)
            and (f["closes_at"] is None or now < datetime.fromisoformat(f["closes_at"]))
        }
        found = await _codes(client, admin_key, {"open_now": "true"})
        assert found == expected
        assert "fonds-ouvert" in found
        assert not found & {"fonds-draft", "fonds-futur", "fonds-passe", "fonds-clos"}
        assert await _codes(client, admin_key, {"open_now": "false"}) == {
            f["code"] for f in everything
        }

    @pytest.mark.usefixtures("extra")
    async def test_filters_combine(self, client: httpx.AsyncClient, admin_key: Key) -> None:
        codes = await _codes(
            client, admin_key, {"operator": "ademe", "open_at": "2026-03-01T00:00:00Z"}
        )
        assert codes == set()
        codes = await _codes(client, admin_key, {"operator": "ademe", "status": "draft"})
        assert codes == {"fonds-draft"}

    @pytest.mark.parametrize(
        ("params", "pointer"),
        [
            ({"open_at": "2026-03-01T00:00:00"}, "/query/open_at"),
            ({"open_at": "soon"}, "/query/open_at"),
            ({"status": "pending"}, "/query/status"),
            ({"open_now": "maybe"}, "/query/open_now"),
        ],
        ids=["naive-moment", "not-a-moment", "unknown-status", "not-a-boolean"],
    )
    async def test_invalid_filter_is_422_pointing_at_it(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        params: dict[str, str],
        pointer: str,
    ) -> None:
        response = await client.get("/v1/funds", params=params, headers=auth(admin_key.secret))
        assert pointer in error_pointers(assert_problem(response, 422))

    @pytest.mark.usefixtures("extra")
    async def test_pages_of_two_return_each_fund_once_in_order(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        everything = await list_all(client, "/v1/funds", admin_key.secret)
        paged, pages = await walk_pages(client, "/v1/funds", admin_key.secret, limit=2)
        assert [f["code"] for f in paged] == [f["code"] for f in everything]
        assert len({f["code"] for f in paged}) == len(everything) == 10
        assert pages == 5

    @pytest.mark.usefixtures("extra")
    async def test_filtered_pages_keep_the_filter(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        paged, _ = await walk_pages(
            client, "/v1/funds", admin_key.secret, params={"status": "open"}, limit=2
        )
        assert [f["code"] for f in paged] == sorted(
            SEEDED | {"fonds-ouvert", "fonds-futur", "fonds-passe"}
        )
