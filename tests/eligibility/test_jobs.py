"""The scoring job run by a real burst arq worker, its retries and the unscored relay."""

import uuid
from typing import Any

import pytest
from arq import ArqRedis, Retry
from arq.worker import Worker
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from services.worker import retries
from services.worker.jobs import applications as jobs
from services.worker.main import worker_options
from shared.applications.models import Application
from shared.eligibility import service
from shared.eligibility.models import Assessment
from shared.events.models import Event
from shared.settings import Settings
from tests.eligibility.flows import submitted
from tests.fixtures.bodies import friche_application
from tests.fixtures.builders import Key

pytestmark = [
    pytest.mark.usefixtures("open_fund_windows"),
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning:arq.worker"),
]


async def run_burst(settings: Settings) -> Worker:
    worker = Worker(
        **(worker_options(settings) | {"poll_delay": 0}), burst=True, handle_signals=False
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


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
    return status.value, int(assessments or 0), int(events or 0)


class TestScoringJob:
    async def test_submission_is_scored_by_the_worker_and_the_event_written(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        test_settings: Settings,
        arq_pool: ArqRedis,
        session: AsyncSession,
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())

        worker = await run_burst(test_settings)

        assert worker.jobs_failed == 0
        assert await scored_state(session, application["id"]) == ("eligible", 1, 1)
        results = {r.job_id: r for r in await arq_pool.all_job_results()}
        score_result = results[f"score:{application['id']}:1"]
        assert (score_result.success, score_result.result) == (True, "eligible")
        scored_events = await session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.subject_id == application["id"], Event.type == "application.scored")
        )
        assert scored_events == 1

    async def test_the_job_run_twice_assesses_once(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        arq_pool: ArqRedis,
        sessionmaker: Any,
        session: AsyncSession,
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())
        ctx = {"sessionmaker": sessionmaker, "redis": arq_pool}

        assert await jobs.score_application(ctx, application["id"]) == "eligible"
        assert await jobs.score_application(ctx, application["id"]) == "eligible"

        assert await scored_state(session, application["id"]) == ("eligible", 1, 1)


class TestRelayUnscored:
    async def test_a_lost_job_is_re_enqueued_once_and_then_scored(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        test_settings: Settings,
        arq_pool: ArqRedis,
        sessionmaker: Any,
        session: AsyncSession,
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())
        await arq_pool.flushdb()
        await session.execute(
            text("UPDATE applications SET submitted_at = now() - interval '1 minute'")
        )
        await session.commit()
        ctx = {"sessionmaker": sessionmaker, "redis": arq_pool, "settings": test_settings}

        assert await jobs.relay_unscored(ctx) == 1
        assert await jobs.relay_unscored(ctx) == 0  # already queued: nothing enqueued twice
        assert await arq_pool.queued_jobs() is not None
        assert len(await arq_pool.queued_jobs()) == 1

        await run_burst(test_settings)

        assert await scored_state(session, application["id"]) == ("eligible", 1, 1)
        assert await jobs.relay_unscored(ctx) == 0

    async def test_recent_submissions_are_left_to_their_own_job(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        arq_pool: ArqRedis,
        sessionmaker: Any,
        test_settings: Settings,
    ) -> None:
        _, key = territory_key
        await submitted(portal(key.secret), **friche_application())
        ctx = {"sessionmaker": sessionmaker, "redis": arq_pool, "settings": test_settings}

        assert await jobs.relay_unscored(ctx) == 0


class TestRetries:
    async def test_a_transient_database_error_asks_arq_to_retry_later(
        self, sessionmaker: Any, arq_pool: ArqRedis, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def lost_connection(*args: Any, **kwargs: Any) -> None:
            raise OperationalError("SELECT 1", {}, ConnectionResetError("connection lost"))

        monkeypatch.setattr(service, "score", lost_connection)
        ctx = {"sessionmaker": sessionmaker, "redis": arq_pool, "job_try": 3}

        with pytest.raises(Retry) as raised:
            await jobs.score_application(ctx, str(uuid.uuid4()))

        assert raised.value.defer_score == retries.retry_delay(3) * 1000

    async def test_a_permanent_error_is_not_retried(
        self, sessionmaker: Any, arq_pool: ArqRedis, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def violation(*args: Any, **kwargs: Any) -> None:
            raise IntegrityError("INSERT", {}, ValueError("duplicate key"))

        monkeypatch.setattr(service, "score", violation)

        with pytest.raises(IntegrityError):
            await jobs.score_application(
                {"sessionmaker": sessionmaker, "redis": arq_pool}, str(uuid.uuid4())
            )

    def test_backoff_doubles_and_is_capped(self) -> None:
        delays = [retries.retry_delay(n) for n in range(1, 10)]
        assert delays[:4] == [5, 10, 20, 40]
        assert max(delays) == retries.RETRY_MAX_SECONDS
        assert delays == sorted(delays)

    def test_deadlocks_count_as_transient(self) -> None:
        class Deadlock(Exception):
            sqlstate = "40P01"

        assert retries.is_transient(DBAPIError("UPDATE", {}, Deadlock()))
        assert not retries.is_transient(DBAPIError("UPDATE", {}, ValueError("bad")))
        assert not retries.is_transient(ValueError("not a database error"))

    async def test_an_unknown_application_is_skipped(
        self, sessionmaker: Any, arq_pool: ArqRedis
    ) -> None:
        ctx = {"sessionmaker": sessionmaker, "redis": arq_pool}
        assert await jobs.score_application(ctx, str(uuid.uuid4())) == "skipped"


async def test_worker_start_up_compiles_every_current_ruleset(
    session: AsyncSession, test_settings: Settings
) -> None:
    from shared.eligibility.rules.engine import _COMPILED
    from shared.eligibility.service import _PUBLISHED

    _PUBLISHED.clear()
    ready = await service.warm_up(session)
    funds_with_rules = await session.scalar(
        text("SELECT count(DISTINCT fund_id) FROM ruleset_versions WHERE status = 'published'")
    )
    assert ready == funds_with_rules > 0
    assert len(_PUBLISHED) == ready
    assert all(id(ruleset) in _COMPILED for ruleset in _PUBLISHED.values())
