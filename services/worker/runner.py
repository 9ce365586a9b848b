"""Running the workers of one process (main queue, webhook first attempts, retries), and
keeping them running through Redis outages.

An arq worker stops when Redis goes away (its poll fails). `WorkerProcess` then closes the
process's workers, tries Redis again with a growing delay, and builds them anew: fresh
contexts, so the webhook workers' deliverer (HTTP client, lanes) and the pools are rebuilt
cleanly. What the outage dropped (queued jobs, retries) is enqueued again by the sweeper
and the relay crons: PostgreSQL holds it. Meanwhile the process's health file says why it
is not ready (`services.worker.jobs.system`).
"""

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Coroutine
from typing import Any

from arq.worker import Worker
from prometheus_client import start_http_server
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.worker.jobs.system import PROBE_TIMEOUT_SECONDS, probe, write_health
from services.worker.main import all_worker_options
from shared.db.engine import create_engine
from shared.settings import Settings

logger = logging.getLogger("tidi.worker")

FIRST_RETRY_SECONDS = 0.5


def build_workers(settings: Settings, *, burst: bool = False, **overrides: Any) -> list[Worker]:
    """One arq worker per queue, signals left to the caller."""
    return [
        Worker(**(options | overrides), burst=burst, handle_signals=False)
        for options in all_worker_options(settings)
    ]


async def run_workers(workers: list[Worker]) -> BaseException | None:
    """Run the workers until one stops (burst mode: until all are done or one fails), then
    close them all; the exception that stopped a worker, if one failed."""
    tasks = [asyncio.create_task(worker.async_run()) for worker in workers]
    burst = all(worker.burst for worker in workers)
    try:
        done, _ = await asyncio.wait(
            tasks, return_when=asyncio.FIRST_EXCEPTION if burst else asyncio.FIRST_COMPLETED
        )
    finally:
        await close_workers(workers)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    failures = [task.exception() for task in done if not task.cancelled()]
    return next((failure for failure in failures if failure is not None), None)


async def close_workers(workers: list[Worker]) -> None:
    """Stop picking jobs, cancel running ones (their leases expire and they run again).

    arq's `close` writes to Redis before it runs the worker's shutdown hook: with Redis
    gone it fails first, so the hook (pools, HTTP client) runs here and the worker's
    Redis pool is dropped.
    """
    results = await asyncio.gather(*(w.close() for w in workers), return_exceptions=True)
    for worker, result in zip(workers, results, strict=True):
        if isinstance(result, RedisError | OSError):
            with contextlib.suppress(RedisError, OSError):
                await worker.pool.aclose()
            if worker.on_shutdown is not None:
                await worker.on_shutdown(worker.ctx)


class WorkerProcess:
    """The workers of one process, rebuilt whenever they stop until `stop()` is called;
    the process's health file refreshed every beat and at each change."""

    def __init__(self, settings: Settings, *, burst: bool = False, **overrides: Any) -> None:
        """Nothing starts before `run()`; `overrides` go to every `arq.Worker`."""
        self.settings = settings
        self.burst = burst
        self.overrides = overrides
        self.running = False
        self._stopping = asyncio.Event()
        self._changed = asyncio.Event()
        self._generation: asyncio.Task[BaseException | None] | None = None

    def stop(self) -> None:
        """Close the workers and return from `run()` (safe from a signal handler)."""
        self._stopping.set()
        if self._generation is not None:
            self._generation.cancel()

    async def run(self) -> None:
        """Run the workers until `stop()` (burst mode: until their queues are empty)."""
        timeout = PROBE_TIMEOUT_SECONDS
        engine = create_engine(self.settings, pool_size=1)
        redis = Redis.from_url(
            self.settings.redis_url(), socket_connect_timeout=timeout, socket_timeout=timeout
        )
        beat = asyncio.create_task(self._beat(engine, redis))
        try:
            await self._supervise(redis)
        finally:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)
            self.settings.worker_health_file.unlink(missing_ok=True)
            await redis.aclose()
            await engine.dispose()

    async def _supervise(self, redis: Redis) -> None:
        delay = FIRST_RETRY_SECONDS
        while not self._stopping.is_set():
            started = time.monotonic()
            failure = await self._run_generation()
            if self._stopping.is_set() or failure is None:
                return
            if time.monotonic() - started > self.settings.WORKER_RECONNECT_MAX_SECONDS:
                delay = FIRST_RETRY_SECONDS  # it ran a while: a new incident, not a crash loop
            logger.warning(
                "workers stopped (%s: %s); restarting them once Redis answers",
                type(failure).__name__,
                failure,
                # a lost Redis is expected and says all in one line; anything else is a bug
                exc_info=None if isinstance(failure, RedisError | OSError) else failure,
            )
            delay = await self._until_redis_answers(redis, delay)

    async def _run_generation(self) -> BaseException | None:
        workers = build_workers(self.settings, burst=self.burst, **self.overrides)
        self._generation = asyncio.create_task(run_workers(workers))
        self._set_running(True)
        try:
            return await self._generation
        except asyncio.CancelledError:
            if not self._stopping.is_set():
                raise
            return None
        finally:
            self._generation = None
            self._set_running(False)

    async def _until_redis_answers(self, redis: Redis, delay: float) -> float:
        """Ping Redis after `delay`, doubled after each failure up to the maximum, until it
        answers or `stop()`; the delay to start from should the workers stop again."""
        lost = time.monotonic()
        while not await self._stopped_within(delay):
            delay = min(delay * 2, self.settings.WORKER_RECONNECT_MAX_SECONDS)
            try:
                await redis.ping()
            except (RedisError, OSError) as error:
                logger.info("Redis unreachable (%s); next try in %.1f s", error, delay)
                continue
            logger.warning(
                "Redis answers again after %.0f s; restarting the workers", time.monotonic() - lost
            )
            break
        return delay

    async def _stopped_within(self, seconds: float) -> bool:
        await _within(self._stopping.wait(), seconds)
        return self._stopping.is_set()

    def _set_running(self, running: bool) -> None:
        self.running = running
        self._changed.set()

    async def _beat(self, engine: AsyncEngine, redis: Redis) -> None:
        """Write the health file every beat, and at once when the workers stop or start."""
        path, last = self.settings.worker_health_file, None
        while not self._stopping.is_set():
            self._changed.clear()
            problems = [] if self.running else ["workers not running"]
            problems += await probe(engine, redis)
            write_health(path, problems)
            if problems != last and problems:
                logger.warning("worker not ready: %s", ", ".join(problems))
            elif problems != last:
                logger.info("worker ready")
            last = problems
            await _within(self._changed.wait(), self.settings.WORKER_HEARTBEAT_SECONDS)


async def _within(waiting: Coroutine[Any, Any, object], seconds: float) -> None:
    """Await `waiting` for at most `seconds` (not `wait_for`: on Python 3.11 it can swallow
    a cancellation that lands as `waiting` completes, and a stop would hang)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await waiting


def serve_workers(settings: Settings, *, burst: bool = False) -> None:
    """`tidi worker`: run until SIGINT or SIGTERM; its job and webhook attempt metrics are
    served on `API_HOST`:`WORKER_METRICS_PORT` when that is set."""
    if settings.WORKER_METRICS_PORT is not None:
        start_http_server(settings.WORKER_METRICS_PORT, addr=settings.API_HOST)

    async def main() -> None:
        process = WorkerProcess(settings, burst=burst)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, process.stop)
        await process.run()

    asyncio.run(main())
