"""A real arq worker, in burst mode, against the test Redis and database."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq import ArqRedis
from arq.jobs import JobStatus
from arq.worker import Worker
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from sqlalchemy import text

from services.worker.jobs.system import heartbeat
from services.worker.main import on_shutdown, on_startup, worker_options
from shared.settings import Settings

# arq's Worker.close() still calls redis-py's deprecated Redis.close().
pytestmark = pytest.mark.filterwarnings(
    "ignore:Call to deprecated close:DeprecationWarning:arq.worker"
)


def burst_worker(settings: Settings) -> Worker:
    return Worker(
        **(worker_options(settings) | {"poll_delay": 0}), burst=True, handle_signals=False
    )


async def run_burst(settings: Settings) -> Worker:
    worker = burst_worker(settings)
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


async def results_by_function(pool: ArqRedis) -> dict[str, list[bool]]:
    """Success flags of the finished jobs, per function name."""
    results: dict[str, list[bool]] = {}
    for result in await pool.all_job_results():
        results.setdefault(result.function, []).append(result.success)
    return results


class TestPingJob:
    async def test_enqueued_ping_is_run_by_a_burst_worker_and_returns_pong(
        self, arq_pool: ArqRedis, test_settings: Settings
    ) -> None:
        job = await arq_pool.enqueue_job("system.ping")
        assert job is not None

        worker = await run_burst(test_settings)

        assert await job.result(timeout=5) == "pong"
        assert await job.status() == JobStatus.complete
        info = await job.result_info()
        assert info is not None
        assert (info.function, info.success, info.job_try) == ("system.ping", True, 1)
        assert worker.jobs_failed == 0
        assert worker.jobs_complete >= 2  # the ping and the start-up heartbeat, at least
        assert (await results_by_function(arq_pool))["system.ping"] == [True]
        assert await arq_pool.zcard(test_settings.WORKER_QUEUE_NAME) == 0

    async def test_same_job_id_enqueued_twice_runs_once(
        self, arq_pool: ArqRedis, test_settings: Settings
    ) -> None:
        first = await arq_pool.enqueue_job("system.ping", _job_id="ping-once")
        second = await arq_pool.enqueue_job("system.ping", _job_id="ping-once")

        worker = await run_burst(test_settings)

        assert first is not None
        assert second is None
        assert await first.result(timeout=5) == "pong"
        assert worker.jobs_failed == 0
        assert (await results_by_function(arq_pool))["system.ping"] == [True]


@pytest.mark.usefixtures("engine")
class TestHeartbeat:
    async def test_heartbeat_with_startup_context_checks_the_database_and_writes_no_key(
        self, arq_pool: ArqRedis, redis: Redis, test_settings: Settings
    ) -> None:
        ctx: dict[str, Any] = {"settings": test_settings, "redis": arq_pool}
        await on_startup(ctx)
        try:
            beat = await heartbeat(ctx)
        finally:
            await on_shutdown(ctx)

        assert abs(datetime.fromisoformat(beat) - datetime.now(UTC)) < timedelta(minutes=1)
        # One worker runs each tick: a key it wrote would speak for the wrong process
        # (each process reports its own health in its health file).
        assert await redis.keys("tidi:worker:*") == []

    async def test_on_startup_builds_a_working_engine_from_the_settings(
        self, arq_pool: ArqRedis, test_settings: Settings
    ) -> None:
        ctx: dict[str, Any] = {"settings": test_settings, "redis": arq_pool}
        await on_startup(ctx)
        try:
            assert ctx["engine"].url.render_as_string(hide_password=False) == (
                test_settings.database_url()
            )
            async with ctx["sessionmaker"]() as session:
                assert await session.scalar(text("SELECT count(*) FROM regions")) == 26
        finally:
            await on_shutdown(ctx)

    async def test_burst_worker_runs_the_heartbeat_cron_at_startup(
        self, test_settings: Settings
    ) -> None:
        def beats() -> float:
            sample = {"job": "system.heartbeat", "outcome": "success"}
            return REGISTRY.get_sample_value("tidi_jobs_total", sample) or 0.0

        before = beats()
        worker = await run_burst(test_settings)

        assert worker.jobs_failed == 0
        assert worker.jobs_complete >= 1
        assert beats() >= before + 1
