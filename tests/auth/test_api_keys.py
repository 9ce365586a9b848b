"""API key life cycle through the API: create, list, revoke, expiry, use, identity, binding."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth.models import ApiKey
from shared.principal import Role
from tests.fixtures.api import auth
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.http import assert_problem, audit_actions, count_rows, error_pointers


async def _key_row(
    sessionmaker: async_sessionmaker[AsyncSession], key_id: str | uuid.UUID
) -> ApiKey:
    async with sessionmaker() as session:
        row = await session.scalar(select(ApiKey).where(ApiKey.id == uuid.UUID(str(key_id))))
        assert row is not None
        return row


async def _create(client: httpx.AsyncClient, admin: Key, body: dict[str, Any]) -> httpx.Response:
    return await client.post("/v1/api-keys", json=body, headers=auth(admin.secret))


class TestCreateApiKey:
    async def test_secret_is_shown_once_and_only_its_sha256_is_stored(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        response = await _create(client, admin_key, {"name": "Portail", "role": "observer"})
        assert response.status_code == 201, response.text
        created = response.json()
        secret = created["secret"]
        assert secret.startswith("tidi_")
        assert len(secret) >= 40
        assert created["prefix"] == secret[: len(created["prefix"])]
        assert created["role"] == "observer"
        assert created["revoked_at"] is None
        assert created["last_used_at"] is None

        row = await _key_row(sessionmaker, created["id"])
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        stored = [str(getattr(row, column.key)) for column in ApiKey.__table__.columns]
        assert all(secret not in value for value in stored)

        again = await client.get(f"/v1/api-keys/{created['id']}", headers=auth(admin_key.secret))
        assert again.status_code == 200
        assert "secret" not in again.json()
        assert secret not in again.text

    async def test_new_key_works_at_once_and_creation_is_audited(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        created = (await _create(client, admin_key, {"name": "Ops", "role": "admin"})).json()
        me = await client.get("/v1/me", headers=auth(created["secret"]))
        assert me.status_code == 200
        assert me.json()["key_id"] == created["id"]
        actions = await audit_actions(client, admin_key.secret, "api_key", created["id"])
        assert actions == ["api_key.created"]

    async def test_each_secret_is_different(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        secrets = {
            (await _create(client, admin_key, {"name": f"k{i}", "role": "observer"})).json()[
                "secret"
            ]
            for i in range(5)
        }
        assert len(secrets) == 5

    async def test_territory_and_operator_keys_are_bound_to_their_tenant(
        self, client: httpx.AsyncClient, admin_key: Key, make_territory: MakeTerritory
    ) -> None:
        territory = await make_territory()
        bound = await _create(
            client,
            admin_key,
            {"name": "TI", "role": "territory", "territory_id": str(territory.id)},
        )
        assert bound.status_code == 201, bound.text
        assert bound.json()["territory_id"] == str(territory.id)
        operator = await _create(
            client, admin_key, {"name": "Bpi", "role": "operator", "operator_code": "bpifrance"}
        )
        assert operator.status_code == 201, operator.text
        bpifrance = await client.get("/v1/operators/bpifrance", headers=auth(admin_key.secret))
        assert operator.json()["operator_id"] == bpifrance.json()["id"]

    async def test_a_region_key_is_bound_to_its_region_and_its_regional_council(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        body = {"name": "Préfecture et Région Bretagne", "role": "region", "region_code": "53"}
        created = await _create(client, admin_key, body)
        assert created.status_code == 201, created.text
        council = await client.get("/v1/operators/region-53", headers=auth(admin_key.secret))
        assert created.json()["region_code"] == "53"
        assert created.json()["operator_id"] == council.json()["id"]


class TestKeyBinding:
    @pytest.mark.parametrize(
        ("body", "pointer", "kind"),
        [
            ({"name": "TI", "role": "territory"}, "/body/territory_id", "invalid-key-binding"),
            ({"name": "Op", "role": "operator"}, "/body/operator_code", "invalid-key-binding"),
            (
                {"name": "Adm", "role": "admin", "operator_code": "bpifrance"},
                "/body/operator_code",
                "invalid-key-binding",
            ),
            (
                {"name": "TI", "role": "territory", "territory_id": str(uuid.uuid4())},
                "/body/territory_id",
                "unknown-reference",
            ),
            (
                {"name": "Op", "role": "operator", "operator_code": "nobody"},
                "/body/operator_code",
                "unknown-reference",
            ),
            ({"name": "Reg", "role": "region"}, "/body/region_code", "invalid-key-binding"),
            (
                {"name": "Op", "role": "operator", "operator_code": "ademe", "region_code": "53"},
                "/body/region_code",
                "invalid-key-binding",
            ),
            (
                {"name": "Reg", "role": "region", "region_code": "99"},
                "/body/region_code",
                "unknown-reference",
            ),
        ],
        ids=[
            "territory-without-territory",
            "operator-without-operator",
            "admin-with-operator",
            "territory-unknown-territory",
            "operator-unknown-operator",
            "region-without-region",
            "operator-with-region",
            "region-unknown-region",
        ],
    )
    async def test_wrong_binding_is_refused_with_a_pointer_and_nothing_stored(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        body: dict[str, Any],
        pointer: str,
        kind: str,
    ) -> None:
        before = await count_rows(sessionmaker)
        problem = assert_problem(await _create(client, admin_key, body), 422)
        assert pointer in error_pointers(problem)
        assert problem["type"].endswith(f"/{kind}")
        assert await count_rows(sessionmaker) == before

    async def test_admin_key_bound_to_a_territory_is_refused(
        self, client: httpx.AsyncClient, admin_key: Key, make_territory: MakeTerritory
    ) -> None:
        territory = await make_territory()
        response = await _create(
            client,
            admin_key,
            {"name": "Adm", "role": "admin", "territory_id": str(territory.id)},
        )
        assert "/body/territory_id" in error_pointers(assert_problem(response, 422))

    async def test_expiry_without_offset_is_refused(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await _create(
            client,
            admin_key,
            {"name": "x", "role": "observer", "expires_at": "2030-01-01T00:00:00"},
        )
        assert_problem(response, 422)


class TestListApiKeys:
    async def test_list_never_holds_a_secret(
        self, client: httpx.AsyncClient, admin_key: Key, make_key: MakeKey
    ) -> None:
        keys = [await make_key(role) for role in (Role.OBSERVER, Role.ADMIN)]
        response = await client.get("/v1/api-keys", headers=auth(admin_key.secret))
        assert response.status_code == 200
        items = response.json()["items"]
        assert {item["id"] for item in items} == {str(k.id) for k in [admin_key, *keys]}
        assert all("secret" not in item and "secret_hash" not in item for item in items)
        for key in [admin_key, *keys]:
            assert key.secret not in response.text
            assert hashlib.sha256(key.secret.encode()).hexdigest() not in response.text

    async def test_list_filters_by_role_and_revocation(
        self, client: httpx.AsyncClient, admin_key: Key, make_key: MakeKey
    ) -> None:
        observer = await make_key(Role.OBSERVER)
        revoked = await make_key(Role.OBSERVER)
        revoke = await client.post(
            f"/v1/api-keys/{revoked.id}/revoke", headers=auth(admin_key.secret)
        )
        assert revoke.status_code == 200

        async def ids(params: dict[str, str]) -> set[str]:
            response = await client.get(
                "/v1/api-keys", params=params, headers=auth(admin_key.secret)
            )
            assert response.status_code == 200, response.text
            return {item["id"] for item in response.json()["items"]}

        assert await ids({"role": "observer"}) == {str(observer.id), str(revoked.id)}
        assert await ids({"revoked": "true"}) == {str(revoked.id)}
        assert await ids({"revoked": "false"}) == {str(observer.id), str(admin_key.id)}
        assert await ids({"role": "admin", "revoked": "false"}) == {str(admin_key.id)}

    async def test_list_is_newest_first(
        self, client: httpx.AsyncClient, admin_key: Key, make_key: MakeKey
    ) -> None:
        later = [await make_key(Role.OBSERVER, name=f"k{i}") for i in range(3)]
        response = await client.get("/v1/api-keys", headers=auth(admin_key.secret))
        listed = [item["id"] for item in response.json()["items"]]
        assert listed == [str(k.id) for k in reversed([admin_key, *later])]


class TestRevokeApiKey:
    async def test_revoked_key_gets_401_and_second_revoke_is_409(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        make_key: MakeKey,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        victim = await make_key(Role.OBSERVER)
        assert (await client.get("/v1/me", headers=auth(victim.secret))).status_code == 200

        revoked = await client.post(
            f"/v1/api-keys/{victim.id}/revoke", headers=auth(admin_key.secret)
        )
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked_at"] is not None

        refused = await client.get("/v1/me", headers=auth(victim.secret))
        problem = assert_problem(refused, 401)
        assert "revoked" in problem["detail"]
        assert refused.headers["www-authenticate"].startswith("Bearer")

        again = await client.post(
            f"/v1/api-keys/{victim.id}/revoke", headers=auth(admin_key.secret)
        )
        assert_problem(again, 409)
        row = await _key_row(sessionmaker, victim.id)
        assert row.revoked_at is not None
        actions = await audit_actions(client, admin_key.secret, "api_key", str(victim.id))
        assert actions == ["api_key.revoked", "api_key.created"]

    async def test_key_revoking_itself_is_locked_out(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.post(
            f"/v1/api-keys/{admin_key.id}/revoke", headers=auth(admin_key.secret)
        )
        assert response.status_code == 200
        assert_problem(await client.get("/v1/me", headers=auth(admin_key.secret)), 401)

    async def test_revoking_an_unknown_key_is_404(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        response = await client.post(
            f"/v1/api-keys/{uuid.uuid4()}/revoke", headers=auth(admin_key.secret)
        )
        assert_problem(response, 404)


class TestExpiry:
    async def test_expired_key_gets_401(self, client: httpx.AsyncClient, make_key: MakeKey) -> None:
        key = await make_key(Role.OBSERVER, expires_at=datetime.now(UTC) - timedelta(seconds=1))
        problem = assert_problem(await client.get("/v1/me", headers=auth(key.secret)), 401)
        assert "expired" in problem["detail"]

    async def test_key_works_until_it_expires(
        self, client: httpx.AsyncClient, make_key: MakeKey
    ) -> None:
        key = await make_key(Role.OBSERVER, expires_at=datetime.now(UTC) + timedelta(hours=1))
        assert (await client.get("/v1/me", headers=auth(key.secret))).status_code == 200

    async def test_expiry_set_through_the_api_is_enforced(
        self,
        client: httpx.AsyncClient,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        created = await _create(
            client, admin_key, {"name": "old", "role": "observer", "expires_at": soon}
        )
        assert created.status_code == 201, created.text
        async with sessionmaker() as session:  # the five minutes pass
            key = await session.get(ApiKey, uuid.UUID(created.json()["id"]))
            assert key is not None
            key.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            await session.commit()
        assert_problem(await client.get("/v1/me", headers=auth(created.json()["secret"])), 401)


class TestLastUsed:
    async def test_last_used_at_is_set_after_use(
        self,
        client: httpx.AsyncClient,
        make_key: MakeKey,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await make_key(Role.OBSERVER)
        assert (await _key_row(sessionmaker, key.id)).last_used_at is None
        before = datetime.now(UTC)
        assert (await client.get("/v1/regions", headers=auth(key.secret))).status_code == 200
        used = (await _key_row(sessionmaker, key.id)).last_used_at
        assert used is not None
        assert before - timedelta(seconds=5) <= used <= datetime.now(UTC) + timedelta(seconds=5)

    async def test_last_used_at_is_shown_in_the_listing(
        self, client: httpx.AsyncClient, admin_key: Key
    ) -> None:
        await client.get("/v1/me", headers=auth(admin_key.secret))
        response = await client.get(f"/v1/api-keys/{admin_key.id}", headers=auth(admin_key.secret))
        assert response.json()["last_used_at"] is not None


class TestMe:
    @pytest.mark.parametrize("role", list(Role))
    async def test_me_describes_the_key_for_each_role(
        self,
        client: httpx.AsyncClient,
        make_key: MakeKey,
        make_territory: MakeTerritory,
        role: Role,
    ) -> None:
        territory = await make_territory() if role is Role.TERRITORY else None
        key = await make_key(
            role,
            territory_id=territory.id if territory else None,
            operator_code="ademe" if role is Role.OPERATOR else None,
            region_code="53" if role is Role.REGION else None,
            name=f"{role.value} key",
        )
        response = await client.get("/v1/me", headers=auth(key.secret))
        assert response.status_code == 200, response.text
        me = response.json()
        assert me["key_id"] == str(key.id)
        assert me["role"] == role.value
        assert me["name"] == f"{role.value} key"
        assert me["territory_id"] == (str(territory.id) if territory else None)
        # A region key is bound to its Region's operator (its endpoints, its feed).
        assert (me["operator_id"] is not None) == (role in (Role.OPERATOR, Role.REGION))
        assert me["region_code"] == ("53" if role is Role.REGION else None)

    async def test_me_without_key_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/me")
        problem = assert_problem(response, 401)
        assert problem["type"].endswith("/missing-api-key")
        assert response.headers["www-authenticate"] == 'Bearer realm="tidi"'

    @pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
    async def test_the_scheme_is_case_insensitive(
        self, client: httpx.AsyncClient, admin_key: Key, scheme: str
    ) -> None:
        response = await client.get(
            "/v1/me", headers={"Authorization": f"{scheme} {admin_key.secret}"}
        )
        assert response.status_code == 200

    @pytest.mark.parametrize(
        "header",
        ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "tidi_abc", "Bearer tidi_short"],
        ids=["empty-bearer", "blank-bearer", "basic", "no-scheme", "too-short"],
    )
    async def test_malformed_authorization_is_401(
        self, client: httpx.AsyncClient, header: str
    ) -> None:
        response = await client.get("/v1/me", headers={"Authorization": header})
        assert_problem(response, 401)
        assert "www-authenticate" in response.headers
