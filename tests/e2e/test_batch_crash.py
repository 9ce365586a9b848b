"""A `tidi worker` killed (SIGKILL) in the middle of a fund rescoring, and of a dry-run.

A fund of a few thousand applications (one submitted through the API and scored, the
others copied from it in SQL, as `bench/rescoring.py` does) is rescored under a newly
published version, or dry-run under a draft. The first worker is killed while a batch is
inside its transaction: the test holds a row lock the batch needs (an application near the
end of the first shard; the dry-run's result row between two batches), waits until the
worker blocks on it, then kills it. A second worker must finish the work with each
application counted once: one assessment and one `application.scored` event per
application under the version; a completed dry-run whose counts equal the applications.

arq runs the killed job again once its in-progress mark expires (the job timeout + 10 s):
the workers run with a 10 s job timeout (`WORKER_JOB_TIMEOUT_SECONDS`), so the mark lasts
20 s, not 70.
"""

import signal
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from arq import ArqRedis
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.eligibility import dryrun, rescoring, rulesets
from shared.eligibility import service as scoring
from shared.eligibility.dryrun_models import DryRun
from shared.eligibility.models import Assessment
from shared.eligibility.rules import Ruleset
from shared.events.models import Event
from shared.jobs import enqueue_all, take_deferred_jobs
from shared.principal import SYSTEM, Role
from shared.settings import Settings
from tests.e2e.test_worker_crash import (
    Budget,
    arq_pool,
    blocked_by,
    row_lock,
    tidi_worker,
    worker_settings,
)
from tests.eligibility.flows import submitted
from tests.fixtures.bodies import excluding_industrial_sites, friche_application
from tests.fixtures.builders import MakeKey, MakeTerritory

__all__ = ["arq_pool", "worker_settings"]  # fixtures, used by name

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.usefixtures("open_fund_windows"),
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]

COUNT = 3000
JOB_TIMEOUT_S = 10
BUDGET_S = 150.0
FUND = "fonds-friches"


@pytest.fixture(autouse=True)
def short_job_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workers' job timeout, so a dead worker's job runs again after 20 s."""
    monkeypatch.setenv("WORKER_JOB_TIMEOUT_SECONDS", str(JOB_TIMEOUT_S))


async def a_fund_of(
    portal: Any, make_territory: MakeTerritory, make_key: MakeKey, engine: AsyncEngine
) -> None:
    """COUNT submitted fonds-friches applications, scored, half on a former industrial site."""
    territory = await make_territory("ti-pontivy")
    key = await make_key(Role.TERRITORY, territory_id=territory.id)
    template = (await submitted(portal(key.secret), **friche_application()))["id"]
    async with AsyncSession(engine, expire_on_commit=False) as session:
        assert await scoring.score(session, uuid.UUID(template)) is not None
        await session.commit()
    async with engine.begin() as connection:
        names = (
            await connection.scalars(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'applications' AND is_generated = 'NEVER' "
                    "ORDER BY ordinal_position"
                )
            )
        ).all()
        special = {
            "id": "gen_random_uuid()",
            "answers": "jsonb_set(a.answers, '{former_use}', to_jsonb(CASE WHEN n % 2 = 0 "
            "THEN 'industrial' ELSE 'commercial' END))",
            # One application per fund and project is open: each copy has a project of its own.
            "project_id": "c.project_id",
        }
        await connection.execute(
            text(
                "CREATE TEMP TABLE copies ON COMMIT DROP AS "
                "SELECT n, gen_random_uuid() AS project_id FROM generate_series(2, :count) AS n"
            ),
            {"count": COUNT},
        )
        project_columns = (
            await connection.scalars(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = 'projects' ORDER BY ordinal_position"
                )
            )
        ).all()
        copied = ", ".join("c.project_id" if n == "id" else f"p.{n}" for n in project_columns)
        await connection.execute(
            text(
                f"INSERT INTO projects SELECT {copied} FROM copies c, projects p, applications a "  # noqa: S608
                "WHERE a.id = :template AND p.id = a.project_id"
            ),
            {"template": template},
        )
        values = ", ".join(special.get(n, f"a.{n}") for n in names)
        await connection.execute(
            text(
                f"INSERT INTO applications ({', '.join(names)}) "  # noqa: S608
                f"SELECT {values} "
                "FROM copies c, applications a WHERE a.id = :template"
            ),
            {"template": template},
        )
        await connection.execute(text("ANALYZE applications"))


async def draft(engine: AsyncEngine) -> tuple[int, int]:
    """A draft of the fund (industrial sites excluded); (its number, its ETag)."""
    async with AsyncSession(engine, expire_on_commit=False) as session:
        version = await rulesets.create_draft(
            session, SYSTEM, FUND, Ruleset.model_validate(excluding_industrial_sites())
        )
        await session.commit()
        return version.version, rulesets.etag_value(version)


async def enqueue_deferred(session: AsyncSession, pool: ArqRedis, settings: Settings) -> None:
    """Commit, then enqueue the jobs deferred on `session`, as the API does."""
    await session.commit()
    jobs = take_deferred_jobs(session)
    assert jobs
    errors = await enqueue_all(pool, jobs, base_queue=settings.WORKER_QUEUE_NAME)
    assert errors == [True] * len(jobs)


@asynccontextmanager
async def row_lock_on_dry_run(engine: AsyncEngine, run_id: uuid.UUID) -> AsyncIterator[int]:
    """Hold the dry-run's row lock (taken once the batch at work commits); the holder's pid."""
    async with engine.connect() as connection:
        await connection.begin()
        await connection.execute(
            text("SELECT id FROM ruleset_dry_runs WHERE id = :id FOR UPDATE"), {"id": run_id}
        )
        try:
            yield int(await connection.scalar(text("SELECT pg_backend_pid()")) or 0)
        finally:
            await connection.rollback()


async def scalar(engine: AsyncEngine, statement: Any, params: Any = None) -> Any:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        return await session.scalar(statement, params)


async def kill_when_blocked(
    worker: subprocess.Popen[bytes], engine: AsyncEngine, holder: int, budget: Budget, logs: Any
) -> None:
    """SIGKILL the worker once one of its transactions waits for the lock `holder` holds."""

    async def blocked() -> bool:
        if worker.poll() is not None:
            pytest.fail(f"worker 1 exited: {logs[0].read_text(errors='replace')}")
        return bool(await blocked_by(engine, holder))

    await budget.until("worker 1 to block on the held row", blocked, logs)
    worker.send_signal(signal.SIGKILL)
    assert worker.wait(timeout=10) == -signal.SIGKILL


async def test_a_rescoring_killed_mid_batch_finishes_once_per_application(
    portal: Any,
    make_territory: MakeTerritory,
    make_key: MakeKey,
    worker_settings: Settings,
    engine: AsyncEngine,
    arq_pool: ArqRedis,
    tmp_path: Path,
) -> None:
    await a_fund_of(portal, make_territory, make_key, engine)
    number, etag = await draft(engine)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        version = await rulesets.publish(session, SYSTEM, FUND, number, if_match=etag)
        version_id = version.id
        await enqueue_deferred(session, arq_pool, worker_settings)
    # The last application of the first shard: that shard's last batch waits for it.
    _, high = rescoring.shard_bounds(0, rescoring.SHARDS)
    held = await scalar(
        engine,
        text("SELECT id FROM applications WHERE id < :high ORDER BY id DESC LIMIT 1"),
        {"high": high},
    )
    assessed = select(func.count(), func.count(Assessment.application_id.distinct())).where(
        Assessment.ruleset_version_id == version_id
    )
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    budget = Budget(BUDGET_S)

    async with row_lock(engine, str(held)) as lock:
        holder = int(await lock.scalar(text("SELECT pg_backend_pid()")) or 0)
        with tidi_worker(worker_settings, logs[0]) as first:
            await kill_when_blocked(first, engine, holder, budget, logs)
        await lock.rollback()

    async with AsyncSession(engine, expire_on_commit=False) as session:
        rows, distinct = (await session.execute(assessed)).one()
    assert 0 < distinct < COUNT, "the worker was killed mid-run"
    assert rows == distinct

    with tidi_worker(worker_settings, logs[1]):

        async def finished() -> bool:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                return bool((await session.execute(assessed)).one()[1] >= COUNT)

        await budget.until("worker 2 to finish the rescoring", finished, logs)

    async with AsyncSession(engine, expire_on_commit=False) as session:
        assert tuple((await session.execute(assessed)).one()) == (COUNT, COUNT)
        scored = await session.scalar(
            select(func.count(Event.subject_id.distinct()), func.count()).where(
                Event.type == "application.scored",
                Event.data["ruleset_version"].as_integer() == number,
            )
        )
        progress = await rescoring.progress(session, FUND, number)
    assert scored == COUNT
    assert (progress.state, progress.done, progress.remaining) == ("completed", COUNT, 0)


async def test_a_dry_run_killed_mid_batch_counts_each_application_once(
    portal: Any,
    make_territory: MakeTerritory,
    make_key: MakeKey,
    worker_settings: Settings,
    engine: AsyncEngine,
    arq_pool: ArqRedis,
    tmp_path: Path,
) -> None:
    await a_fund_of(portal, make_territory, make_key, engine)
    number, _ = await draft(engine)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        run_id = (await dryrun.start(session, SYSTEM, FUND, number)).id
        await enqueue_deferred(session, arq_pool, worker_settings)
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    budget = Budget(BUDGET_S)

    async def evaluated() -> int:
        return int(await scalar(engine, select(DryRun.evaluated).where(DryRun.id == run_id)))

    with tidi_worker(worker_settings, logs[0]) as first:
        await budget.until("worker 1 to count a first batch", evaluated, logs, interval=0.05)
        # Taken between two batches (each locks the result): the next one waits for it.
        async with row_lock_on_dry_run(engine, run_id) as holder:
            counted = await evaluated()
            assert 0 < counted < COUNT, "the worker was killed mid-run"
            await kill_when_blocked(first, engine, holder, budget, logs)

    with tidi_worker(worker_settings, logs[1]):

        async def completed() -> DryRun | None:
            async with AsyncSession(engine, expire_on_commit=False) as session:
                run = await session.get(DryRun, run_id)
                return run if run is not None and run.state == "completed" else None

        run = await budget.until("worker 2 to complete the dry-run", completed, logs)

    assert (run.evaluated, run.failed, run.total) == (COUNT, 0, COUNT)
    async with AsyncSession(engine, expire_on_commit=False) as session:
        read = await dryrun.get(session, FUND, number, run_id)
    assert (read.done, read.total) == (COUNT, COUNT)
    assert read.report is not None
    assert read.report.summary.evaluated == COUNT
    industrial = await scalar(
        engine,
        text("SELECT count(*) FROM applications WHERE answers->>'former_use' = 'industrial'"),
    )
    assert read.report.summary.transitions == {"eligible→ineligible": industrial}
