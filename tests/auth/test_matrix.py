"""The authorisation matrix: every route against every kind of caller, and territory tenancy."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.main import create_app
from services.api.routing import TidiRoute
from shared.auth import service as auth_service
from shared.auth.models import ApiKey
from shared.principal import SYSTEM, Role
from shared.settings import Environment, Settings
from shared.territories.models import Territory
from tests.fixtures.api import auth
from tests.fixtures.builders import ALBI_EPCI, PONTIVY_EPCI, Key, MakeKey, MakeTerritory
from tests.fixtures.flows import footprint, nothing_written
from tests.fixtures.http import api_routes, assert_problem

ROUTES = api_routes(create_app(Settings(ENVIRONMENT=Environment.TEST, _env_file=None)))
ROUTE_IDS = [f"{method} {path}" for method, path, _ in ROUTES]

BAD_CALLERS = ("no key", "malformed key", "unknown key", "revoked key", "expired key")
ROLE_CALLERS = tuple(role.value for role in Role)
CALLERS = BAD_CALLERS + ROLE_CALLERS

CONTACTS = [
    {
        "role": "elected_official",
        "full_name": "Marie Le Goff",
        "organisation": "Pontivy Communauté",
        "email": "m.legoff@example.org",
        "phone": "+33 2 97 25 01 70",
    },
    {"role": "industrialist", "full_name": "Yann Kerbrat", "organisation": "Kerbrat SAS"},
]


@dataclass(frozen=True)
class World:
    """Real data for path parameters and one header set per kind of caller."""

    territory: Territory
    other_territory: Territory
    spare_key_id: uuid.UUID
    headers: dict[str, dict[str, str]]


async def _revoked_key(make_key: MakeKey, sessionmaker: async_sessionmaker[AsyncSession]) -> Key:
    key = await make_key(Role.ADMIN, name="revoked")
    async with sessionmaker() as session:
        await auth_service.revoke_key(session, SYSTEM, key.id)
        await session.commit()
    return key


async def _expired_key(make_key: MakeKey, sessionmaker: async_sessionmaker[AsyncSession]) -> Key:
    """A key whose expiry has passed (the API only accepts expiries in the future)."""
    key = await make_key(Role.ADMIN, name="expired")
    async with sessionmaker() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key.id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        await session.commit()
    return key


@pytest.fixture
async def world(
    make_key: MakeKey,
    make_territory: MakeTerritory,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> World:
    territory = await make_territory("ti-pontivy", name="Pontivy")
    other = await make_territory("ti-albi", name="Albi", region_code="76", epci_sirens=[ALBI_EPCI])
    revoked = await _revoked_key(make_key, sessionmaker)
    expired = await _expired_key(make_key, sessionmaker)
    spare = await make_key(Role.OBSERVER, name="spare")
    keys = {
        "admin": await make_key(Role.ADMIN),
        "territory": await make_key(Role.TERRITORY, territory_id=territory.id),
        "operator": await make_key(Role.OPERATOR, operator_code="bpifrance"),
        "region": await make_key(Role.REGION, region_code="53"),
        "observer": await make_key(Role.OBSERVER),
    }
    headers = {
        "no key": {},
        "malformed key": {"Authorization": "Bearer not-a-tidi-key"},
        "unknown key": auth("tidi_" + secrets.token_urlsafe(32)),
        "revoked key": auth(revoked.secret),
        "expired key": auth(expired.secret),
        **{role: auth(key.secret) for role, key in keys.items()},
    }
    return World(territory=territory, other_territory=other, spare_key_id=spare.id, headers=headers)


def _path_values(world: World) -> dict[str, str]:
    return {
        "region_code": "53",
        "department_code": "56",
        "siren": PONTIVY_EPCI,
        "insee_code": "56178",
        "territory_id": str(world.territory.id),
        "operator_code": "bpifrance",
        "fund_code": "fonds-acceleration",
        "key_id": str(world.spare_key_id),
    }


# Path parameters without seeded data get an id that matches nothing: the route must
# still answer 401/403 before looking it up, and allowed roles may then get a 404.
PLACEHOLDER_ID = "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11"


def _url(path: str, world: World) -> tuple[str, bool]:
    """The URL to call and whether every path parameter names real data."""
    values = _path_values(world)
    names = _param_names(path)
    real = all(name in values for name in names)
    return path.format(**{name: values.get(name, PLACEHOLDER_ID) for name in names}), real


def _param_names(path: str) -> list[str]:
    return [part[1:-1].split(":")[0] for part in path.split("/") if part.startswith("{")]


def _body(route: APIRoute) -> dict[str, Any] | None:
    return {} if route.body_field is not None else None


def _allowed(route: APIRoute) -> frozenset[str]:
    return getattr(route, "allowed_roles", frozenset())


class TestEveryRouteAgainstEveryCaller:
    @pytest.mark.parametrize(("method", "path", "route"), ROUTES, ids=ROUTE_IDS)
    async def test_only_allowed_roles_get_past_authentication_and_authorisation(
        self,
        client: httpx.AsyncClient,
        world: World,
        sessionmaker: async_sessionmaker[AsyncSession],
        method: str,
        path: str,
        route: APIRoute,
    ) -> None:
        allowed = _allowed(route)
        url, real_data = _url(path, world)
        refused = {401, 403, 404} if real_data else {401, 403}
        body = _body(route)
        mismatches = []
        for caller in CALLERS:
            must_refuse = bool(allowed) and (caller in BAD_CALLERS or caller not in allowed)
            before = await footprint(sessionmaker) if must_refuse else None
            response = await client.request(method, url, json=body, headers=world.headers[caller])
            status = response.status_code
            if before is not None and (after := await footprint(sessionmaker)) != before:
                written = sorted(table for table in before if before[table] != after[table])
                mismatches.append(f"{caller}: refused with {status} but wrote {written}")
            if not allowed:
                expected = "2xx (public)"
                ok = 200 <= status < 300
            elif caller in BAD_CALLERS:
                expected = "401"
                ok = status == 401
                if ok:
                    assert_problem(response, 401)
                    assert response.headers["www-authenticate"].startswith("Bearer")
            elif caller not in allowed:
                expected = "403"
                ok = status == 403
                if ok:
                    assert_problem(response, 403)
            else:
                expected = f"allowed (none of {sorted(refused)}, no server error)"
                ok = status not in refused and status < 500
            if not ok:
                mismatches.append(f"{caller}: got {status}, expected {expected}: {response.text}")
        assert not mismatches, f"{method} {path}:\n" + "\n".join(mismatches)


class TestRouteDeclarations:
    async def test_matrix_covers_exactly_the_routes_of_the_running_app(self, app: FastAPI) -> None:
        served = {(method, path) for method, path, _ in api_routes(app)}
        assert served == {(method, path) for method, path, _ in ROUTES}

    async def test_every_documented_route_declares_its_roles(self, app: FastAPI) -> None:
        valid_roles = {role.value for role in Role}
        for method, path, route in api_routes(app):
            if not route.include_in_schema:
                assert path in {"/docs", "/docs/oauth2-redirect", "/redoc"}, (
                    f"{method} {path} is hidden"
                )
                continue
            assert isinstance(route, TidiRoute), f"{method} {path} is not a TidiRoute"
            assert isinstance(route.allowed_roles, frozenset)
            assert route.allowed_roles <= valid_roles, (path, route.allowed_roles)

    async def test_openapi_x_roles_equal_the_allowed_roles(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        paths = (await client.get("/openapi.json")).json()["paths"]
        for method, path, route in api_routes(app):
            if not route.include_in_schema:
                continue
            operation = paths[path][method.lower()]
            expected = sorted(route.allowed_roles) or ["anonymous"]
            assert operation["x-roles"] == expected, (method, path)

    async def test_only_the_probes_are_public_and_key_management_is_admin_only(
        self, app: FastAPI
    ) -> None:
        documented = [
            (method, path, _allowed(route))
            for method, path, route in api_routes(app)
            if route.include_in_schema
        ]
        public = {path for _, path, roles in documented if not roles}
        for method, path, roles in documented:
            if path.startswith(("/v1/api-keys", "/v1/audit")):
                assert roles == {"admin"}, (method, path, roles)
        assert public == {"/healthz", "/readyz", "/metrics"}


class TestTerritoryTenancy:
    async def test_territory_key_cannot_update_another_territory(
        self,
        client: httpx.AsyncClient,
        world: World,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        other = world.other_territory
        async with nothing_written(sessionmaker):
            response = await client.patch(
                f"/v1/territories/{other.id}",
                json={"description": "taken over"},
                headers={**world.headers["territory"], "If-Match": f'"{other.version}"'},
            )
        assert_problem(response, 403)
        current = await client.get(f"/v1/territories/{other.id}", headers=world.headers["admin"])
        assert current.json()["description"] == ""
        assert current.json()["version"] == other.version

    async def test_territory_key_changes_its_own_description_and_contacts(
        self, client: httpx.AsyncClient, world: World
    ) -> None:
        own = world.territory
        response = await client.patch(
            f"/v1/territories/{own.id}",
            json={"description": "Bassin d'emploi de Pontivy", "contacts": CONTACTS},
            headers={**world.headers["territory"], "If-Match": f'"{own.version}"'},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["description"] == "Bassin d'emploi de Pontivy"
        assert {c["full_name"] for c in body["contacts"]} == {"Marie Le Goff", "Yann Kerbrat"}
        assert body["version"] == own.version + 1

    @pytest.mark.parametrize(
        "change",
        [{"name": "Renamed"}, {"region_code": "76"}, {"epci_sirens": [ALBI_EPCI]}],
        ids=["name", "region_code", "epci_sirens"],
    )
    async def test_territory_key_cannot_change_its_own_identity(
        self,
        client: httpx.AsyncClient,
        world: World,
        sessionmaker: async_sessionmaker[AsyncSession],
        change: dict[str, Any],
    ) -> None:
        own = world.territory
        async with nothing_written(sessionmaker):
            response = await client.patch(
                f"/v1/territories/{own.id}",
                json={"description": "allowed part", **change},
                headers={**world.headers["territory"], "If-Match": f'"{own.version}"'},
            )
        body = assert_problem(response, 403)
        assert next(iter(change)) in body["detail"]
        current = await client.get(f"/v1/territories/{own.id}", headers=world.headers["admin"])
        assert current.json()["description"] == ""
        assert current.json()["version"] == own.version


class TestContactVisibility:
    @pytest.fixture
    async def with_contacts(self, client: httpx.AsyncClient, world: World) -> dict[str, Any]:
        response = await client.patch(
            f"/v1/territories/{world.territory.id}",
            json={"contacts": CONTACTS},
            headers={**world.headers["admin"], "If-Match": f'"{world.territory.version}"'},
        )
        assert response.status_code == 200, response.text
        return response.json()

    @pytest.fixture
    async def other_territory_key(self, make_key: MakeKey, world: World) -> Key:
        return await make_key(Role.TERRITORY, territory_id=world.other_territory.id)

    @pytest.mark.parametrize("caller", ["admin", "territory"])
    async def test_contacts_are_shown_to_admins_and_the_territory_itself(
        self,
        client: httpx.AsyncClient,
        world: World,
        with_contacts: dict[str, Any],
        caller: str,
    ) -> None:
        one = await client.get(
            f"/v1/territories/{world.territory.id}", headers=world.headers[caller]
        )
        listed = await client.get("/v1/territories", headers=world.headers[caller])
        [in_list] = [t for t in listed.json()["items"] if t["id"] == str(world.territory.id)]
        for body in (one.json(), in_list):
            assert [c["full_name"] for c in body["contacts"]] == [
                c["full_name"] for c in with_contacts["contacts"]
            ]
            assert body["contacts"][0]["email"] == "m.legoff@example.org"

    @pytest.mark.parametrize("caller", ["other territory", "operator", "observer"])
    @pytest.mark.usefixtures("with_contacts")
    async def test_contacts_are_hidden_from_everyone_else(
        self,
        client: httpx.AsyncClient,
        world: World,
        other_territory_key: Key,
        caller: str,
    ) -> None:
        headers = (
            auth(other_territory_key.secret)
            if caller == "other territory"
            else world.headers[caller]
        )
        one = await client.get(f"/v1/territories/{world.territory.id}", headers=headers)
        assert one.status_code == 200
        assert one.json()["contacts"] is None
        assert "m.legoff@example.org" not in one.text
        listed = await client.get("/v1/territories", headers=headers)
        [in_list] = [t for t in listed.json()["items"] if t["id"] == str(world.territory.id)]
        assert in_list["contacts"] is None
        assert "m.legoff@example.org" not in listed.text
