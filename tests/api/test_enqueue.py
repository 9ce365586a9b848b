"""Committed jobs enqueued through arq's public API: no-op repeats, per-job failures, queues."""

import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq import ArqRedis
from arq.jobs import Job, JobStatus
from fastapi import FastAPI

from shared.jobs import JobQueue, JobRequest, enqueue_all
from tests.fixtures.builders import Key, MakeTerritory

BASE = "tidi:enqueue-test"


@pytest.fixture
async def unreachable_pool() -> AsyncIterator[ArqRedis]:
    """A pool whose every call fails: nothing listens on its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    pool = ArqRedis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    yield pool
    await pool.aclose()


class FailingFor:
    """A queue failing the jobs of one id and enqueuing the others on a real pool."""

    def __init__(self, pool: ArqRedis, job_id: str) -> None:
        self.pool, self.job_id = pool, job_id

    async def enqueue_job(self, function: str, *args: Any, **kwargs: Any) -> object:
        if kwargs["_job_id"] == self.job_id:
            raise ConnectionError("redis went away")
        return await self.pool.enqueue_job(function, *args, **kwargs)


async def status(pool: ArqRedis, job_id: str, queue: str = BASE) -> JobStatus:
    return await Job(job_id, pool, _queue_name=queue).status()


class TestEnqueueAll:
    async def test_a_repeated_id_is_not_enqueued_again(self, arq_pool: ArqRedis) -> None:
        first = JobRequest("eligibility.score_application", "score:a:1", {"application_id": "a"})
        again = JobRequest("eligibility.score_application", "score:a:1", {"application_id": "b"})

        assert await enqueue_all(arq_pool, [first], base_queue=BASE) == [True]
        assert await enqueue_all(arq_pool, [again], base_queue=BASE) == [False]

        info = await Job("score:a:1", arq_pool, _queue_name=BASE).info()
        assert info is not None
        assert (info.function, info.kwargs) == (
            "eligibility.score_application",
            {"application_id": "a"},
        )
        assert await status(arq_pool, "score:a:1") is JobStatus.queued

    async def test_a_failed_call_is_reported_for_its_job_only(self, arq_pool: ArqRedis) -> None:
        queue: JobQueue = FailingFor(arq_pool, "broken")
        jobs = [JobRequest("f", "before"), JobRequest("f", "broken"), JobRequest("f", "after")]

        results = await enqueue_all(queue, jobs, base_queue=BASE)

        assert results[0] is True
        assert isinstance(results[1], ConnectionError)
        assert results[2] is True
        assert await status(arq_pool, "after") is JobStatus.queued

    async def test_redis_down_is_an_error_per_job_not_an_exception(
        self, unreachable_pool: ArqRedis
    ) -> None:
        jobs = [JobRequest("f", "one"), JobRequest("f", "two")]

        results = await enqueue_all(unreachable_pool, jobs, base_queue=BASE)

        assert [type(result).__name__ for result in results] == ["ConnectionError"] * 2

    async def test_a_deferred_job_waits_until_its_time(self, arq_pool: ArqRedis) -> None:
        later = datetime.now(UTC) + timedelta(minutes=5)

        await enqueue_all(arq_pool, [JobRequest("f", "later", defer_until=later)], base_queue=BASE)

        assert await status(arq_pool, "later") is JobStatus.deferred
        info = await Job("later", arq_pool, _queue_name=BASE).info()
        assert info is not None
        assert info.score == round(later.timestamp() * 1000)

    async def test_a_queue_suffix_names_a_secondary_queue(self, arq_pool: ArqRedis) -> None:
        jobs = [JobRequest("main", "j-main"), JobRequest("hook", "j-hook", queue="webhooks")]

        assert await enqueue_all(arq_pool, jobs, base_queue=BASE) == [True, True]

        assert await status(arq_pool, "j-main") is JobStatus.queued
        assert await status(arq_pool, "j-hook", f"{BASE}:webhooks") is JobStatus.queued
        assert await status(arq_pool, "j-hook") is JobStatus.not_found


async def test_a_request_succeeds_while_redis_is_down_and_logs_each_job(
    app: FastAPI,
    portal: Any,
    make_territory: MakeTerritory,
    make_key: Any,
    unreachable_pool: ArqRedis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    territory = await make_territory("ti-pontivy")
    key: Key = await make_key("territory", territory_id=territory.id)
    p = portal(key.secret)
    draft = await p.draft_application(await p.active_project())
    pool, app.state.arq = app.state.arq, unreachable_pool  # monkeypatch would not restore it
    try:
        with caplog.at_level(logging.WARNING, logger="tidi.api"):
            submitted = await p.act(draft, "applications", "submit")
    finally:
        app.state.arq = pool

    assert submitted["status"] == "submitted"
    failed = [r for r in caplog.records if r.getMessage() == "enqueue failed; a relay will retry"]
    assert [getattr(r, "job_id", None) for r in failed] == [f"score:{draft['id']}:1"]
