"""Tenant isolation of projects and applications: what each key can see and change.

Two territories in different regions and two operators, each with projects and
applications (submitted to fonds-acceleration or fonds-vert-ti, or still drafts).
Every GET route under /v1/projects and /v1/applications is enumerated from the app,
so a route added later is covered without editing this file.
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from services.api.projects.router import ACTIONS as PROJECT_ACTIONS
from shared.territories.models import Territory
from tests.fixtures.api import auth
from tests.fixtures.bodies import (
    ALBI_COMMUNE,
    application_body,
    fonds_vert_application,
    project_body,
    site_in,
)
from tests.fixtures.builders import ALBI_EPCI, PONTIVY_EPCI, Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal, fetch, if_match, update_row
from tests.fixtures.http import api_routes, assert_problem, list_all, walk_pages

RECORD_PREFIXES = ("/v1/projects", "/v1/applications")
PATH_PARAMETER = re.compile(r"\{([a-z_]+)\}")
KIND_OF_PARAMETER = {"project_id": "projects", "application_id": "applications"}


@dataclass
class World:
    """Who exists, and what each key must see."""

    territory_a: Territory
    territory_b: Territory
    keys: dict[str, Key]
    projects: dict[str, dict[str, Any]]
    applications: dict[str, dict[str, Any]]

    def visible(self, who: str, kind: str) -> set[str]:
        """Ids of the `kind` records `who` must see."""
        names = VISIBLE[who][kind]
        records = self.projects if kind == "projects" else self.applications
        return {records[name]["id"] for name in names}

    def titles(self, territory: str) -> list[str]:
        """Titles of a territory's projects."""
        return [p["title"] for name, p in self.projects.items() if name.startswith(territory)]


# a_* belong to territory A (Bretagne, 53); b_* to territory B (Occitanie, 76).
VISIBLE: dict[str, dict[str, set[str]]] = {
    "territory_a": {
        "projects": {"a_foundry", "a_green", "a_draft"},
        "applications": {"a_foundry_acc", "a_foundry_green", "a_green_green"},
    },
    "territory_b": {
        "projects": {"b_glass", "b_green", "b_draft", "b_unsent"},
        "applications": {"b_glass_acc", "b_glass_green", "b_green_green", "b_unsent_acc"},
    },
    # bpifrance instructs fonds-acceleration: only the submitted ones, in both territories.
    "operator_x": {
        "projects": {"a_foundry", "b_glass"},
        "applications": {"a_foundry_acc", "b_glass_acc"},
    },
    # ademe instructs fonds-vert-ti.
    "operator_y": {
        "projects": {"a_green", "b_green"},
        "applications": {"a_green_green", "b_green_green"},
    },
}


@pytest.fixture
async def world(
    client: httpx.AsyncClient,
    make_territory: MakeTerritory,
    make_key: MakeKey,
    sessionmaker: Any,
    open_fund_windows: None,
) -> World:
    territory_a = await make_territory("ti-pontivy", region_code="53", epci_sirens=[PONTIVY_EPCI])
    territory_b = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
    keys = {
        "territory_a": await make_key("territory", territory_id=territory_a.id),
        "territory_b": await make_key("territory", territory_id=territory_b.id),
        "operator_x": await make_key("operator", operator_code="bpifrance"),
        "operator_y": await make_key("operator", operator_code="ademe"),
        "observer": await make_key("observer"),
        "admin": await make_key("admin"),
    }
    a = Portal(client, keys["territory_a"].secret)
    b = Portal(client, keys["territory_b"].secret)
    albi = {"site": site_in(ALBI_COMMUNE)}
    projects = {
        "a_foundry": await a.active_project(title="Fonderie de Pontivy"),
        "a_green": await _active(a, sessionmaker, title="Chaufferie biomasse de Pontivy"),
        "a_draft": await _draft_project(a, title="Atelier de Pontivy"),
        "b_glass": await _active(b, sessionmaker, title="Verrerie d'Albi", **albi),
        "b_green": await _active(
            b, sessionmaker, title="Chaleur fatale de la verrerie d'Albi", **albi
        ),
        "b_draft": await _draft_project(b, title="Tannerie d'Albi", **albi),
        "b_unsent": await _active(b, sessionmaker, title="Cartonnerie d'Albi", **albi),
    }
    green = fonds_vert_application()
    applications = {
        "a_foundry_acc": await _submitted(a, projects["a_foundry"]),
        "a_foundry_green": await a.draft_application(projects["a_foundry"], **green),
        "a_green_green": await _submitted(a, projects["a_green"], **green),
        "b_glass_acc": await _submitted(b, projects["b_glass"]),
        "b_glass_green": await b.draft_application(projects["b_glass"], **green),
        "b_green_green": await _submitted(b, projects["b_green"], **green),
        "b_unsent_acc": await b.draft_application(projects["b_unsent"]),
    }
    return World(territory_a, territory_b, keys, projects, applications)


async def _active(portal: Portal, sessionmaker: Any, **overrides: Any) -> dict[str, Any]:
    """A project made active directly in the database (the review path is tested elsewhere)."""
    project = await _draft_project(portal, **overrides)
    await update_row(sessionmaker, "projects", project["id"], status="active")
    return await fetch(portal, "projects", project["id"])


async def _draft_project(portal: Portal, **overrides: Any) -> dict[str, Any]:
    response = await portal.call("POST", "/v1/projects", json=project_body(**overrides), expect=201)
    return dict(response.json())


async def _submitted(portal: Portal, project: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return await portal.act(
        await portal.draft_application(project, **overrides), "applications", "submit"
    )


def _record_routes(app: FastAPI) -> tuple[list[str], list[str]]:
    """(collection paths, item paths) of every GET route under the record prefixes."""
    collections, items = [], []
    for method, path, _ in api_routes(app):
        if method != "GET" or not path.startswith(RECORD_PREFIXES):
            continue
        parameters = PATH_PARAMETER.findall(path)
        assert set(parameters) <= set(KIND_OF_PARAMETER), f"{path}: unknown path parameter"
        (items if parameters else collections).append(path)
    assert {"/v1/projects", "/v1/applications"} <= set(collections), collections
    assert {
        "/v1/projects/{project_id}",
        "/v1/projects/{project_id}/history",
        "/v1/applications/{application_id}",
        "/v1/applications/{application_id}/completeness",
        "/v1/applications/{application_id}/history",
    } <= set(items), items
    return collections, items


def _kind_of(path: str) -> str:
    return "projects" if path.startswith("/v1/projects") else "applications"


def _fill(path: str, record_id: str) -> str:
    return PATH_PARAMETER.sub(record_id, path)


class TestCollectionsAreScopedToTheKey:
    async def test_every_key_lists_exactly_its_own_records(
        self, client: httpx.AsyncClient, app: FastAPI, world: World
    ) -> None:
        collections, _ = _record_routes(app)
        for who in VISIBLE:
            for path in collections:
                items = await list_all(client, path, world.keys[who].secret)
                ids = [item["id"] for item in items]
                assert len(ids) == len(set(ids)), (who, path)
                assert set(ids) == world.visible(who, _kind_of(path)), (who, path)

    async def test_admin_lists_everything(
        self, client: httpx.AsyncClient, app: FastAPI, world: World
    ) -> None:
        collections, _ = _record_routes(app)
        for path in collections:
            items = await list_all(client, path, world.keys["admin"].secret)
            expected = world.projects if _kind_of(path) == "projects" else world.applications
            assert {item["id"] for item in items} == {r["id"] for r in expected.values()}, path

    async def test_filters_naming_the_other_territory_find_nothing_of_it(
        self, client: httpx.AsyncClient, app: FastAPI, world: World
    ) -> None:
        collections, _ = _record_routes(app)
        secret = world.keys["territory_a"].secret
        b_title_word = "Albi"
        assert all(b_title_word in title for title in world.titles("b_"))
        filters: list[dict[str, str | int]] = [
            {"territory_id": str(world.territory_b.id)},
            {"region": "76"},
            {"q": b_title_word},
            {"q": "Verrerie"},
            {"territory_id": str(world.territory_b.id), "region": "76", "q": b_title_word},
        ]
        for path in collections:
            for params in filters:
                items = await list_all(client, path, secret, params)
                assert items == [], (path, params)
            own = world.visible("territory_a", _kind_of(path))
            parameters = app.openapi()["paths"][path]["get"]["parameters"]
            if "fund" not in {parameter["name"] for parameter in parameters}:
                continue  # an unknown query parameter is a 422 (tests/api)
            for fund in ("fonds-acceleration", "fonds-vert-ti"):
                items = await list_all(client, path, secret, {"fund": fund})
                assert {item["id"] for item in items} <= own, (path, fund)

    async def test_applications_filtered_by_fund_stay_in_the_territory(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        secret = world.keys["territory_a"].secret
        items = await list_all(client, "/v1/applications", secret, {"fund": "fonds-vert-ti"})
        expected = {world.applications[n]["id"] for n in ("a_foundry_green", "a_green_green")}
        assert {item["id"] for item in items} == expected
        for item in items:
            assert item["territory_id"] == str(world.territory_a.id)

    async def test_walking_pages_one_by_one_never_reaches_the_other_territory(
        self, client: httpx.AsyncClient, app: FastAPI, world: World
    ) -> None:
        collections, _ = _record_routes(app)
        for who in ("territory_a", "operator_x"):
            for path in collections:
                for sort in ("created_at", "-created_at", "updated_at", "-updated_at"):
                    items, pages = await walk_pages(
                        client, path, world.keys[who].secret, params={"sort": sort}, limit=1
                    )
                    ids = [item["id"] for item in items]
                    expected = world.visible(who, _kind_of(path))
                    assert sorted(ids) == sorted(expected), (who, path, sort)
                    assert pages == len(expected), (who, path, sort)

    async def test_a_cursor_replayed_with_another_key_yields_only_that_keys_records(
        self, client: httpx.AsyncClient, app: FastAPI, world: World
    ) -> None:
        collections, _ = _record_routes(app)
        for path in collections:
            # A's records were created first: after A's oldest one, B has all of its own.
            params = {"sort": "created_at", "limit": 1}
            first = await client.get(
                path, params=params, headers=auth(world.keys["territory_a"].secret)
            )
            assert first.status_code == 200, first.text
            cursor = first.json()["next_cursor"]
            assert cursor is not None
            replayed = await client.get(
                path,
                params={**params, "limit": 200, "cursor": cursor},
                headers=auth(world.keys["territory_b"].secret),
            )
            assert replayed.status_code == 200, replayed.text
            ids = {item["id"] for item in replayed.json()["items"]}
            assert ids == world.visible("territory_b", _kind_of(path)), path


class TestRecordsOfAnotherTenantAreNotFound:
    async def test_guessing_the_other_territorys_ids_is_404_like_an_unknown_id(
        self, client: httpx.AsyncClient, app: FastAPI, world: World
    ) -> None:
        _, items = _record_routes(app)
        secret = world.keys["territory_a"].secret
        leaks = [*world.titles("b_"), str(world.territory_b.id), "Verrerie", "Albi"]
        for path in items:
            records = world.projects if _kind_of(path) == "projects" else world.applications
            unknown_id = str(uuid.uuid4())
            unknown = await client.get(_fill(path, unknown_id), headers=auth(secret))
            unknown_body = assert_problem(unknown, 404)
            unknown_detail = unknown_body["detail"].replace(unknown_id, "<id>")
            for name, record in records.items():
                if not name.startswith("b_"):
                    continue
                response = await client.get(_fill(path, record["id"]), headers=auth(secret))
                body = assert_problem(response, 404)
                assert body["type"] == unknown_body["type"], (path, name)
                assert body["title"] == unknown_body["title"], (path, name)
                assert set(body) == set(unknown_body), (path, name)
                assert body["detail"].replace(record["id"], "<id>") == unknown_detail, path
                for secret_text in leaks:
                    assert secret_text not in response.text, (path, name, secret_text)

    async def test_own_records_are_readable_on_every_item_route(
        self, client: httpx.AsyncClient, app: FastAPI, world: World
    ) -> None:
        _, items = _record_routes(app)
        for who in ("territory_a", "territory_b", "operator_x", "operator_y"):
            for path in items:
                kind = _kind_of(path)
                for record_id in world.visible(who, kind):
                    response = await client.get(
                        _fill(path, record_id), headers=auth(world.keys[who].secret)
                    )
                    assert response.status_code == 200, (who, path, response.text)

    async def test_operators_see_only_submitted_applications_to_their_funds(
        self, client: httpx.AsyncClient, app: FastAPI, world: World
    ) -> None:
        _, items = _record_routes(app)
        for who in ("operator_x", "operator_y"):
            secret = world.keys[who].secret
            for path in items:
                kind = _kind_of(path)
                records = world.projects if kind == "projects" else world.applications
                hidden = {r["id"] for r in records.values()} - world.visible(who, kind)
                assert hidden
                for record_id in hidden:
                    response = await client.get(_fill(path, record_id), headers=auth(secret))
                    assert_problem(response, 404)
        x = world.keys["operator_x"].secret
        for item in await list_all(client, "/v1/applications", x):
            assert item["fund_code"] == "fonds-acceleration"
            assert item["status"] != "draft"
            assert item["submitted_at"] is not None

    async def test_observers_are_refused_every_record_route(
        self, client: httpx.AsyncClient, app: FastAPI, world: World
    ) -> None:
        collections, items = _record_routes(app)
        secret = world.keys["observer"].secret
        for path in collections:
            assert_problem(await client.get(path, headers=auth(secret)), 403)
        for path in items:
            record = world.projects["a_foundry"] if _kind_of(path) == "projects" else None
            record = record or world.applications["a_foundry_acc"]
            assert_problem(await client.get(_fill(path, record["id"]), headers=auth(secret)), 403)


class TestWritesAcrossTenants:
    async def test_patching_the_other_territorys_records_is_404_and_changes_nothing(
        self, client: httpx.AsyncClient, world: World, sessionmaker: Any
    ) -> None:
        a = Portal(client, world.keys["territory_a"].secret)
        project = world.projects["b_draft"]
        application = world.applications["b_glass_green"]
        before = await _versions(sessionmaker)
        response = await a.call(
            "PATCH",
            f"/v1/projects/{project['id']}",
            json={"title": "Détourné"},
            headers=if_match(project),
        )
        assert_problem(response, 404)
        response = await a.call(
            "PATCH",
            f"/v1/applications/{application['id']}",
            json={"requested_amount_cents": 1},
            headers=if_match(application),
        )
        assert_problem(response, 404)
        assert await _versions(sessionmaker) == before

    async def test_lifecycle_actions_on_the_other_territorys_records_are_404(
        self, client: httpx.AsyncClient, world: World, sessionmaker: Any
    ) -> None:
        a = Portal(client, world.keys["territory_a"].secret)
        before = await _versions(sessionmaker)
        for name in ("b_draft", "b_glass"):
            project = world.projects[name]
            for action in PROJECT_ACTIONS:
                response = await a.call(
                    "POST",
                    f"/v1/projects/{project['id']}/{action}",
                    json={"reason": "tentative"},
                    headers=if_match(project),
                )
                assert_problem(response, 404)
        for name in ("b_glass_green", "b_glass_acc"):
            application = world.applications[name]
            for action in ("submit", "withdraw", "reopen"):
                response = await a.call(
                    "POST",
                    f"/v1/applications/{application['id']}/{action}",
                    headers=if_match(application),
                )
                assert_problem(response, 404)
        assert await _versions(sessionmaker) == before

    async def test_creating_a_project_in_the_other_territory_is_403(
        self, client: httpx.AsyncClient, world: World, sessionmaker: Any
    ) -> None:
        a = Portal(client, world.keys["territory_a"].secret)
        before = await _versions(sessionmaker)
        response = await a.call("POST", "/v1/projects", json=project_body(world.territory_b.id))
        body = assert_problem(response, 403)
        assert body["errors"][0]["pointer"] == "/body/territory_id"
        assert await _versions(sessionmaker) == before

    async def test_applying_with_the_other_territorys_project_is_404(
        self, client: httpx.AsyncClient, world: World, sessionmaker: Any
    ) -> None:
        a = Portal(client, world.keys["territory_a"].secret)
        before = await _versions(sessionmaker)
        for name in ("b_glass", "b_green"):
            body = application_body(world.projects[name]["id"], fund_code="fonds-friches")
            response = await a.call("POST", "/v1/applications", json=body)
            assert_problem(response, 404)
        assert await _versions(sessionmaker) == before

    async def test_operators_and_observers_cannot_write_records(
        self, client: httpx.AsyncClient, world: World, sessionmaker: Any
    ) -> None:
        before = await _versions(sessionmaker)
        application = world.applications["a_foundry_acc"]
        project = world.projects["a_foundry"]
        for who in ("operator_x", "observer"):
            portal = Portal(client, world.keys[who].secret)
            attempts = [
                ("POST", "/v1/projects", project_body(), {}),
                ("PATCH", f"/v1/projects/{project['id']}", {"title": "x"}, if_match(project)),
                ("POST", f"/v1/projects/{project['id']}/complete", None, if_match(project)),
                ("POST", "/v1/applications", application_body(project["id"]), {}),
                (
                    "POST",
                    f"/v1/applications/{application['id']}/withdraw",
                    None,
                    if_match(application),
                ),
            ]
            for method, url, body, headers in attempts:
                response = await portal.call(method, url, json=body, headers=headers)
                assert_problem(response, 403)
        assert await _versions(sessionmaker) == before


async def _versions(sessionmaker: Any) -> dict[str, Any]:
    """Every project's and application's version, and the audit and event counts."""
    async with sessionmaker() as session:
        projects = (await session.execute(text("SELECT id, version FROM projects"))).all()
        applications = (await session.execute(text("SELECT id, version FROM applications"))).all()
        audit = await session.scalar(text("SELECT count(*) FROM audit_entries"))
        events = await session.scalar(text("SELECT count(*) FROM events"))
    return {
        "projects": dict(projects),
        "applications": dict(applications),
        "audit": audit,
        "events": events,
    }
