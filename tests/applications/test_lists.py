"""Listing projects and applications: filters, sort orders and cursor pages."""

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.territories.models import Territory
from tests.fixtures.api import auth
from tests.fixtures.bodies import ALBI_COMMUNE, application_body, project_body, site_in
from tests.fixtures.builders import ALBI_EPCI, PONTIVY_EPCI, Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal, update_row
from tests.fixtures.http import assert_problem, walk_pages


def _at(month: int, day: int = 1) -> datetime:
    return datetime(2026, month, day, 9, 30, tzinfo=UTC)


# name: (territory, title, nature, priorities, commune, status, created, updated)
PROJECTS: dict[str, tuple[str | None, str, str, list[str], str, str, datetime, datetime]] = {
    "p1": (
        "a",
        "Alpha fonderie",
        "extension",
        ["decarbonation"],
        "56178",
        "draft",
        _at(1),
        _at(1, 5),
    ),
    "p2": ("a", "Bravo usinage", "creation", ["innovation"], "56178", "active", _at(2), _at(3)),
    "p3": (
        "b",
        "Charlie verrerie 100%",
        "modernisation",
        ["foncier", "recrutement"],
        ALBI_COMMUNE,
        "submitted",
        _at(3),
        _at(2),
    ),
    "p4": (
        "b",
        "Delta recyclage",
        "brownfield_reuse",
        ["decarbonation", "foncier"],
        ALBI_COMMUNE,
        "withdrawn",
        _at(4),
        _at(4, 2),
    ),
    "p5": (None, "Delta recyclage", "extension", [], "56178", "completed", _at(5), _at(5)),
}
# name: (project, fund, status, created, updated)
APPLICATIONS: dict[str, tuple[str, str, str, datetime, datetime]] = {
    "a1": ("p2", "fonds-acceleration", "draft", _at(6), _at(6, 2)),
    "a2": ("p2", "fonds-vert-ti", "submitted", _at(7), _at(10)),
    "a3": ("p3", "fonds-acceleration", "eligible", _at(8), _at(8, 3)),
    "a4": ("p4", "fonds-friches", "withdrawn", _at(9), _at(9)),
    "a5": ("p1", "fonds-vert-ti", "draft", _at(10), _at(7)),
}


@dataclass
class Catalogue:
    territories: dict[str, Territory]
    admin: Key
    ids: dict[str, str]

    def names(self, items: list[dict[str, Any]]) -> list[str]:
        by_id = {record_id: name for name, record_id in self.ids.items()}
        return [by_id[item["id"]] for item in items]


@pytest.fixture
async def catalogue(
    client: httpx.AsyncClient,
    make_territory: MakeTerritory,
    make_key: MakeKey,
    admin_key: Key,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Catalogue:
    territories = {
        "a": await make_territory("ti-pontivy", region_code="53", epci_sirens=[PONTIVY_EPCI]),
        "b": await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI]),
    }
    admin = Portal(client, admin_key.secret)
    ids: dict[str, str] = {}
    for name, (territory, title, nature, priorities, commune, *_) in PROJECTS.items():
        body = project_body(
            territories[territory].id if territory else None,
            title=title,
            nature=nature,
            priorities=priorities,
            site=site_in(commune),
        )
        ids[name] = (await admin.call("POST", "/v1/projects", json=body, expect=201)).json()["id"]
        await update_row(sessionmaker, "projects", ids[name], status="active")
    for name, (project, fund, *_) in APPLICATIONS.items():
        body = application_body(ids[project], fund_code=fund)
        response = await admin.call("POST", "/v1/applications", json=body, expect=201)
        ids[name] = response.json()["id"]
    for name, (*_, status, created, updated) in PROJECTS.items():
        await update_row(
            sessionmaker,
            "projects",
            ids[name],
            status=status,
            created_at=created,
            updated_at=updated,
        )
    for name, (_, _, status, created, updated) in APPLICATIONS.items():
        await update_row(
            sessionmaker,
            "applications",
            ids[name],
            status=status,
            created_at=created,
            updated_at=updated,
        )
    return Catalogue(territories, admin_key, ids)


async def _names(
    client: httpx.AsyncClient, catalogue: Catalogue, path: str, params: dict[str, Any]
) -> list[str]:
    response = await client.get(path, params=params, headers=auth(catalogue.admin.secret))
    assert response.status_code == 200, (params, response.text)
    page = response.json()
    assert page["next_cursor"] is None
    return catalogue.names(page["items"])


def _order(records: dict[str, tuple[Any, ...]], sort: str, catalogue: Catalogue) -> list[str]:
    """Names of `records` in `sort` order, ties broken by id like the API."""
    column = {"created_at": -2, "updated_at": -1, "title": 1}[sort.lstrip("-")]
    ordered = sorted(records, key=lambda n: (records[n][column], catalogue.ids[n]))
    return ordered[::-1] if sort.startswith("-") else ordered


class TestProjectFilters:
    async def test_each_filter_selects_exactly_the_matching_projects(
        self, client: httpx.AsyncClient, catalogue: Catalogue
    ) -> None:
        a, b = (str(catalogue.territories[k].id) for k in ("a", "b"))
        cases: list[tuple[dict[str, Any], set[str]]] = [
            ({}, {"p1", "p2", "p3", "p4", "p5"}),
            ({"status": "draft"}, {"p1"}),
            ({"status": ["draft", "submitted"]}, {"p1", "p3"}),
            ({"status": ["withdrawn", "completed", "rejected"]}, {"p4", "p5"}),
            ({"territory_id": a}, {"p1", "p2"}),
            ({"territory_id": b}, {"p3", "p4"}),
            ({"region": "53"}, {"p1", "p2", "p5"}),
            ({"region": "76"}, {"p3", "p4"}),
            ({"region": "11"}, set()),
            ({"priority": "decarbonation"}, {"p1", "p4"}),
            ({"priority": "foncier"}, {"p3", "p4"}),
            ({"nature": "extension"}, {"p1", "p5"}),
            ({"q": "delta"}, {"p4", "p5"}),
            ({"q": "VERRERIE"}, {"p3"}),
            ({"q": "100%"}, {"p3"}),
            ({"q": "%"}, {"p3"}),
            ({"q": "_"}, set()),
            ({"created_after": "2026-03-01T09:30:00Z"}, {"p3", "p4", "p5"}),
            ({"created_before": "2026-03-01T09:30:00Z"}, {"p1", "p2"}),
            (
                {"created_after": "2026-02-01T00:00:00Z", "created_before": "2026-04-01T00:00:00Z"},
                {"p2", "p3"},
            ),
            ({"updated_since": "2026-03-01T09:30:00Z"}, {"p2", "p4", "p5"}),
            ({"updated_since": "2026-03-01T11:30:00+02:00"}, {"p2", "p4", "p5"}),
            ({"territory_id": a, "status": "active", "priority": "innovation"}, {"p2"}),
            ({"region": "76", "nature": "extension"}, set()),
        ]
        for params, expected in cases:
            assert set(await _names(client, catalogue, "/v1/projects", params)) == expected, params

    @pytest.mark.parametrize(
        "params",
        [
            {"status": "archived"},
            {"region": "5"},
            {"priority": "tourisme"},
            {"nature": "x"},
            {"q": ""},
            {"q": "x" * 101},
            {"territory_id": "ti-albi"},
            {"created_after": "2026-03-01"},
            {"updated_since": "2026-03-01T09:30:00"},
            {"sort": "status"},
            {"limit": 0},
            {"limit": 1001},
        ],
    )
    async def test_invalid_filters_are_422(
        self, client: httpx.AsyncClient, admin_key: Key, params: dict[str, Any]
    ) -> None:
        response = await client.get("/v1/projects", params=params, headers=auth(admin_key.secret))
        problem = assert_problem(response, 422)
        assert all(error["pointer"].startswith("/query/") for error in problem["errors"])


class TestApplicationFilters:
    async def test_each_filter_selects_exactly_the_matching_applications(
        self, client: httpx.AsyncClient, catalogue: Catalogue
    ) -> None:
        a, b = (str(catalogue.territories[k].id) for k in ("a", "b"))
        cases: list[tuple[dict[str, Any], set[str]]] = [
            ({}, {"a1", "a2", "a3", "a4", "a5"}),
            ({"status": "draft"}, {"a1", "a5"}),
            ({"status": ["submitted", "eligible"]}, {"a2", "a3"}),
            ({"fund": "fonds-acceleration"}, {"a1", "a3"}),
            ({"fund": "fonds-vert-ti", "status": "draft"}, {"a5"}),
            ({"fund": "inconnu"}, set()),
            ({"project_id": catalogue.ids["p2"]}, {"a1", "a2"}),
            ({"territory_id": a}, {"a1", "a2", "a5"}),
            ({"territory_id": b}, {"a3", "a4"}),
            ({"region": "76"}, {"a3", "a4"}),
            ({"priority": "foncier"}, {"a3", "a4"}),
            ({"nature": "creation"}, {"a1", "a2"}),
            ({"q": "recyclage"}, {"a4"}),
            ({"q": "alpha"}, {"a5"}),
            ({"created_after": "2026-08-01T09:30:00Z"}, {"a3", "a4", "a5"}),
            ({"created_before": "2026-07-01T09:30:00Z"}, {"a1"}),
            ({"updated_since": "2026-08-03T09:30:00Z"}, {"a2", "a3", "a4"}),
            ({"territory_id": a, "fund": "fonds-vert-ti", "q": "bravo"}, {"a2"}),
        ]
        for params, expected in cases:
            names = await _names(client, catalogue, "/v1/applications", params)
            assert set(names) == expected, params

    async def test_sorting_by_title_is_only_for_projects(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.get(
            "/v1/applications", params={"sort": "title"}, headers=auth(admin_key.secret)
        )
        assert "/query/sort" in {e["pointer"] for e in assert_problem(response, 422)["errors"]}


class TestSortOrdersAndPages:
    @pytest.mark.parametrize(
        "sort", ["created_at", "-created_at", "updated_at", "-updated_at", "title"]
    )
    async def test_walking_projects_two_by_two_returns_each_once_in_order(
        self, sort: str, client: httpx.AsyncClient, catalogue: Catalogue
    ) -> None:
        items, pages = await walk_pages(
            client, "/v1/projects", catalogue.admin.secret, params={"sort": sort}, limit=2
        )
        assert catalogue.names(items) == _order(PROJECTS, sort, catalogue)
        assert pages == 3

    @pytest.mark.parametrize("sort", ["created_at", "-created_at", "updated_at", "-updated_at"])
    async def test_walking_applications_two_by_two_returns_each_once_in_order(
        self, sort: str, client: httpx.AsyncClient, catalogue: Catalogue
    ) -> None:
        items, pages = await walk_pages(
            client, "/v1/applications", catalogue.admin.secret, params={"sort": sort}, limit=2
        )
        assert catalogue.names(items) == _order(APPLICATIONS, sort, catalogue)
        assert pages == 3

    async def test_the_default_order_is_newest_first_and_filters_apply_on_every_page(
        self, client: httpx.AsyncClient, catalogue: Catalogue
    ) -> None:
        items, _ = await walk_pages(client, "/v1/projects", catalogue.admin.secret, limit=1)
        assert catalogue.names(items) == ["p5", "p4", "p3", "p2", "p1"]
        items, pages = await walk_pages(
            client,
            "/v1/projects",
            catalogue.admin.secret,
            params={"region": "53", "sort": "title"},
            limit=1,
        )
        assert catalogue.names(items) == ["p1", "p2", "p5"]
        assert pages == 3

    async def test_a_record_created_while_walking_does_not_shift_the_pages(
        self,
        client: httpx.AsyncClient,
        catalogue: Catalogue,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        admin = Portal(client, catalogue.admin.secret)
        first = await admin.call("GET", "/v1/projects", params={"sort": "created_at", "limit": 2})
        page = first.json()
        created = await admin.call("POST", "/v1/projects", json=project_body(), expect=201)
        await update_row(sessionmaker, "projects", created.json()["id"], created_at=_at(1, 2))
        rest, _ = await walk_pages(
            client, "/v1/projects", catalogue.admin.secret, params={"sort": "created_at"}
        )
        assert catalogue.names(page["items"]) == ["p1", "p2"]
        second = await admin.call(
            "GET",
            "/v1/projects",
            params={"sort": "created_at", "limit": 10, "cursor": page["next_cursor"]},
        )
        assert catalogue.names(second.json()["items"]) == ["p3", "p4", "p5"]
        assert len(rest) == 6


class TestCursors:
    @pytest.mark.parametrize("path", ["/v1/projects", "/v1/applications"])
    @pytest.mark.parametrize(
        "cursor",
        [
            "not-a-cursor",
            "%%%",
            base64.urlsafe_b64encode(b"[1, 2]").decode(),
            base64.urlsafe_b64encode(b'{"s": "-created_at"}').decode(),
            base64.urlsafe_b64encode(b'{"s": "-created_at", "k": ["x", "y"]}').decode(),
            base64.urlsafe_b64encode(b'{"s": "-created_at", "k": [1]}').decode(),
            base64.urlsafe_b64encode(b'{"s": "-created_at", "k": [null, null]}').decode(),
            base64.urlsafe_b64encode(b'{"s": "-created_at", "k": [{}, []]}').decode(),
        ],
        ids=["text", "symbols", "array", "no-key", "bad-values", "short", "nulls", "objects"],
    )
    async def test_a_malformed_cursor_is_400(
        self, path: str, cursor: str, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.get(path, params={"cursor": cursor}, headers=auth(admin_key.secret))
        assert assert_problem(response, 400)["type"].endswith("/invalid-cursor")

    @pytest.mark.parametrize(
        ("path", "made_for", "used_with"),
        [
            ("/v1/projects", "title", "-created_at"),
            ("/v1/projects", "created_at", "-created_at"),
            ("/v1/projects", "-updated_at", "title"),
            ("/v1/applications", "created_at", "updated_at"),
            ("/v1/applications", "-updated_at", "-created_at"),
        ],
    )
    async def test_a_cursor_made_for_another_sort_is_400(
        self,
        path: str,
        made_for: str,
        used_with: str,
        client: httpx.AsyncClient,
        catalogue: Catalogue,
    ) -> None:
        headers = auth(catalogue.admin.secret)
        first = await client.get(path, params={"sort": made_for, "limit": 1}, headers=headers)
        cursor = first.json()["next_cursor"]
        assert json.loads(base64.urlsafe_b64decode(cursor + "==="))["s"] == made_for
        response = await client.get(
            path, params={"sort": used_with, "cursor": cursor}, headers=headers
        )
        assert assert_problem(response, 400)["type"].endswith("/invalid-cursor")
        same = await client.get(path, params={"sort": made_for, "cursor": cursor}, headers=headers)
        assert same.status_code == 200
