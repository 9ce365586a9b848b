"""Jobs enqueued in one round trip are arq's own: same keys, format, expiry and dedupe."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from arq import ArqRedis, create_pool
from arq.connections import RedisSettings
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import Job, JobStatus
from arq.utils import to_unix_ms
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.queue import JobEnqueuer
from shared.jobs import JobRequest
from shared.settings import Settings


@pytest.fixture
async def arq_pool(engine: AsyncEngine, test_settings: Settings) -> AsyncIterator[ArqRedis]:
    """A pool on the test database (`engine`: Redis is flushed after the test)."""
    pool = await create_pool(RedisSettings.from_dsn(test_settings.redis_url()))
    yield pool
    await pool.aclose()


@pytest.fixture
def enqueuer(arq_pool: ArqRedis) -> JobEnqueuer:
    return JobEnqueuer(arq_pool, base_queue="tidi:enqueuer-test")


class TestJobEnqueuer:
    async def test_a_job_reads_back_as_arq_wrote_it(
        self, enqueuer: JobEnqueuer, arq_pool: ArqRedis
    ) -> None:
        job = JobRequest("eligibility.score_application", "score:a:1", {"application_id": "a"})

        assert await enqueuer.enqueue([job]) == [True]

        info = await Job("score:a:1", arq_pool, _queue_name="tidi:enqueuer-test").info()
        assert info is not None
        assert info.function == "eligibility.score_application"
        assert info.kwargs == {"application_id": "a"}
        assert info.args == ()
        assert info.job_try is None
        status = await Job("score:a:1", arq_pool, _queue_name="tidi:enqueuer-test").status()
        assert status is JobStatus.queued
        ttl_ms = await arq_pool.pttl(job_key_prefix + "score:a:1")
        assert 0 < ttl_ms <= arq_pool.expires_extra_ms

    async def test_a_repeated_id_or_a_finished_job_is_not_enqueued_again(
        self, enqueuer: JobEnqueuer, arq_pool: ArqRedis
    ) -> None:
        first = JobRequest("f", "same-id", {"n": 1})
        assert await enqueuer.enqueue([first]) == [True]
        await arq_pool.set(result_key_prefix + "done-id", b"x")

        again = await enqueuer.enqueue(
            [JobRequest("f", "same-id", {"n": 2}), JobRequest("f", "done-id")]
        )

        assert again == [False, False]
        info = await Job("same-id", arq_pool).info()
        assert info is not None
        assert info.kwargs == {"n": 1}
        assert await arq_pool.zcard("tidi:enqueuer-test") == 1

    async def test_queues_and_deferral(self, enqueuer: JobEnqueuer, arq_pool: ArqRedis) -> None:
        later = datetime.now(UTC) + timedelta(minutes=5)
        jobs = [
            JobRequest("main", "j-main"),
            JobRequest("hook", "j-hook", queue="webhooks", defer_until=later),
        ]

        assert await enqueuer.enqueue(jobs) == [True, True]

        assert await arq_pool.zscore("tidi:enqueuer-test", "j-main") is not None
        score = await arq_pool.zscore("tidi:enqueuer-test:webhooks", "j-hook")
        assert score == to_unix_ms(later)


class TestSharedCalls:
    async def test_concurrent_requests_share_calls_and_each_gets_its_own_answer(
        self, enqueuer: JobEnqueuer, arq_pool: ArqRedis, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        calls: list[int] = []
        call = enqueuer._call

        async def counted(jobs: Sequence[JobRequest]) -> list[bool]:
            calls.append(len(jobs))
            return await call(jobs)

        monkeypatch.setattr(enqueuer, "_call", counted)
        await enqueuer.enqueue([JobRequest("f", "seen")])
        requests = [
            [JobRequest("f", f"r{n}-a"), JobRequest("f", "seen" if n % 2 else f"r{n}-b")]
            for n in range(50)
        ]

        answers = await asyncio.gather(*(enqueuer.enqueue(jobs) for jobs in requests))

        assert answers == [[True, n % 2 == 0] for n in range(50)]
        assert sum(calls[1:]) == 100
        assert len(calls) - 1 < 50  # shared calls, not one per request
        assert await arq_pool.zcard("tidi:enqueuer-test") == 1 + 50 + 25

    async def test_a_failed_call_fails_every_request_in_it_and_the_next_call_works(
        self, enqueuer: JobEnqueuer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        call = enqueuer._call
        failures = iter([ConnectionError("redis went away")])

        async def flaky(jobs: Sequence[JobRequest]) -> list[bool]:
            if (error := next(failures, None)) is not None:
                raise error
            return await call(jobs)

        monkeypatch.setattr(enqueuer, "_call", flaky)
        results = await asyncio.gather(
            *(enqueuer.enqueue([JobRequest("f", f"j{n}")]) for n in range(5)),
            return_exceptions=True,
        )

        assert all(isinstance(r, ConnectionError) for r in results)
        assert await enqueuer.enqueue([JobRequest("f", "after")]) == [True]
