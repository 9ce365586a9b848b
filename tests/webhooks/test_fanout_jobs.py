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


async def test_a_lane_out_of_budget_hands_its_backlog_to_a_new_job(
    client: Any, sessionmaker: Any, operator_key: Any, workers: Any, test_settings: Any
) -> None:
    # Lanes stop after 50 ms; the sweeper waits 10 minutes: only hand-overs can finish.
    settings = test_settings.model_copy(
        update={"WEBHOOK_LANE_BUDGET_SECONDS": 0.05, "WEBHOOK_SWEEP_GRACE_SECONDS": 600}
    )
    receiver = Receiver()
    async with serve(receiver):
        await create_endpoint(client, operator_key, receiver.url, max_in_flight=1)
        jobs: list[Any] = []
        ids = await emit(sessionmaker, settings, 60, batch=60, jobs=jobs)
        assert len(jobs) == 1
        async with workers(settings):
            await wait_until(lambda: len(set(receiver.ids())) >= 60, within=20)
    assert receiver.ids() == ids  # one lane at a time: oldest first, nothing twice
