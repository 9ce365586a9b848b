"""Idempotency-Key on creations: retries replay the first response, never create twice."""

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.fixtures.api import auth
from tests.fixtures.bodies import application_body, project_body
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal
from tests.fixtures.http import assert_problem

REPLAYED = "Idempotent-Replayed"


@pytest.fixture
async def territory_id(make_territory: MakeTerritory) -> Any:
    return (await make_territory("ti-pontivy")).id


@pytest.fixture
async def key(territory_id: Any, make_key: MakeKey) -> Key:
    return await make_key("territory", territory_id=territory_id)


async def _rows(sessionmaker: async_sessionmaker[AsyncSession], table: str) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608


async def _audits(sessionmaker: async_sessionmaker[AsyncSession], action: str) -> int:
    async with sessionmaker() as session:
        count = await session.scalar(
            text("SELECT count(*) FROM audit_entries WHERE action = :action"), {"action": action}
        )
        return int(count or 0)


async def _post(
    client: httpx.AsyncClient, key: Key, url: str, body: dict[str, Any], idempotency_key: str
) -> httpx.Response:
    headers = {**auth(key.secret), "Idempotency-Key": idempotency_key}
    return await client.post(url, json=body, headers=headers)


def _assert_one_creation_replayed(responses: list[httpx.Response]) -> dict[str, Any]:
    """Every response is the same 201; all but the first say they are replays."""
    assert [r.status_code for r in responses] == [201] * len(responses), [
        (r.status_code, r.text[:200]) for r in responses if r.status_code != 201
    ]
    bodies = [r.json() for r in responses]
    assert all(body == bodies[0] for body in bodies)
    assert len({r.headers["location"] for r in responses}) == 1
    assert len({r.headers["etag"] for r in responses}) == 1
    replayed = [r.headers.get(REPLAYED) for r in responses]
    assert replayed.count("true") == len(responses) - 1, replayed
    assert replayed.count(None) == 1, replayed
    return dict(bodies[0])


class TestIdempotentProjectCreation:
    async def test_twenty_concurrent_retries_create_one_project_and_replay_it(
        self,
        deployed_client: httpx.AsyncClient,
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        body = project_body()

        responses = await asyncio.gather(
            *(_post(deployed_client, key, "/v1/projects", body, "retry-1") for _ in range(20))
        )

        created = _assert_one_creation_replayed(list(responses))
        assert created["title"] == body["title"]
        assert await _rows(sessionmaker, "projects") == 1
        assert await _audits(sessionmaker, "project.created") == 1
        assert await _rows(sessionmaker, "idempotency_records") == 1

    async def test_a_later_retry_replays_the_first_response(
        self, client: httpx.AsyncClient, key: Key, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        first = await _post(client, key, "/v1/projects", project_body(), "retry-2")
        again = await _post(client, key, "/v1/projects", project_body(), "retry-2")

        _assert_one_creation_replayed([first, again])
        assert await _rows(sessionmaker, "projects") == 1

    async def test_the_same_key_with_a_different_body_is_422_and_creates_nothing(
        self, client: httpx.AsyncClient, key: Key, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        first = await _post(client, key, "/v1/projects", project_body(), "retry-3")
        assert first.status_code == 201, first.text

        other = await _post(client, key, "/v1/projects", project_body(title="Autre"), "retry-3")

        problem = assert_problem(other, 422)
        assert problem["type"].endswith("/idempotency-key-reused")
        assert REPLAYED not in other.headers
        assert await _rows(sessionmaker, "projects") == 1

    async def test_the_same_key_under_another_api_key_is_independent(
        self,
        client: httpx.AsyncClient,
        key: Key,
        territory_id: Any,
        make_key: MakeKey,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        colleague = await make_key("territory", territory_id=territory_id, name="colleague")
        mine = await _post(client, key, "/v1/projects", project_body(), "shared-name")
        theirs = await _post(client, colleague, "/v1/projects", project_body(), "shared-name")

        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert REPLAYED not in theirs.headers
        assert mine.json()["id"] != theirs.json()["id"]
        assert await _rows(sessionmaker, "projects") == 2
        assert await _rows(sessionmaker, "idempotency_records") == 2

    @pytest.mark.parametrize(
        "retry", [project_body, lambda: project_body(title="Autre projet")], ids=["same", "other"]
    )
    async def test_a_key_older_than_a_day_is_free_again(
        self,
        client: httpx.AsyncClient,
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
        retry: Callable[[], dict[str, Any]],
    ) -> None:
        first = await _post(client, key, "/v1/projects", project_body(), "yesterday")
        async with sessionmaker() as session:
            await session.execute(
                text(
                    "UPDATE idempotency_records SET created_at = now() - interval '25 hours', "
                    "expires_at = now() - interval '1 hour'"
                )
            )
            await session.commit()

        later = await _post(client, key, "/v1/projects", retry(), "yesterday")

        assert later.status_code == 201, later.text
        assert REPLAYED not in later.headers
        assert later.json()["id"] != first.json()["id"]
        assert await _rows(sessionmaker, "projects") == 2
        assert await _rows(sessionmaker, "idempotency_records") == 1


class TestIdempotentApplicationCreation:
    async def test_twenty_concurrent_retries_create_one_application_and_replay_it(
        self,
        client: httpx.AsyncClient,
        deployed_client: httpx.AsyncClient,
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        project = await Portal(client, key.secret).active_project()
        body = application_body(project["id"])

        responses = await asyncio.gather(
            *(_post(deployed_client, key, "/v1/applications", body, "apply-1") for _ in range(20))
        )

        created = _assert_one_creation_replayed(list(responses))
        assert created["project_id"] == project["id"]
        assert await _rows(sessionmaker, "applications") == 1
        assert await _audits(sessionmaker, "application.created") == 1

    async def test_the_same_key_with_a_different_body_is_422_and_creates_nothing(
        self, client: httpx.AsyncClient, key: Key, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        project = await Portal(client, key.secret).active_project()
        first = await _post(
            client, key, "/v1/applications", application_body(project["id"]), "apply-2"
        )
        assert first.status_code == 201, first.text

        other = await _post(
            client,
            key,
            "/v1/applications",
            application_body(project["id"], fund_code="fonds-vert-ti"),
            "apply-2",
        )

        assert assert_problem(other, 422)["type"].endswith("/idempotency-key-reused")
        assert await _rows(sessionmaker, "applications") == 1

    async def test_a_refused_creation_does_not_burn_the_key(
        self, client: httpx.AsyncClient, key: Key, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        project = await Portal(client, key.secret).active_project()
        await Portal(client, key.secret).draft_application(project)
        body = application_body(project["id"])

        refused = await _post(client, key, "/v1/applications", body, "apply-3")
        assert_problem(refused, 409)
        assert await _rows(sessionmaker, "idempotency_records") == 0
        again = await _post(client, key, "/v1/applications", body, "apply-3")

        assert_problem(again, 409)
        assert REPLAYED not in again.headers
        assert await _rows(sessionmaker, "applications") == 1
