"""Deliveries end to end: real API, real workers, real receivers on loopback, stock verifier."""

from typing import Any

from sqlalchemy import text
from standardwebhooks import Webhook, WebhookVerificationError

from tests.eligibility.flows import submitted
from tests.fixtures.receiver import Answer, Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint, scalar


class TestSignedDelivery:
    async def test_every_delivery_verifies_with_the_stock_library(
        self,
        client: Any,
        portal: Any,
        operator_key: Any,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        async with serve(Receiver()) as receiver, workers():
            endpoint = await create_endpoint(client, operator_key, receiver.url)
            application = await submitted(portal(key.secret))

            async def both_recorded() -> bool:
                done = await scalar(
                    sessionmaker,
                    "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'",
                )
                return bool(done == 2)

            await wait_until(both_recorded)
        verifier = Webhook(endpoint["secret"])
        types = []
        for request in receiver.received:
            payload = verifier.verify(request.body, request.headers)
            types.append(payload["type"])
            assert payload["api_version"] == "1"
            assert payload["data"]["id"] == application["id"]
        assert sorted(types) == ["application.scored", "application.submitted"]
        delivered = await scalar(
            sessionmaker, "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'"
        )
        assert delivered == 2


class TestRetries:
    async def test_three_503_then_delivered_on_the_fourth_with_the_same_id(
        self,
        client: Any,
        portal: Any,
        operator_key: Any,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key

        def script(n: int, _request: Any) -> Answer:
            return Answer(status=503) if n < 3 else Answer(status=204)

        async with serve(Receiver(script)) as receiver, workers():
            endpoint = await create_endpoint(
                client, operator_key, receiver.url, event_types=["application.submitted"]
            )
            await submitted(portal(key.secret))

            async def delivered() -> bool:
                status = await scalar(
                    sessionmaker,
                    "SELECT status::text FROM webhook_deliveries WHERE endpoint_id = :id",
                    id=endpoint["id"],
                )
                return bool(status == "succeeded")

            await wait_until(delivered)
        assert len(receiver.received) == 4
        assert len(set(receiver.ids())) == 1
        gaps = [b.at - a.at for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
        # 503 is throttled: at least max(schedule, 0.3 s) between attempts, with jitter ≤ 20 %.
        assert all(gap >= 0.3 for gap in gaps), gaps
        attempts = await scalar(
            sessionmaker,
            "SELECT count(*) FROM webhook_attempts WHERE endpoint_id = :id",
            id=endpoint["id"],
        )
        assert attempts == 4
        status = await scalar(
            sessionmaker,
            "SELECT status::text FROM webhook_deliveries WHERE endpoint_id = :id",
            id=endpoint["id"],
        )
        assert status == "succeeded"


class TestRotation:
    async def test_both_secrets_verify_during_the_grace_period_and_the_old_one_not_after(
        self,
        client: Any,
        portal: Any,
        operator_key: Any,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        async with serve(Receiver()) as receiver, workers():
            endpoint = await create_endpoint(
                client, operator_key, receiver.url, event_types=["application.submitted"]
            )
            old = endpoint["secret"]
            rotated = await client.post(
                f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
                headers={"Authorization": f"Bearer {operator_key.secret}"},
            )
            assert rotated.status_code == 200, rotated.text
            new = rotated.json()["secret"]
            await submitted(portal(key.secret))
            await wait_until(lambda: len(receiver.received) >= 1)
            during = receiver.received[0]
            async with sessionmaker() as session:
                await session.execute(
                    text(
                        "UPDATE webhook_endpoints SET previous_secret_expires_at = now() "
                        "WHERE id = :id"
                    ),
                    {"id": endpoint["id"]},
                )
                await session.commit()
            await submitted(portal(key.secret))
            await wait_until(lambda: len(receiver.received) >= 2)
            after = receiver.received[1]
        for secret in (old, new):
            Webhook(secret).verify(during.body, during.headers)
        Webhook(new).verify(after.body, after.headers)
        try:
            Webhook(old).verify(after.body, after.headers)
        except WebhookVerificationError:
            pass
        else:
            raise AssertionError("the old secret still verifies after the grace period")
