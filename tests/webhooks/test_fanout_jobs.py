"""A transaction writing many events starts at most `max_in_flight` delivery jobs per
endpoint; the lanes those jobs open deliver everything else."""

from typing import Any

from tests.e2e.test_webhook_faults import emit
from tests.fixtures.receiver import Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint


async def test_a_batch_starts_one_job_per_lane_and_the_lanes_deliver_it_all(
    client: Any, sessionmaker: Any, operator_key: Any, workers: Any, test_settings: Any
) -> None:
    receiver = Receiver()
    async with serve(receiver):
        await create_endpoint(client, operator_key, receiver.url, max_in_flight=3)
        jobs: list[Any] = []
        ids = await emit(sessionmaker, test_settings, 40, batch=20, jobs=jobs)
        assert len(jobs) == 6  # 3 per transaction, not one per delivery
        async with workers():
            await wait_until(lambda: len(set(receiver.ids())) >= 40, within=15)
    assert set(receiver.ids()) == set(ids)
