"""Slow endpoints never hold up the others: each keeps at most `max_in_flight` requests, and
however many hang, the healthy ones are served while they do.

The hanging receivers hold every request until the test ends, under a 30 s timeout and a
60 s lease: "still hanging" is then a fact (no attempt of theirs recorded), not a clock.
"""

import threading
from collections import Counter
from typing import Any

from shared.settings import Settings
from tests.e2e.test_webhook_faults import emit
from tests.fixtures.receiver import Answer, Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint, scalar

HANGING_ATTEMPTS = """
SELECT count(*) FROM webhook_attempts a JOIN webhook_endpoints e ON e.id = a.endpoint_id
WHERE e.url LIKE '%/hang%'
"""
HANGING_DUE = """
SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE e.url LIKE '%/hang%' AND d.status = 'pending'
"""


def patient(settings: Settings) -> Settings:
    """Leases outlast the hanging receivers' 30 s timeout."""
    return settings.model_copy(update={"WEBHOOK_LEASE_SECONDS": 60})


async def one_at_a_time(
    sessionmaker: Any, settings: Settings, healthy: Receiver, count: int
) -> list[str]:
    """`count` events, one per transaction, each once the healthy receiver has the last one
    (so jobs keep coming while the hanging lanes wait: they ask for more lanes)."""
    ids: list[str] = []
    for _ in range(count):
        ids += await emit(sessionmaker, settings, 1)
        received = len(ids)
        await wait_until(lambda: len(healthy.received) >= received, within=20)  # noqa: B023
    return ids


class TestHangingEndpoints:
    async def test_the_healthy_endpoint_is_served_while_twenty_hang(
        self, client: Any, sessionmaker: Any, operator_key: Any, workers: Any, test_settings: Any
    ) -> None:
        settings = patient(test_settings)
        release = threading.Event()
        hanging = Receiver(lambda _n, _r: Answer(hold=release))
        healthy = Receiver()
        async with serve(hanging, path=""), serve(healthy), workers(settings):
            for n in range(20):
                url = f"{hanging.url}/hang{n}"
                await create_endpoint(
                    client, operator_key, url, timeout_seconds=30, max_in_flight=16
                )
            await create_endpoint(client, operator_key, healthy.url)
            try:
                ids = await one_at_a_time(sessionmaker, settings, healthy, 30)
                answered_by_hanging = await scalar(sessionmaker, HANGING_ATTEMPTS)
                per_endpoint = Counter(r.path for r in hanging.received)
            finally:
                release.set()
        # Every healthy delivery arrived, in order, before any hanging request was answered.
        assert healthy.ids() == ids
        assert answered_by_hanging == 0
        # The hanging endpoints were asked too, each within its cap.
        assert set(per_endpoint) == {f"/hang{n}" for n in range(20)}
        assert max(per_endpoint.values()) <= 16

    async def test_a_slow_endpoint_keeps_at_most_its_cap_of_requests(
        self, client: Any, sessionmaker: Any, operator_key: Any, workers: Any, test_settings: Any
    ) -> None:
        settings = patient(test_settings)
        release = threading.Event()
        slow = Receiver(lambda _n, _r: Answer(hold=release))
        fast = Receiver()
        async with serve(slow, path="/hang"), serve(fast), workers(settings):
            options = {"timeout_seconds": 30, "max_in_flight": 2}
            await create_endpoint(client, operator_key, slow.url, **options)
            await create_endpoint(client, operator_key, fast.url)
            try:
                ids = await one_at_a_time(sessionmaker, settings, fast, 15)
                await wait_until(lambda: len(slow.received) >= 2)  # its lanes split
                due_to_slow = await scalar(sessionmaker, HANGING_DUE)
                in_flight_to_slow = len(slow.received)
                answered_by_slow = await scalar(sessionmaker, HANGING_ATTEMPTS)
            finally:
                release.set()
        assert fast.ids() == ids
        # Fifteen messages wait for the slow endpoint; no more than two are ever out to it.
        assert due_to_slow == 15
        assert in_flight_to_slow <= 2
        assert answered_by_slow == 0
