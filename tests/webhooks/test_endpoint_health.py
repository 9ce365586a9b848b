"""Endpoint health end to end: 410, degraded, circuit open, disabled, recovered; the backlog
kept meanwhile drains in event order."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from sqlalchemy import text

from services.worker.jobs.webhooks import sweep_deliveries
from shared.settings import Settings
from shared.webhooks.policy import DeliveryPolicy
from shared.webhooks.sweeper import sweep
from tests.eligibility.flows import submitted
from tests.fixtures.api import auth
from tests.fixtures.builders import Key
from tests.fixtures.receiver import Answer, Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint

ENDPOINTS = "/v1/webhook-endpoints"
HEALTH_EVENTS = ["endpoint.degraded", "endpoint.circuit_opened", "endpoint.disabled"]


class Switch:
    """A receiver script answering `status` until changed."""

    def __init__(self, status: int) -> None:
        self.status = status

    def __call__(self, _n: int, _request: Any) -> Answer:
        return Answer(status=self.status)


def compressed(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(
        update={
            "WEBHOOK_DEGRADED_AFTER": 2,
            "WEBHOOK_CIRCUIT_AFTER": 4,
            "WEBHOOK_CIRCUIT_MIN_SPAN_SECONDS": 0,
            "WEBHOOK_PROBE_INITIAL_SECONDS": 0.2,
            "WEBHOOK_PROBE_MAX_SECONDS": 0.5,
            "WEBHOOK_DISABLE_AFTER_SECONDS": 3,
            "WEBHOOK_RETRY_SCHEDULE_SECONDS": [0] + [0.05] * 19,
            **overrides,
        }
    )


@pytest.fixture
async def arq_pool(test_settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(test_settings.redis_url()))
    yield pool
    await pool.aclose()


async def endpoint_state(client: Any, key: Key, endpoint_id: str) -> dict[str, Any]:
    response = await client.get(f"{ENDPOINTS}/{endpoint_id}", headers=auth(key.secret))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def health_events(client: Any, key: Key, *types: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/v1/events",
        params=[("types", t) for t in types] + [("limit", "200")],
        headers=auth(key.secret),
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def deliveries(sessionmaker: Any, endpoint_id: str) -> list[Any]:
    """(event id, status, attempts) of the endpoint's deliveries, in event order."""
    async with sessionmaker() as session:
        rows = await session.execute(
            text(
                "SELECT event_id::text AS event_id, status::text AS status, attempts "
                "FROM webhook_deliveries WHERE endpoint_id = :id ORDER BY position"
            ),
            {"id": endpoint_id},
        )
        return list(rows.all())


def in_state(client: Any, key: Key, endpoint_id: str, state: str) -> Any:
    async def check() -> bool:
        return bool((await endpoint_state(client, key, endpoint_id))["state"] == state)

    return check


def all_succeeded(sessionmaker: Any, endpoint_id: str, count: int) -> Any:
    async def check() -> bool:
        rows = await deliveries(sessionmaker, endpoint_id)
        return len(rows) == count and all(row.status == "succeeded" for row in rows)

    return check


class TestGone:
    async def test_410_disables_at_once_and_the_kept_messages_go_out_in_order_on_enable(
        self,
        client: Any,
        portal: Any,
        operator_key: Key,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        switch = Switch(410)
        async with serve(Receiver(switch)) as receiver, workers():
            endpoint = await create_endpoint(
                client,
                operator_key,
                receiver.url,
                event_types=["application.submitted"],
                max_in_flight=1,
            )
            await submitted(portal(key.secret))
            await wait_until(in_state(client, operator_key, endpoint["id"], "disabled"))
            read = await endpoint_state(client, operator_key, endpoint["id"])
            assert read["disabled_reason"] == "gone"
            assert len(receiver.received) == 1

            for _ in range(3):
                await submitted(portal(key.secret))
            kept = await deliveries(sessionmaker, endpoint["id"])
            assert [row.status for row in kept] == ["pending"] * 4
            assert [row.attempts for row in kept] == [1, 0, 0, 0]
            stats = await client.get(
                f"{ENDPOINTS}/{endpoint['id']}/stats", headers=auth(operator_key.secret)
            )
            assert stats.json()["pending"] == 4
            assert stats.json()["state"] == "disabled"
            assert len(receiver.received) == 1

            switch.status = 200
            enabled = await client.post(
                f"{ENDPOINTS}/{endpoint['id']}/enable", headers=auth(operator_key.secret)
            )
            assert enabled.status_code == 200, enabled.text
            assert enabled.json()["state"] == "healthy"
            await wait_until(all_succeeded(sessionmaker, endpoint["id"], 4))
        order = [row.event_id for row in await deliveries(sessionmaker, endpoint["id"])]
        assert receiver.ids()[1:] == order
        assert receiver.ids()[0] == order[0]

        warnings = await health_events(client, operator_key, "endpoint.disabled")
        assert len(warnings) == 1
        data = warnings[0]["data"]
        assert data["id"] == endpoint["id"]
        assert data["state"] == "disabled"
        assert data["disabled_reason"] == "gone"
        assert data["previous_state"] == "healthy"
        # the warning is not sent by webhook
        assert warnings[0]["id"] not in receiver.ids()


class TestFailingWalk:
    async def test_healthy_degraded_circuit_open_disabled(
        self,
        client: Any,
        portal: Any,
        operator_key: Key,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
        test_settings: Settings,
    ) -> None:
        _, key = territory_key
        settings = compressed(test_settings)
        policy = DeliveryPolicy.from_settings(settings)
        async with serve(Receiver(Switch(500))) as receiver, workers(settings):
            endpoint = await create_endpoint(
                client, operator_key, receiver.url, event_types=["application.submitted"]
            )
            await submitted(portal(key.secret))
            await wait_until(in_state(client, operator_key, endpoint["id"], "circuit_open"))
            opened = await endpoint_state(client, operator_key, endpoint["id"])
            assert opened["consecutive_failures"] >= 4
            assert opened["next_probe_at"] is not None

            # a message arriving while the circuit is open is kept, not attempted
            await submitted(portal(key.secret))
            later = (await deliveries(sessionmaker, endpoint["id"]))[-1]
            assert later.status == "pending"

            async def disabled() -> bool:
                async with sessionmaker() as session:
                    await sweep(session, policy, now=datetime.now(UTC))
                    await session.commit()
                state = await endpoint_state(client, operator_key, endpoint["id"])
                return bool(state["state"] == "disabled")

            await wait_until(disabled, within=10, interval=0.25)
            final = await endpoint_state(client, operator_key, endpoint["id"])
            assert final["disabled_reason"] == "failing"
            assert final["next_probe_at"] is None
            rows = await deliveries(sessionmaker, endpoint["id"])
            assert rows[-1].attempts == 0
            assert all(row.status == "pending" for row in rows)

        warnings = await health_events(client, operator_key, *HEALTH_EVENTS)
        assert [w["type"] for w in warnings] == HEALTH_EVENTS
        assert [w["data"]["state"] for w in warnings] == ["degraded", "circuit_open", "disabled"]
        assert [w["data"]["previous_state"] for w in warnings] == [
            "healthy",
            "degraded",
            "circuit_open",
        ]
        assert {w["data"]["id"] for w in warnings} == {endpoint["id"]}
        assert warnings[-1]["data"]["disabled_reason"] == "failing"
        assert set(receiver.ids()) == {rows[0].event_id}


class TestRecovery:
    async def test_a_successful_probe_closes_the_circuit_and_the_backlog_drains(
        self,
        client: Any,
        portal: Any,
        operator_key: Key,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
        test_settings: Settings,
        arq_pool: ArqRedis,
    ) -> None:
        _, key = territory_key
        settings = compressed(test_settings, WEBHOOK_DISABLE_AFTER_SECONDS=600)
        switch = Switch(500)
        async with serve(Receiver(switch)) as receiver, workers(settings):
            endpoint = await create_endpoint(
                client,
                operator_key,
                receiver.url,
                event_types=["application.submitted"],
                max_in_flight=1,
            )
            await submitted(portal(key.secret))
            await wait_until(in_state(client, operator_key, endpoint["id"], "circuit_open"))
            for _ in range(2):
                await submitted(portal(key.secret))
            backlog = await deliveries(sessionmaker, endpoint["id"])
            assert [row.attempts for row in backlog[1:]] == [0, 0]

            failed_before = len(receiver.received)  # no await between: later requests get 200
            switch.status = 200
            ctx = {"settings": settings, "sessionmaker": sessionmaker, "redis": arq_pool}

            async def recovered() -> bool:
                await sweep_deliveries(ctx)
                state = await endpoint_state(client, operator_key, endpoint["id"])
                return bool(state["state"] == "healthy")

            await wait_until(recovered, within=10, interval=0.25)
            await wait_until(all_succeeded(sessionmaker, endpoint["id"], 3))
        order = [row.event_id for row in await deliveries(sessionmaker, endpoint["id"])]
        assert receiver.ids()[failed_before:] == order
        warnings = await health_events(
            client, operator_key, "endpoint.circuit_opened", "endpoint.recovered"
        )
        assert [w["type"] for w in warnings][-1] == "endpoint.recovered"
        assert "endpoint.circuit_opened" in [w["type"] for w in warnings]
        read = await endpoint_state(client, operator_key, endpoint["id"])
        assert read["consecutive_failures"] == 0
        assert read["next_probe_at"] is None
        attempts = await client.get(
            f"{ENDPOINTS}/{endpoint['id']}/attempts",
            params={"limit": 200},
            headers=auth(operator_key.secret),
        )
        assert any(a["probe"] for a in attempts.json()["items"])
