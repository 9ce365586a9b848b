"""Optimistic concurrency under real parallel requests: one ETag, one winner."""

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.applications.models import Application
from shared.audit.models import AuditEntry
from shared.events.models import Event
from shared.projects.models import Project
from tests.fixtures.api import auth
from tests.fixtures.bodies import application_body, project_body
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal, if_match
from tests.fixtures.http import assert_problem

pytestmark = pytest.mark.usefixtures("open_fund_windows")


@pytest.fixture
async def key(make_territory: MakeTerritory, make_key: MakeKey) -> Key:
    territory = await make_territory("ti-pontivy")
    return await make_key("territory", territory_id=territory.id)


@pytest.fixture
def team(client: httpx.AsyncClient, key: Key) -> Portal:
    """Arranges the records with the key, which also stamps its last use: the concurrent
    requests then only read the key row instead of queueing to update it.
    """
    return Portal(client, key.secret)


async def _gather(
    client: httpx.AsyncClient,
    key: Key,
    calls: list[tuple[str, str, dict[str, Any] | None, dict[str, str]]],
) -> list[httpx.Response]:
    """Send every call at once through one client."""
    return list(
        await asyncio.gather(
            *(
                client.request(method, url, json=body, headers={**auth(key.secret), **headers})
                for method, url, body, headers in calls
            )
        )
    )


def _statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(r.status_code for r in responses)


async def _count(sessionmaker: async_sessionmaker[AsyncSession], statement: Any) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(statement) or 0)


class TestConcurrentApplicationEdits:
    async def test_fifty_patches_with_one_etag_one_wins_the_others_get_412(
        self,
        team: Portal,
        deployed_client: httpx.AsyncClient,
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        draft = await team.draft_application(await team.active_project())
        url = f"/v1/applications/{draft['id']}"
        calls = [
            ("PATCH", url, {"requested_amount_cents": 100_000_000 + i}, if_match(draft))
            for i in range(50)
        ]

        responses = await _gather(deployed_client, key, calls)

        assert _statuses(responses) == {200: 1, 412: 49}, _statuses(responses)
        for response in responses:
            if response.status_code == 412:
                assert assert_problem(response, 412)["type"].endswith("/precondition-failed")
        winner = next(r.json() for r in responses if r.status_code == 200)
        assert winner["version"] == draft["version"] + 1
        async with sessionmaker() as session:
            stored = await session.get_one(Application, uuid.UUID(draft["id"]))
        assert stored.version == draft["version"] + 1
        assert stored.requested_amount_cents == winner["requested_amount_cents"]
        updates = await _count(
            sessionmaker,
            select(func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.subject_id == draft["id"], AuditEntry.action == "application.updated"
            ),
        )
        assert updates == 1


class TestConcurrentProjectEdits:
    async def test_fifty_patches_with_one_etag_one_wins_the_others_get_412(
        self,
        team: Portal,
        deployed_client: httpx.AsyncClient,
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        created = await team.call("POST", "/v1/projects", json=project_body(), expect=201)
        project = created.json()
        url = f"/v1/projects/{project['id']}"
        calls = [
            ("PATCH", url, {"title": f"Ligne de fonderie {i}"}, if_match(project))
            for i in range(50)
        ]

        responses = await _gather(deployed_client, key, calls)

        assert _statuses(responses) == {200: 1, 412: 49}, _statuses(responses)
        for response in responses:
            if response.status_code == 412:
                assert_problem(response, 412)
        winner = next(r.json() for r in responses if r.status_code == 200)
        async with sessionmaker() as session:
            stored = await session.get_one(Project, uuid.UUID(project["id"]))
            events = await session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.subject_id == stored.id, Event.type == "project.updated")
            )
            audits = await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.subject_id == project["id"], AuditEntry.action == "project.updated"
                )
            )
        assert stored.version == project["version"] + 1
        assert stored.title == winner["title"]
        assert (events, audits) == (1, 1)


class TestConcurrentSubmissions:
    async def test_twenty_submits_with_one_etag_submit_exactly_once(
        self,
        team: Portal,
        deployed_client: httpx.AsyncClient,
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        draft = await team.draft_application(await team.active_project())
        url = f"/v1/applications/{draft['id']}/submit"

        responses = await _gather(deployed_client, key, [("POST", url, None, if_match(draft))] * 20)

        assert _statuses(responses) == {200: 1, 412: 19}, _statuses(responses)
        for response in responses:
            if response.status_code != 200:
                assert_problem(response, 412)
        async with sessionmaker() as session:
            stored = await session.get_one(Application, uuid.UUID(draft["id"]))
            events = await session.scalar(
                select(func.count())
                .select_from(Event)
                .where(Event.subject_id == stored.id, Event.type == "application.submitted")
            )
            audits = await session.scalar(
                select(func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.subject_id == draft["id"], AuditEntry.action == "application.submit"
                )
            )
        assert stored.status == "submitted"
        assert stored.submission_no == 1
        assert stored.version == draft["version"] + 1
        assert events == 1
        assert audits == 1


class TestConcurrentCreation:
    async def test_twenty_creations_for_one_project_and_fund_create_one_and_refuse_the_rest(
        self,
        team: Portal,
        deployed_client: httpx.AsyncClient,
        key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        project = await team.active_project()
        body = application_body(project["id"])

        responses = await _gather(
            deployed_client, key, [("POST", "/v1/applications", body, {})] * 20
        )

        assert _statuses(responses) == {201: 1, 409: 19}, _statuses(responses)
        for response in responses:
            if response.status_code == 409:
                problem = assert_problem(response, 409)
                assert problem["type"].rsplit("/", 1)[1] in {"duplicate-application", "conflict"}
        created = next(r.json() for r in responses if r.status_code == 201)
        rows = await _count(
            sessionmaker,
            select(func.count())
            .select_from(Application)
            .where(Application.project_id == uuid.UUID(project["id"])),
        )
        audits = await _count(
            sessionmaker,
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "application.created"),
        )
        assert rows == 1
        assert audits == 1
        fetched = await team.call("GET", f"/v1/applications/{created['id']}", expect=200)
        assert fetched.json()["id"] == created["id"]
