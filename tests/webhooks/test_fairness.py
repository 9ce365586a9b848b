"""A slow endpoint never holds up the others: it keeps at most `max_in_flight` requests."""

import asyncio
import time
from typing import Any

from tests.e2e.test_webhook_faults import emit
from tests.fixtures.receiver import Answer, Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint, scalar


class TestSlowEndpoint:
    async def test_fast_endpoint_is_served_while_the_slow_one_hangs(
        self, client: Any, sessionmaker: Any, operator_key: Any, workers: Any, test_settings: Any
    ) -> None:
        slow = Receiver(lambda _n, _r: Answer(delay=30))  # past its 5 s timeout, every time
        fast = Receiver()
        async with serve(slow), serve(fast), workers():
            slow_endpoint = await create_endpoint(
                client, operator_key, slow.url, timeout_seconds=5, max_in_flight=2
            )
            await create_endpoint(client, operator_key, fast.url)
            started = time.monotonic()
            await emit(sessionmaker, test_settings, 40, batch=20)
            # One lane takes the slow endpoint at first; once its request has hung past the
            # split delay, new work opens the second lane: never a third.
            await asyncio.sleep(0.3)
            await emit(sessionmaker, test_settings, 20, batch=20)
            await wait_until(lambda: len(fast.received) >= 60, within=15)
            fast_done = time.monotonic() - started
            in_flight_to_slow = len(slow.received)
        # The slow endpoint holds its two lanes and nothing more: every fast message went
        # out before its first timeout (5 s) expired.
        assert in_flight_to_slow == 2
        assert fast_done < 5
        assert len(set(fast.ids())) == 60
        timeouts = await scalar(
            sessionmaker,
            "SELECT count(*) FROM webhook_attempts WHERE endpoint_id = :id",
            id=slow_endpoint["id"],
        )
        assert timeouts <= 2
