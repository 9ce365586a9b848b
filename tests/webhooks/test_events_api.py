"""GET /v1/events: the same ids and envelopes as the webhooks, in order, with tenancy."""

import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import text

from tests.eligibility.flows import submitted
from tests.fixtures.api import auth
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.http import assert_problem
from tests.fixtures.receiver import Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint

EVENTS = "/v1/events"


async def feed(client: Any, key: Key, **params: Any) -> dict[str, Any]:
    response = await client.get(EVENTS, params=params, headers=auth(key.secret))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def all_events(client: Any, key: Key, **params: Any) -> list[dict[str, Any]]:
    page = await feed(client, key, limit=200, **params)
    return list(page["items"])


async def add_rule(client: Any, admin: Key, operator: str, field: str, value: str) -> None:
    response = await client.post(
        "/v1/webhook-routing-rules",
        json={"operator_code": operator, "field": field, "value": value},
        headers=auth(admin.secret),
    )
    assert response.status_code == 201, response.text


class TestSameAsWebhooks:
    async def test_ids_and_envelopes_match_the_webhooks_in_order(
        self,
        client: Any,
        portal: Any,
        operator_key: Key,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        async with serve(Receiver()) as receiver, workers():
            await create_endpoint(client, operator_key, receiver.url, max_in_flight=1)
            await submitted(portal(key.secret))
            await submitted(portal(key.secret))
            await wait_until(lambda: len(receiver.received) >= 4)
        items = await all_events(client, operator_key)
        assert len(items) == 4
        by_id = {r.headers["webhook-id"]: json.loads(r.body) for r in receiver.received}
        assert {item["id"] for item in items} == set(by_id)
        for item in items:
            body = by_id[item["id"]]
            assert item["type"] == body["type"]
            assert item["api_version"] == body["api_version"] == "1"
            assert datetime.fromisoformat(item["timestamp"]) == datetime.fromisoformat(
                body["timestamp"]
            )
            assert item["data"] == body["data"]
            assert set(item) == {"id", "type", "timestamp", "api_version", "data"}
        # in order: each application's submitted comes before its scored, per sequence
        for application_id in {item["data"]["id"] for item in items}:
            kinds = [i["type"] for i in items if i["data"]["id"] == application_id]
            assert kinds == ["application.submitted", "application.scored"]
        async with sessionmaker() as session:
            ordered = (
                await session.execute(text("SELECT id::text FROM events ORDER BY position"))
            ).scalars()
            assert [item["id"] for item in items] == [i for i in ordered if i in by_id]

    async def test_after_cursor_pages_and_types_filter(
        self,
        client: Any,
        portal: Any,
        operator_key: Key,
        territory_key: Any,
        workers: Any,
    ) -> None:
        _, key = territory_key
        async with workers():
            first = await submitted(portal(key.secret))
            second = await submitted(portal(key.secret))

            async def four() -> bool:
                return len(await all_events(client, operator_key)) == 4

            await wait_until(four)
        everything = await all_events(client, operator_key)
        ids: list[str] = []
        cursor: str | None = None
        for _ in range(4):
            page = await feed(
                client, operator_key, limit=1, **({"after": cursor} if cursor else {})
            )
            assert len(page["items"]) == 1
            ids.append(page["items"][0]["id"])
            cursor = page["next_cursor"]
        assert ids == [item["id"] for item in everything]
        empty = await feed(client, operator_key, after=cursor)
        assert empty["items"] == []
        assert empty["next_cursor"] == cursor

        scored = await all_events(client, operator_key, types="application.scored")
        assert [i["type"] for i in scored] == ["application.scored"] * 2
        assert [i["data"]["id"] for i in scored] == [
            i["data"]["id"] for i in everything if i["type"] == "application.scored"
        ]
        assert {i["data"]["id"] for i in scored} == {first["id"], second["id"]}
        both = await client.get(
            EVENTS,
            params=[("types", "application.scored"), ("types", "application.submitted")],
            headers=auth(operator_key.secret),
        )
        assert len(both.json()["items"]) == 4
        unknown = await client.get(
            EVENTS, params={"types": "application.nope"}, headers=auth(operator_key.secret)
        )
        assert_problem(unknown, 422)
        bad_cursor = await client.get(
            EVENTS, params={"after": "garbage"}, headers=auth(operator_key.secret)
        )
        assert bad_cursor.status_code in (400, 422), bad_cursor.text

    async def test_a_new_event_appears_after_the_last_cursor(
        self, client: Any, portal: Any, operator_key: Key, territory_key: Any
    ) -> None:
        _, key = territory_key
        start = await feed(client, operator_key)
        assert start["items"] == []
        application = await submitted(portal(key.secret))
        later = await feed(client, operator_key, after=start["next_cursor"])
        assert [i["type"] for i in later["items"]] == ["application.submitted"]
        assert later["items"][0]["data"]["id"] == application["id"]


class TestTenancy:
    async def test_operators_see_their_audience_only(
        self,
        client: Any,
        portal: Any,
        admin_key: Key,
        operator_key: Key,
        territory_key: Any,
        make_key: MakeKey,
    ) -> None:
        _, key = territory_key
        await add_rule(client, admin_key, "france-travail", "priority", "recrutement")
        application = await submitted(portal(key.secret))
        travail = await make_key("operator", operator_code="france-travail")
        ademe = await make_key("operator", operator_code="ademe")

        bpi_types = [i["type"] for i in await all_events(client, operator_key)]
        assert bpi_types == ["application.submitted"]
        travail_items = await all_events(client, travail)
        assert [i["type"] for i in travail_items] == ["project.submitted", "project.status_changed"]
        assert {i["data"]["id"] for i in travail_items} == {application["project_id"]}
        assert await all_events(client, ademe) == []
        admin_types = {i["type"] for i in await all_events(client, admin_key)}
        assert admin_types == {
            "project.submitted",
            "project.status_changed",
            "application.submitted",
        }

    async def test_territory_keys_see_their_territory_only(
        self,
        client: Any,
        portal: Any,
        territory_key: Any,
        make_territory: MakeTerritory,
        make_key: MakeKey,
        operator_key: Key,
    ) -> None:
        territory, key = territory_key
        await submitted(portal(key.secret))
        mine = await all_events(client, key)
        assert [i["type"] for i in mine] == [
            "project.submitted",
            "project.status_changed",
            "application.submitted",
        ]
        other = await make_territory("ti-albi", region_code="76", epci_sirens=["248100737"])
        other_key = await make_key("territory", territory_id=other.id)
        assert await all_events(client, other_key) == []
        # the endpoint owner's warnings never reach a territory
        endpoint = await create_endpoint(client, operator_key, "http://127.0.0.1:9/hook")
        ping = await client.post(
            f"/v1/webhook-endpoints/{endpoint['id']}/ping", headers=auth(operator_key.secret)
        )
        assert ping.status_code == 202, ping.text
        assert len(await all_events(client, key)) == 3
        owner = await all_events(client, operator_key, types="endpoint.ping")
        assert [i["data"]["id"] for i in owner] == [endpoint["id"]]
        assert territory.id

    @pytest.mark.parametrize("role", ["observer"])
    async def test_observers_are_forbidden(self, client: Any, make_key: MakeKey, role: str) -> None:
        key = await make_key(role)
        assert_problem(await client.get(EVENTS, headers=auth(key.secret)), 403)

    async def test_anonymous_is_401(self, client: Any) -> None:
        assert_problem(await client.get(EVENTS), 401)


class TestRetention:
    async def test_events_whose_payload_was_nulled_are_not_served(
        self,
        client: Any,
        portal: Any,
        operator_key: Key,
        territory_key: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        first = await submitted(portal(key.secret))
        second = await submitted(portal(key.secret))
        async with sessionmaker() as session:
            await session.execute(
                text("UPDATE events SET data = NULL WHERE subject_id = :id"), {"id": first["id"]}
            )
            await session.commit()
        items = await all_events(client, operator_key)
        assert [i["data"]["id"] for i in items] == [second["id"]]
