"""Rescoring a whole fund after a ruleset publication, with ONE worker process.

A fresh database `tidi_bench_rescore` is migrated and seeded; one fonds-friches application
is submitted through the API and scored, then cloned in SQL (with its project) into N
applications in `eligible`, half of them on a former industrial site. Version 2 of the
fund's ruleset (industrial sites excluded, smaller area for full points) is created and
published through the service, which queues the first batch of each shard; then ONE
arq worker process (tidi's registry and options) runs the batch chains until the last
application is assessed. The figures (wall time until then, throughput, batches and their
longest duration, the worker's peak RSS, outcome counts) are printed as JSON.

    .venv/bin/python bench/rescoring.py --count 100000

Needs PostgreSQL and Redis (TEST_POSTGRES_URL / TEST_REDIS_URL, default 127.0.0.1). It drops
and recreates the database `tidi_bench_rescore` and flushes Redis database 12.
"""

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from arq import create_pool
from arq.connections import RedisSettings
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/12"
BASE = ADMIN_URL.rsplit("/", 1)[0]
NAME = "tidi_bench_rescore"
DSN = f"{BASE}/{NAME}"
ASYNC_URL = DSN.replace("postgresql://", "postgresql+asyncpg://")
QUEUE = "tidi:bench:rescore"
WORKER = (
    "from arq.worker import Worker; from services.worker.main import worker_options; "
    "from shared.settings import get_settings; Worker(**worker_options(get_settings())).run()"
)
"""One arq worker with tidi's job registry and options (the main queue only)."""


async def recreate() -> None:
    connection = await asyncpg.connect(ADMIN_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{NAME}"')
    finally:
        await connection.close()


def settings() -> Any:
    from shared.settings import Settings

    return Settings(
        DATABASE_URL=ASYNC_URL,  # type: ignore[arg-type]
        REDIS_URL=REDIS_URL,  # type: ignore[arg-type]
        WORKER_QUEUE_NAME=QUEUE,
        _env_file=None,
    )


async def template_application() -> str:
    """Seed, then submit and score one fonds-friches application through the real code."""
    from httpx import ASGITransport, AsyncClient

    from services.api.main import create_app
    from shared.auth import service as auth_service
    from shared.auth.models import Role
    from shared.auth.principal import SYSTEM
    from shared.auth.schemas import ApiKeyCreate
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.eligibility import service as scoring
    from shared.reference.seed import seed_geography, seed_programme
    from shared.territories import service as territory_service
    from shared.territories.schemas import TerritoryCreate
    from tests.eligibility.flows import friche_application
    from tests.fixtures.builders import application_body, project_body

    config = settings()
    engine = create_engine(config)
    maker = create_sessionmaker(engine)
    async with maker() as session:
        await seed_geography(session)
        await seed_programme(session)
        await session.execute(
            __import__("sqlalchemy").text(
                "UPDATE funds SET opens_at = now() - interval '30 days', "
                "closes_at = now() + interval '365 days'"
            )
        )
        territory = await territory_service.create(
            session,
            SYSTEM,
            TerritoryCreate(
                code="ti-bench", name="Bench", region_code="53", epci_sirens=["245614433"]
            ),
        )
        _, secret = await auth_service.create_key(
            session,
            SYSTEM,
            ApiKeyCreate(name="bench", role=Role.TERRITORY, territory_id=territory.id),
        )
        await session.commit()
    app = create_app(config)
    headers = {"Authorization": f"Bearer {secret}"}
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://b") as client,
    ):
        project = (
            await client.post("/v1/projects", json=project_body(territory.id), headers=headers)
        ).json()
        for action in ("submit", "accept"):
            project = (
                await client.post(
                    f"/v1/projects/{project['id']}/{action}",
                    headers=headers | {"If-Match": f'"{project["version"]}"'},
                )
            ).json()
        draft = (
            await client.post(
                "/v1/applications",
                json=application_body(project["id"], **friche_application()),
                headers=headers,
            )
        ).json()
        submitted = await client.post(
            f"/v1/applications/{draft['id']}/submit",
            headers=headers | {"If-Match": f'"{draft["version"]}"'},
        )
        assert submitted.status_code == 200, submitted.text
    async with maker() as session:
        import uuid

        assessment = await scoring.score(session, uuid.UUID(draft["id"]))
        if assessment is None or assessment.outcome != "eligible":
            raise RuntimeError(f"the template application is not eligible: {assessment}")
        await session.commit()
    await engine.dispose()
    return str(draft["id"])


async def clone(template: str, count: int) -> None:
    """`count - 1` copies of the template (each with its own project), in plain SQL."""
    connection = await asyncpg.connect(DSN)
    try:
        await connection.execute(
            f"""
            CREATE TEMP TABLE clones AS
            SELECT gen_random_uuid() AS project_id, gen_random_uuid() AS application_id, n
            FROM generate_series(2, {count}) AS n;
            INSERT INTO projects SELECT c.project_id, p.territory_id, p.status, p.title,
                p.description, p.nature, p.priorities, p.holder, p.holder_siren, p.site,
                p.site_region_code, p.investment_total_cents, p.planned_start, p.planned_end,
                p.jobs_created, p.jobs_maintained, p.relocation, p.is_collective, p.contacts,
                p.submitted_at, p.created_by_key_id, p.created_at, p.updated_at, p.version
            FROM clones c, projects p, applications a
            WHERE a.id = '{template}'::uuid AND p.id = a.project_id;
            """
        )
        names = [
            r["column_name"]
            for r in await connection.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'applications' ORDER BY ordinal_position"
            )
        ]
        special = {
            "id": "c.application_id",
            "project_id": "c.project_id",
            # Half on a former industrial site (ineligible under v2), areas from 1 to 12 ha.
            "answers": (
                "jsonb_set(jsonb_set(a.answers, '{former_use}', "
                "to_jsonb(CASE WHEN c.n % 2 = 0 THEN 'industrial' ELSE 'commercial' END)), "
                "'{area_ha}', to_jsonb(1 + c.n % 12))"
            ),
            "submitted_at": "a.submitted_at - make_interval(secs => c.n)",
        }
        select_list = ", ".join(special.get(n, f"a.{n}") for n in names)
        await connection.execute(
            f"INSERT INTO applications ({', '.join(names)}) SELECT {select_list} "
            f"FROM clones c, applications a WHERE a.id = '{template}'::uuid"
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def publish_v2() -> tuple[str, list[Any]]:
    """Create and publish version 2 through the service; (its id, the jobs it deferred)."""
    from shared.auth.principal import SYSTEM
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.eligibility import rulesets
    from shared.eligibility.rules import Ruleset
    from shared.jobs import take_deferred_jobs
    from tests.eligibility.ruleset_flows import excluding_industrial_sites

    document = excluding_industrial_sites()
    document["params"]["area_full_score_ha"] = 8
    engine = create_engine(settings())
    async with create_sessionmaker(engine)() as session:
        draft = await rulesets.create_draft(
            session, SYSTEM, "fonds-friches", Ruleset.model_validate(document)
        )
        await session.commit()
        etag = rulesets.etag_value(draft)
        version = await rulesets.publish(session, SYSTEM, "fonds-friches", 2, if_match=etag)
        await session.commit()
        jobs = take_deferred_jobs(session)
        version_id = str(version.id)
    await engine.dispose()
    return version_id, jobs


async def enqueue(jobs: list[Any]) -> None:
    from shared.jobs import enqueue_all

    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL), default_queue_name=QUEUE)
    try:
        errors = await enqueue_all(pool, jobs, base_queue=QUEUE)
        assert not any(errors), errors
    finally:
        await pool.aclose()


async def counts(version_id: str) -> dict[str, int]:
    connection = await asyncpg.connect(DSN)
    try:
        assessed = await connection.fetchval(
            "SELECT count(*) FROM assessments WHERE ruleset_version_id = $1::uuid", version_id
        )
        statuses = await connection.fetch(
            "SELECT status::text AS s, count(*) AS n FROM applications GROUP BY 1 ORDER BY 1"
        )
    finally:
        await connection.close()
    return {"assessed_v2": int(assessed), **{r["s"]: int(r["n"]) for r in statuses}}


async def batch_durations() -> list[float]:
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL), default_queue_name=QUEUE)
    try:
        results = await pool.all_job_results()
    finally:
        await pool.aclose()
    return [
        (r.finish_time - r.start_time).total_seconds()
        for r in results
        if r.function == "eligibility.rescore_fund"
    ]


def run_worker(version_id: str, count: int, limit_s: float) -> dict[str, Any]:
    """One arq worker process until every application is assessed under v2 (or `limit_s`).

    Not in burst mode: a burst worker leaves as soon as the queue is empty, which happens while
    every shard's batch is running and has not yet queued its successor.
    """
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {
        "DATABASE_URL": ASYNC_URL,
        "REDIS_URL": REDIS_URL,
        "WORKER_QUEUE_NAME": QUEUE,
        "LOG_LEVEL": "WARNING",
        "ENVIRONMENT": "development",
    }
    started = time.perf_counter()
    log = (Path(tempfile.mkdtemp(prefix="tidi-bench-rescoring-")) / "worker.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    watched = psutil.Process(process.pid)
    peak = 0
    assessed = 0
    last_check = 0.0
    while process.poll() is None:
        try:
            rss = watched.memory_info().rss + sum(
                c.memory_info().rss for c in watched.children(recursive=True)
            )
            peak = max(peak, rss)
        except psutil.Error:
            pass
        now = time.perf_counter()
        if now - last_check >= 1:
            last_check = now
            assessed = asyncio.run(assessed_under(version_id))
            if assessed >= count or now - started > limit_s:
                break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    process.terminate()
    process.wait(timeout=60)
    log.close()
    rusage_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "assessed_in_run": assessed,
        "worker_wall_s": round(elapsed, 1),
        "peak_rss_sampled_mib": round(peak / 2**20, 1),
        "peak_rss_rusage_mib": round(rusage_kib / 1024, 1),
    }


async def assessed_under(version_id: str) -> int:
    connection = await asyncpg.connect(DSN)
    try:
        return int(
            await connection.fetchval(
                "SELECT count(*) FROM assessments WHERE ruleset_version_id = $1::uuid", version_id
            )
        )
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument(
        "--limit", type=float, default=3600, help="Stop the worker after this many seconds."
    )
    args = parser.parse_args()

    from shared.db.migrate import upgrade

    asyncio.run(recreate())
    with ThreadPoolExecutor(1) as pool:  # Alembic runs its own event loop
        pool.submit(upgrade, ASYNC_URL).result()
    t0 = time.perf_counter()
    template = asyncio.run(template_application())
    asyncio.run(clone(template, args.count))
    prepared_s = time.perf_counter() - t0
    redis = Redis.from_url(REDIS_URL)
    asyncio.run(redis.flushdb())
    version_id, jobs = asyncio.run(publish_v2())
    asyncio.run(enqueue(jobs))
    worker = run_worker(version_id, args.count, args.limit)
    durations = asyncio.run(batch_durations())
    result = {
        "applications": args.count,
        "prepare_s": round(prepared_s, 1),
        **worker,
        "applications_per_s": round(worker["assessed_in_run"] / worker["worker_wall_s"], 1),
        "batches": len(durations),
        "batch_max_s": round(max(durations), 2) if durations else None,
        "batch_mean_s": round(sum(durations) / len(durations), 2) if durations else None,
        "counts": asyncio.run(counts(version_id)),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
