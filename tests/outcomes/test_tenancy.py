"""Who reads and reports outcomes: the application's territory reports (and admins), the
fund's operator and the region read; another tenant's application is a 404, an observer
(aggregates only) is refused."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.webhooks.models import WebhookDelivery
from tests.fixtures.flows import nothing_written
from tests.fixtures.http import assert_problem
from tests.outcomes.conftest import TODAY, Keys, signed

REPORT = {
    "reported_on": TODAY.isoformat(),
    "jobs_created": 3,
    "jobs_maintained": 100,
    "investment_cents": 1_000,
}


async def _reported(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> tuple[str, dict[str, Any]]:
    application = await signed(keys, sessionmaker)
    path = f"/v1/applications/{application['id']}/outcomes"
    created = await keys["territory"].call("POST", path, json=REPORT, expect=201)
    return path, created.json()


class TestTenancy:
    async def test_another_territory_gets_404_everywhere(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        path, outcome = await _reported(keys, sessionmaker)
        other = keys["other_territory"]
        async with nothing_written(sessionmaker):
            assert_problem(await other.call("POST", path, json=REPORT), 404)
        assert_problem(await other.call("GET", path), 404)
        assert_problem(await other.call("GET", f"/v1/outcomes/{outcome['id']}"), 404)

    async def test_readers_of_the_application_read_its_outcomes_but_do_not_report(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        path, outcome = await _reported(keys, sessionmaker)
        for who in ("operator", "region", "admin"):
            history = await keys[who].call("GET", path, expect=200)
            assert history.json()["latest"] == outcome, who
        for who in ("operator", "region"):
            async with nothing_written(sessionmaker):
                assert_problem(await keys[who].call("POST", path, json=REPORT), 403)
        await keys["admin"].call("POST", path, json=REPORT, expect=201)

    async def test_another_operator_gets_404(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        path, outcome = await _reported(keys, sessionmaker)
        assert_problem(await keys["other_operator"].call("GET", path), 404)
        assert_problem(
            await keys["other_operator"].call("GET", f"/v1/outcomes/{outcome['id']}"), 404
        )

    async def test_an_observer_can_neither_read_nor_write(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        path, outcome = await _reported(keys, sessionmaker)
        async with nothing_written(sessionmaker):
            assert_problem(await keys["observer"].call("POST", path, json=REPORT), 403)
        assert_problem(await keys["observer"].call("GET", path), 403)
        assert_problem(await keys["observer"].call("GET", f"/v1/outcomes/{outcome['id']}"), 403)

    async def test_another_tenants_report_is_404_like_an_unknown_one(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        _, outcome = await _reported(keys, sessionmaker)
        for who in ("operator", "region", "territory", "admin"):
            await keys[who].call("GET", f"/v1/outcomes/{outcome['id']}", expect=200)
        theirs = await keys["other_territory"].call("GET", f"/v1/outcomes/{outcome['id']}")
        unknown = await keys["other_territory"].call("GET", f"/v1/outcomes/{uuid.uuid4()}")
        for response in (theirs, unknown):
            problem = assert_problem(response, 404)
            assert problem["type"].endswith("/outcome-not-found")


class TestAnnouncement:
    async def test_outcome_reported_is_in_the_webhook_catalogue(
        self, keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        document = (await keys["admin"].call("GET", "/openapi.json", expect=200)).json()
        assert "outcome.reported" in document["webhooks"]
        endpoint = await keys["operator"].call(
            "POST",
            "/v1/webhook-endpoints",
            json={"url": "http://127.0.0.1:9/hook", "event_types": ["outcome.reported"]},
            expect=201,
        )
        _, outcome = await _reported(keys, sessionmaker)
        async with sessionmaker() as session:
            deliveries = list(
                await session.scalars(
                    select(WebhookDelivery).where(
                        WebhookDelivery.endpoint_id == endpoint.json()["id"]
                    )
                )
            )
        assert len(deliveries) == 1  # the agreement's event is not among its types
        feed = await keys["operator"].call(
            "GET", "/v1/events", params={"types": "outcome.reported"}, expect=200
        )
        [item] = feed.json()["items"]
        assert item["id"] == str(deliveries[0].event_id)
        assert item["data"]["id"] == outcome["id"]
        assert item["data"]["jobs_created"] == 3
        # The territory reads it in its feed too; another territory does not.
        mine = await keys["territory"].call(
            "GET", "/v1/events", params={"types": "outcome.reported"}, expect=200
        )
        assert len(mine.json()["items"]) == 1
        theirs = await keys["other_territory"].call(
            "GET", "/v1/events", params={"types": "outcome.reported"}, expect=200
        )
        assert theirs.json()["items"] == []
