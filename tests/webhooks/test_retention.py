"""Retention: old payloads nulled, their undelivered messages failed, old attempt logs purged."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from shared.webhooks.sweeper import apply_retention
from tests.eligibility.flows import submitted
from tests.fixtures.api import auth
from tests.fixtures.builders import Key
from tests.fixtures.http import assert_problem
from tests.fixtures.receiver import Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint, scalar

SINK = "http://127.0.0.1:9/hook"
ENDPOINTS = "/v1/webhook-endpoints"


async def delivery_of(sessionmaker: Any, application_id: str) -> Any:
    async with sessionmaker() as session:
        return (
            await session.execute(
                text(
                    "SELECT d.id::text AS id, d.status::text AS status, d.last_error, "
                    "ev.data IS NULL AS nulled FROM webhook_deliveries AS d "
                    "JOIN events AS ev ON ev.id = d.event_id WHERE ev.subject_id = :id"
                ),
                {"id": application_id},
            )
        ).one()


async def add_attempt(
    sessionmaker: Any, delivery_id: str, endpoint_id: str, age: timedelta
) -> None:
    async with sessionmaker() as session:
        await session.execute(
            text(
                "INSERT INTO webhook_attempts (delivery_id, endpoint_id, attempt_no, started_at, "
                "duration_ms, status_code, outcome) "
                "VALUES (:delivery, :endpoint, 1, :started, 12, 500, 'failure')"
            ),
            {
                "delivery": delivery_id,
                "endpoint": endpoint_id,
                "started": datetime.now(UTC) - age,
            },
        )
        await session.commit()


async def test_old_payloads_are_nulled_their_messages_failed_and_old_attempts_purged(
    client: Any,
    portal: Any,
    operator_key: Key,
    territory_key: Any,
    sessionmaker: Any,
) -> None:
    _, key = territory_key
    endpoint = await create_endpoint(
        client, operator_key, SINK, event_types=["application.submitted"]
    )
    old = await submitted(portal(key.secret))
    recent = await submitted(portal(key.secret))
    async with sessionmaker() as session:
        await session.execute(
            text(
                "UPDATE events SET occurred_at = now() - interval '40 days' WHERE subject_id = :id"
            ),
            {"id": old["id"]},
        )
        await session.commit()
    old_delivery = await delivery_of(sessionmaker, old["id"])
    recent_delivery = await delivery_of(sessionmaker, recent["id"])
    await add_attempt(sessionmaker, recent_delivery.id, endpoint["id"], timedelta(days=100))
    await add_attempt(sessionmaker, recent_delivery.id, endpoint["id"], timedelta(days=1))
    await add_attempt(sessionmaker, old_delivery.id, endpoint["id"], timedelta(days=35))

    async with sessionmaker() as session:
        done = await apply_retention(session, payload_days=30, attempt_days=90)
        await session.commit()
    assert done.payloads_nulled == 1
    assert done.deliveries_expired == 1
    assert done.attempts_purged == 1

    expired = await delivery_of(sessionmaker, old["id"])
    assert expired.nulled
    assert expired.status == "failed"
    assert expired.last_error == "payload_expired"
    kept = await delivery_of(sessionmaker, recent["id"])
    assert not kept.nulled
    assert kept.status == "pending"
    assert kept.last_error is None
    remaining = await scalar(sessionmaker, "SELECT count(*) FROM webhook_attempts")
    assert remaining == 2
    # the project events of the old application's project are recent: untouched
    assert await scalar(sessionmaker, "SELECT count(*) FROM events WHERE data IS NULL") == 1

    again = None
    async with sessionmaker() as session:
        again = await apply_retention(session, payload_days=30, attempt_days=90)
        await session.commit()
    assert (again.payloads_nulled, again.deliveries_expired, again.attempts_purged) == (0, 0, 0)

    # an expired message can no longer be resent, and is not served by the events API
    resend = await client.post(
        f"{ENDPOINTS}/{endpoint['id']}/deliveries/{expired.id}/resend",
        headers=auth(operator_key.secret),
    )
    assert_problem(resend, 409)
    events = await client.get("/v1/events", headers=auth(operator_key.secret))
    assert [e["data"]["id"] for e in events.json()["items"]] == [recent["id"]]


async def test_succeeded_and_leased_deliveries_are_not_failed(
    client: Any,
    portal: Any,
    operator_key: Key,
    territory_key: Any,
    sessionmaker: Any,
) -> None:
    _, key = territory_key
    await create_endpoint(client, operator_key, SINK, event_types=["application.submitted"])
    done = await submitted(portal(key.secret))
    leased = await submitted(portal(key.secret))
    async with sessionmaker() as session:
        await session.execute(
            text(
                "UPDATE webhook_deliveries SET status = 'succeeded' WHERE event_id IN "
                "(SELECT id FROM events WHERE subject_id = :id)"
            ),
            {"id": done["id"]},
        )
        await session.execute(
            text(
                "UPDATE webhook_deliveries SET locked_until = now() + interval '1 minute' "
                "WHERE event_id IN (SELECT id FROM events WHERE subject_id = :id)"
            ),
            {"id": leased["id"]},
        )
        await session.execute(text("UPDATE events SET occurred_at = now() - interval '40 days'"))
        await session.commit()
    async with sessionmaker() as session:
        result = await apply_retention(session, payload_days=30, attempt_days=90)
        await session.commit()
    assert result.payloads_nulled >= 2
    assert result.deliveries_expired == 0
    assert (await delivery_of(sessionmaker, done["id"])).status == "succeeded"
    assert (await delivery_of(sessionmaker, leased["id"])).status == "pending"


async def test_a_payload_nulled_before_its_attempt_is_failed_by_the_worker_unsent(
    client: Any,
    portal: Any,
    operator_key: Key,
    territory_key: Any,
    workers: Any,
    sessionmaker: Any,
) -> None:
    _, key = territory_key
    async with serve(Receiver()) as receiver:
        endpoint = await create_endpoint(
            client, operator_key, receiver.url, event_types=["application.submitted"]
        )
        application = await submitted(portal(key.secret))
        async with sessionmaker() as session:
            await session.execute(
                text("UPDATE events SET data = NULL WHERE subject_id = :id"),
                {"id": application["id"]},
            )
            await session.commit()

        async def failed() -> bool:
            return bool((await delivery_of(sessionmaker, application["id"])).status == "failed")

        async with workers():
            await wait_until(failed)
    row = await delivery_of(sessionmaker, application["id"])
    assert row.last_error == "payload_expired"
    assert receiver.received == []
    outcome = await scalar(
        sessionmaker,
        "SELECT outcome FROM webhook_attempts WHERE endpoint_id = :id",
        id=endpoint["id"],
    )
    assert outcome == "expired"
