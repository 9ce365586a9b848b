"""A transaction writing many events starts at most `max_in_flight` delivery jobs per
endpoint; the lanes those jobs open deliver everything else."""

import threading
from typing import Any

from sqlalchemy import text

from tests.e2e.test_webhook_faults import emit
from tests.fixtures.receiver import Answer, Receiver, serve, wait_until
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


async def execute(sessionmaker: Any, sql: str) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(text(sql))


async def test_a_delivery_queued_behind_a_lane_at_work_gets_no_job(
    client: Any, sessionmaker: Any, operator_key: Any, test_settings: Any
) -> None:
    receiver = Receiver()
    async with serve(receiver):
        await create_endpoint(client, operator_key, receiver.url, max_in_flight=2)
        jobs: list[Any] = []
        await emit(sessionmaker, test_settings, 2, batch=1, jobs=jobs)
        assert len(jobs) == 2  # nothing at work on the endpoint: a job per event
        # A lane at work: the oldest delivery leased, the other one due behind it.
        await execute(
            sessionmaker,
            "UPDATE webhook_deliveries SET locked_until = now() + interval '1 minute' "
            "WHERE id = (SELECT id FROM webhook_deliveries ORDER BY position LIMIT 1)",
        )
        jobs.clear()
        await emit(sessionmaker, test_settings, 3, batch=1, jobs=jobs)
        assert jobs == []  # the lane drains them
        # Nothing due behind the lease any more (the lane may be on its last one): a job.
        await execute(
            sessionmaker,
            "UPDATE webhook_deliveries SET status = 'succeeded' WHERE locked_until IS NULL",
        )
        await emit(sessionmaker, test_settings, 1, batch=1, jobs=jobs)
        assert len(jobs) == 1
        # A lease that ran out is no lane at work: a job again.
        await execute(
            sessionmaker,
            "UPDATE webhook_deliveries SET locked_until = now() - interval '1 second' "
            "WHERE locked_until IS NOT NULL",
        )
        jobs.clear()
        await emit(sessionmaker, test_settings, 1, batch=1, jobs=jobs)
        assert len(jobs) == 1


async def test_deliveries_queued_behind_a_busy_lane_are_all_delivered_in_order(
    client: Any, sessionmaker: Any, operator_key: Any, workers: Any, test_settings: Any
) -> None:
    # The sweeper waits 10 minutes: only the lane can deliver what got no job.
    settings = test_settings.model_copy(update={"WEBHOOK_SWEEP_GRACE_SECONDS": 600})
    first_answer = threading.Event()
    receiver = Receiver(lambda n, _r: Answer(hold=first_answer if n == 0 else None))
    async with serve(receiver):
        await create_endpoint(client, operator_key, receiver.url, max_in_flight=1)
        jobs: list[Any] = []
        async with workers(settings):
            ids = await emit(sessionmaker, settings, 1, batch=1, jobs=jobs)
            await wait_until(lambda: len(receiver.received) == 1, within=10)
            # The first delivery is out (its lane waits on the answer): one event per
            # transaction, as the API writes them.
            ids += await emit(sessionmaker, settings, 7, batch=1, jobs=jobs)
            assert len(jobs) == 2  # the first, and the second (nothing due behind yet)
            first_answer.set()
            await wait_until(lambda: len(receiver.received) >= 8, within=15)
    assert receiver.ids() == ids
