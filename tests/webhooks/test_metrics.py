"""Webhook metrics: attempts by outcome; the backlog, the outbox's lag and endpoint health
read at scrape time; queue depths."""

from typing import Any

import httpx
from sqlalchemy import text

from shared.settings import Settings
from tests.eligibility.flows import submitted
from tests.fixtures.receiver import Receiver, serve, wait_until
from tests.system.test_metrics import counted, sample
from tests.webhooks.conftest import create_endpoint, scalar


class TestBacklogGauges:
    async def test_queue_depth_backlog_lag_and_endpoint_states_are_read_at_scrape(
        self,
        client: httpx.AsyncClient,
        portal: Any,
        operator_key: Any,
        territory_key: Any,
        sessionmaker: Any,
        test_settings: Settings,
    ) -> None:
        _, key = territory_key
        # No worker runs: the first attempts wait in their queue, the deliveries stay pending.
        await create_endpoint(client, operator_key, "http://127.0.0.1:9/hook")
        await submitted(portal(key.secret))
        await _age_deliveries(sessionmaker, minutes=10)

        document = (await client.get("/metrics")).text

        webhook_queue = f"{test_settings.WORKER_QUEUE_NAME}:webhooks"
        assert sample(document, "tidi_queue_depth", queue=webhook_queue) == 1.0
        assert sample(document, "tidi_queue_depth", queue=test_settings.WORKER_QUEUE_NAME) == 1.0
        assert sample(document, "tidi_webhook_deliveries_pending") == 1.0
        lag = sample(document, "tidi_outbox_lag_seconds")
        assert lag is not None
        assert 600 <= lag < 700
        assert sample(document, "tidi_webhook_endpoints", state="healthy") == 1.0
        assert sample(document, "tidi_webhook_endpoints", state="disabled") == 0.0
        assert sample(document, "tidi_metrics_source_up", source="database") == 1.0
        assert sample(document, "tidi_metrics_source_up", source="redis") == 1.0


class TestWebhookAttempts:
    async def test_a_successful_attempt_is_counted_by_outcome(
        self,
        client: httpx.AsyncClient,
        portal: Any,
        operator_key: Any,
        territory_key: Any,
        workers: Any,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        labels = {"outcome": "success", "delivery_status": "succeeded"}
        before = counted("tidi_webhook_attempts_total", **labels)
        async with serve(Receiver()) as receiver, workers():
            await create_endpoint(
                client, operator_key, receiver.url, event_types=["application.submitted"]
            )
            await submitted(portal(key.secret))

            async def delivered() -> bool:
                done = await scalar(
                    sessionmaker,
                    "SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'",
                )
                return bool(done == 1)

            await wait_until(delivered)
        assert counted("tidi_webhook_attempts_total", **labels) == before + 1
        document = (await client.get("/metrics")).text
        assert (sample(document, "tidi_webhook_attempts_total", **labels) or 0) >= before + 1


async def _age_deliveries(sessionmaker: Any, *, minutes: int) -> None:
    """Pretend the pending deliveries were written `minutes` ago."""
    async with sessionmaker() as session:
        await session.execute(
            text("UPDATE webhook_deliveries SET created_at = now() - make_interval(mins => :m)"),
            {"m": minutes},
        )
        await session.commit()
