"""Routing: project events by rules, application events to the fund's operator, endpoint filters;
the routing rules API."""

import json
from typing import Any

import pytest
from sqlalchemy import text

from tests.eligibility.flows import submitted
from tests.fixtures.api import auth
from tests.fixtures.builders import Key, MakeKey
from tests.fixtures.http import assert_problem, error_pointers, list_all
from tests.fixtures.receiver import Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint

RULES = "/v1/webhook-routing-rules"
SINK = "http://127.0.0.1:9/hook"
PROJECT_EVENTS = ["project.status_changed", "project.submitted"]
APPLICATION_SUBMITTED = ["application.submitted"]


async def add_rule(
    client: Any, admin: Key, operator: str, field: str, value: str
) -> dict[str, Any]:
    response = await client.post(
        RULES,
        json={"operator_code": operator, "field": field, "value": value},
        headers=auth(admin.secret),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def endpoint_for(client: Any, admin: Key, operator: str, **fields: Any) -> dict[str, Any]:
    return await create_endpoint(client, admin, SINK, operator_code=operator, **fields)


async def types_delivered(sessionmaker: Any, endpoint: dict[str, Any]) -> list[str]:
    """Event types of the deliveries written for an endpoint (routing is decided at write)."""
    async with sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT event_type FROM webhook_deliveries WHERE endpoint_id = :id "
                "ORDER BY event_type"
            ),
            {"id": endpoint["id"]},
        )
        return [row[0] for row in rows]


class TestRouting:
    async def test_project_events_follow_rules_and_application_events_the_fund(
        self,
        client: Any,
        portal: Any,
        admin_key: Key,
        territory_key: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        await add_rule(client, admin_key, "france-travail", "priority", "recrutement")
        await add_rule(client, admin_key, "business-france", "nature", "extension")
        await add_rule(client, admin_key, "ademe", "nature", "relocation")
        france_travail = await endpoint_for(client, admin_key, "france-travail")
        business_france = await endpoint_for(client, admin_key, "business-france")
        ademe = await endpoint_for(client, admin_key, "ademe")
        bpifrance = await endpoint_for(client, admin_key, "bpifrance")
        etat = await endpoint_for(client, admin_key, "etat")

        # default project: nature extension, priorities decarbonation + recrutement
        await submitted(portal(key.secret))

        assert await types_delivered(sessionmaker, france_travail) == PROJECT_EVENTS
        assert await types_delivered(sessionmaker, business_france) == PROJECT_EVENTS
        assert await types_delivered(sessionmaker, ademe) == []
        assert await types_delivered(sessionmaker, bpifrance) == APPLICATION_SUBMITTED
        assert await types_delivered(sessionmaker, etat) == []

    async def test_an_operator_matched_by_two_rules_gets_each_event_once(
        self,
        client: Any,
        portal: Any,
        admin_key: Key,
        territory_key: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        await add_rule(client, admin_key, "ademe", "priority", "decarbonation")
        await add_rule(client, admin_key, "ademe", "nature", "extension")
        ademe = await endpoint_for(client, admin_key, "ademe")
        await submitted(portal(key.secret))
        assert await types_delivered(sessionmaker, ademe) == PROJECT_EVENTS

    async def test_a_rule_added_later_routes_later_projects_only(
        self,
        client: Any,
        portal: Any,
        admin_key: Key,
        territory_key: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        ademe = await endpoint_for(client, admin_key, "ademe")
        await submitted(portal(key.secret), {"priorities": ["innovation"]})
        assert await types_delivered(sessionmaker, ademe) == []
        rule = await add_rule(client, admin_key, "ademe", "priority", "innovation")
        await submitted(portal(key.secret), {"priorities": ["innovation"]})
        assert await types_delivered(sessionmaker, ademe) == PROJECT_EVENTS
        deleted = await client.delete(f"{RULES}/{rule['id']}", headers=auth(admin_key.secret))
        assert deleted.status_code == 204, deleted.text
        await submitted(portal(key.secret), {"priorities": ["innovation"]})
        assert await types_delivered(sessionmaker, ademe) == PROJECT_EVENTS

    async def test_endpoint_filters_narrow_by_type_and_fund(
        self,
        client: Any,
        portal: Any,
        admin_key: Key,
        territory_key: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        await add_rule(client, admin_key, "france-travail", "priority", "recrutement")
        await add_rule(client, admin_key, "bpifrance", "priority", "recrutement")
        only_submitted = await endpoint_for(
            client, admin_key, "france-travail", event_types=["project.submitted"]
        )
        all_projects = await endpoint_for(client, admin_key, "france-travail")
        its_fund = await endpoint_for(
            client, admin_key, "bpifrance", fund_codes=["fonds-acceleration"]
        )
        other_fund = await endpoint_for(client, admin_key, "etat", fund_codes=["fonds-friches"])
        scored_only = await endpoint_for(
            client, admin_key, "bpifrance", event_types=["application.scored"]
        )
        await submitted(portal(key.secret))

        assert await types_delivered(sessionmaker, only_submitted) == ["project.submitted"]
        assert await types_delivered(sessionmaker, all_projects) == PROJECT_EVENTS
        # project events reach bpifrance by its rule but carry no fund: a fund filter lets
        # none of them through
        assert await types_delivered(sessionmaker, its_fund) == APPLICATION_SUBMITTED
        assert await types_delivered(sessionmaker, other_fund) == []
        # no scoring ran (no workers): nothing yet for a scored-only endpoint
        assert await types_delivered(sessionmaker, scored_only) == []

    async def test_routed_events_reach_the_receivers(
        self,
        client: Any,
        portal: Any,
        admin_key: Key,
        operator_key: Key,
        territory_key: Any,
        workers: Any,
    ) -> None:
        _, key = territory_key
        await add_rule(client, admin_key, "france-travail", "priority", "recrutement")
        async with (
            serve(Receiver()) as travail,
            serve(Receiver()) as bpi,
            serve(Receiver()) as ademe,
            workers(),
        ):
            await create_endpoint(client, admin_key, travail.url, operator_code="france-travail")
            await create_endpoint(client, operator_key, bpi.url)
            await create_endpoint(client, admin_key, ademe.url, operator_code="ademe")
            application = await submitted(portal(key.secret))
            await wait_until(lambda: len(travail.received) >= 2 and len(bpi.received) >= 2)

        def kinds(receiver: Receiver) -> list[str]:
            return sorted(json.loads(r.body)["type"] for r in receiver.received)

        assert kinds(travail) == PROJECT_EVENTS
        assert kinds(bpi) == ["application.scored", "application.submitted"]
        assert ademe.received == []
        project_ids = {json.loads(r.body)["data"]["id"] for r in travail.received}
        assert project_ids == {application["project_id"]}


class TestRulesApi:
    async def test_admin_creates_reads_and_deletes(self, client: Any, admin_key: Key) -> None:
        headers = auth(admin_key.secret)
        response = await client.post(
            RULES,
            json={"operator_code": "france-travail", "field": "priority", "value": "recrutement"},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        rule = response.json()
        assert rule["operator_code"] == "france-travail"
        assert rule["field"] == "priority"
        assert rule["value"] == "recrutement"
        assert response.headers["location"] == f"{RULES}/{rule['id']}"

        read = await client.get(f"{RULES}/{rule['id']}", headers=headers)
        assert read.status_code == 200, read.text
        assert read.json() == rule

        duplicate = await client.post(
            RULES,
            json={"operator_code": "france-travail", "field": "priority", "value": "recrutement"},
            headers=headers,
        )
        assert_problem(duplicate, 409)

        listed = await list_all(client, RULES, admin_key.secret)
        assert [item["id"] for item in listed] == [rule["id"]]
        assert listed[0]["operator_code"] == "france-travail"

        deleted = await client.delete(f"{RULES}/{rule['id']}", headers=headers)
        assert deleted.status_code == 204, deleted.text
        assert_problem(await client.get(f"{RULES}/{rule['id']}", headers=headers), 404)
        assert_problem(await client.delete(f"{RULES}/{rule['id']}", headers=headers), 404)

    @pytest.mark.parametrize(
        ("body", "pointer"),
        [
            ({"operator_code": "ademe", "field": "priority", "value": "tourisme"}, "/body"),
            ({"operator_code": "ademe", "field": "nature", "value": "recrutement"}, "/body"),
            ({"operator_code": "ademe", "field": "sector", "value": "x"}, "/body/field"),
            ({"operator_code": "nobody", "field": "nature", "value": "creation"}, None),
        ],
    )
    async def test_bad_rules_are_422(
        self, client: Any, admin_key: Key, body: dict[str, str], pointer: str | None
    ) -> None:
        response = await client.post(RULES, json=body, headers=auth(admin_key.secret))
        problem = assert_problem(response, 422)
        if pointer is not None:
            assert any(p.startswith(pointer) for p in error_pointers(problem)), problem
        else:
            assert "/body/operator_code" in error_pointers(problem)

    async def test_operators_list_only_theirs_and_cannot_write(
        self, client: Any, admin_key: Key, make_key: MakeKey
    ) -> None:
        mine = await add_rule(client, admin_key, "france-travail", "priority", "recrutement")
        theirs = await add_rule(client, admin_key, "ademe", "priority", "decarbonation")
        travail = await make_key("operator", operator_code="france-travail")
        listed = await list_all(client, RULES, travail.secret)
        assert [item["id"] for item in listed] == [mine["id"]]
        everything = await list_all(client, RULES, admin_key.secret)
        assert {item["id"] for item in everything} == {mine["id"], theirs["id"]}
        headers = auth(travail.secret)
        assert (await client.get(f"{RULES}/{mine['id']}", headers=headers)).status_code == 200
        assert_problem(await client.get(f"{RULES}/{theirs['id']}", headers=headers), 404)
        created = await client.post(
            RULES,
            json={"operator_code": "france-travail", "field": "nature", "value": "creation"},
            headers=headers,
        )
        assert_problem(created, 403)
        assert_problem(await client.delete(f"{RULES}/{mine['id']}", headers=headers), 403)

    async def test_rules_pages_follow_the_cursor(self, client: Any, admin_key: Key) -> None:
        for value in ("foncier", "recrutement", "innovation"):
            await add_rule(client, admin_key, "france-travail", "priority", value)
        first = await client.get(RULES, params={"limit": 2}, headers=auth(admin_key.secret))
        assert first.status_code == 200, first.text
        assert len(first.json()["items"]) == 2
        cursor = first.json()["next_cursor"]
        assert cursor
        second = await client.get(
            RULES, params={"limit": 2, "cursor": cursor}, headers=auth(admin_key.secret)
        )
        assert [i["value"] for i in second.json()["items"]] == ["innovation"]
        assert second.json()["next_cursor"] is None

    @pytest.mark.parametrize("role", ["territory", "observer"])
    async def test_territory_and_observer_keys_are_forbidden(
        self, client: Any, role: str, make_key: MakeKey, territory_key: Any
    ) -> None:
        key = territory_key[1] if role == "territory" else await make_key("observer")
        assert_problem(await client.get(RULES, headers=auth(key.secret)), 403)
