"""Rescoring a whole fund after a ruleset publication, with ONE worker process.

A fresh database `tidi_bench_rescore` is migrated and seeded; one fonds-friches application
is submitted through the API and scored, then cloned in SQL (with its project) into N
applications in `eligible`, half of them on a former industrial site. Version 2 of the
fund's ruleset (industrial sites excluded, smaller area for full points) is created and
published through the service, which queues the first batch of each shard; then ONE
`tidi worker` process runs the batch chains until every application is assessed under
version 2. The figures (wall time until then, throughput, batches and their longest
duration, the worker's peak RSS, outcome counts) are printed as JSON.

    .venv/bin/python bench/rescoring.py --count 100000

Only distinct applications count: the run fails (after printing the figures) when an
application has no assessment under version 2 or has more than one.

Needs PostgreSQL and Redis (bench/harness.py). It drops and recreates the database
`tidi_bench_rescore` and flushes Redis database 12.
"""

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import psutil
from arq import create_pool
from arq.connections import RedisSettings
from httpx import ASGITransport, AsyncClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import backend_cpu, harness

NAME = "tidi_bench_rescore"
DSN = harness.dsn(NAME)
REDIS_URL = harness.redis_url(12)
QUEUE = "tidi:bench:rescore"
OPEN_FUNDS = (
    "UPDATE funds SET opens_at = now() - interval '30 days', "
    "closes_at = now() + interval '365 days'"
)
ASSESSED = """
SELECT count(DISTINCT application_id) AS applications, count(*) AS assessments
FROM assessments WHERE ruleset_version_id = $1::uuid
"""
WRITTEN = "SELECT count(*) FROM assessments WHERE ruleset_version_id = $1::uuid"
"""What the run is watched by, every second: cheap (one index), so the watching does not
slow down PostgreSQL; the distinct applications are counted once the worker is stopped."""
UNASSESSED = """
SELECT count(*) FROM applications a WHERE NOT EXISTS (
    SELECT 1 FROM assessments s WHERE s.application_id = a.id AND s.ruleset_version_id = $1::uuid)
"""


def _tidi() -> SimpleNamespace:
    """tidi's internals this benchmark calls (the one place to adapt when they move)."""
    from migrations.commands import upgrade
    from services.api.main import create_app
    from shared.auth import service as auth_service
    from shared.auth.schemas import ApiKeyCreate
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.eligibility import rulesets
    from shared.eligibility import service as scoring
    from shared.eligibility.rules import Ruleset
    from shared.jobs import enqueue_all, take_deferred_jobs
    from shared.principal import SYSTEM, Role
    from shared.seeding.service import seed_geography, seed_programme
    from shared.settings import Settings
    from shared.territories import service as territory_service
    from shared.territories.schemas import TerritoryCreate
    from tests.fixtures.bodies import (
        application_body,
        excluding_industrial_sites,
        friche_application,
        project_body,
    )

    return SimpleNamespace(
        create_app=create_app,
        auth_service=auth_service,
        Role=Role,
        SYSTEM=SYSTEM,
        ApiKeyCreate=ApiKeyCreate,
        create_engine=create_engine,
        create_sessionmaker=create_sessionmaker,
        upgrade=upgrade,
        rulesets=rulesets,
        scoring=scoring,
        Ruleset=Ruleset,
        enqueue_all=enqueue_all,
        take_deferred_jobs=take_deferred_jobs,
        seed_geography=seed_geography,
        seed_programme=seed_programme,
        Settings=Settings,
        territory_service=territory_service,
        TerritoryCreate=TerritoryCreate,
        friche_application=friche_application,
        excluding_industrial_sites=excluding_industrial_sites,
        application_body=application_body,
        project_body=project_body,
    )


TIDI = _tidi()


def settings() -> Any:
    """tidi's settings on the bench database and queue."""
    return TIDI.Settings(
        DATABASE_URL=harness.sqlalchemy_url(NAME),
        REDIS_URL=REDIS_URL,
        WORKER_QUEUE_NAME=QUEUE,
        _env_file=None,
    )


async def seed() -> str:
    """Seed the reference data, open the funds, make a territory; its key's secret."""
    engine = TIDI.create_engine(settings())
    async with TIDI.create_sessionmaker(engine)() as session:
        await TIDI.seed_geography(session)
        await TIDI.seed_programme(session)
        territory = await TIDI.territory_service.create(
            session,
            TIDI.SYSTEM,
            TIDI.TerritoryCreate(
                code="ti-bench", name="Bench", region_code="53", epci_sirens=["245614433"]
            ),
        )
        _, secret = await TIDI.auth_service.create_key(
            session,
            TIDI.SYSTEM,
            TIDI.ApiKeyCreate(name="bench", role=TIDI.Role.TERRITORY, territory_id=territory.id),
        )
        await session.commit()
    await engine.dispose()
    connection = await asyncpg.connect(DSN)
    try:
        await connection.execute(OPEN_FUNDS)
    finally:
        await connection.close()
    return str(secret)


async def template_application(secret: str) -> str:
    """Submit, then score, one fonds-friches application through the real code."""
    app = TIDI.create_app(settings())
    headers = {"Authorization": f"Bearer {secret}"}
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://b") as client,
    ):
        project = (
            await client.post("/v1/projects", json=TIDI.project_body(), headers=headers)
        ).json()
        for action in ("submit", "accept"):
            project = (
                await client.post(
                    f"/v1/projects/{project['id']}/{action}",
                    headers=headers | {"If-Match": f'"{project["version"]}"'},
                )
            ).json()
        body = TIDI.application_body(project["id"], **TIDI.friche_application())
        draft = (await client.post("/v1/applications", json=body, headers=headers)).json()
        submitted = await client.post(
            f"/v1/applications/{draft['id']}/submit",
            headers=headers | {"If-Match": f'"{draft["version"]}"'},
        )
        if submitted.status_code != 200:
            raise harness.Failed(f"the template's submit: {submitted.text}")
    engine = TIDI.create_engine(settings())
    async with TIDI.create_sessionmaker(engine)() as session:
        assessment = await TIDI.scoring.score(session, uuid.UUID(draft["id"]))
        if assessment is None or assessment.outcome != "eligible":
            raise harness.Failed(f"the template application is not eligible: {assessment}")
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
                "WHERE table_name = 'applications' AND is_generated = 'NEVER' "
                "ORDER BY ordinal_position"
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
    document = TIDI.excluding_industrial_sites()
    document["params"]["area_full_score_ha"] = 8
    engine = TIDI.create_engine(settings())
    async with TIDI.create_sessionmaker(engine)() as session:
        draft = await TIDI.rulesets.create_draft(
            session, TIDI.SYSTEM, "fonds-friches", TIDI.Ruleset.model_validate(document)
        )
        await session.commit()
        etag, number = TIDI.rulesets.etag_value(draft), draft.version
        version = await TIDI.rulesets.publish(
            session, TIDI.SYSTEM, "fonds-friches", number, if_match=etag
        )
        await session.commit()
        jobs = TIDI.take_deferred_jobs(session)
        version_id = str(version.id)
    await engine.dispose()
    return version_id, jobs


async def enqueue(jobs: list[Any]) -> None:
    """Enqueue the jobs the publication deferred, as the API does after its commit."""
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL), default_queue_name=QUEUE)
    try:
        errors = await TIDI.enqueue_all(pool, jobs, base_queue=QUEUE)
        if any(isinstance(error, BaseException) for error in errors):
            raise harness.Failed(f"enqueue failed: {errors}")
    finally:
        await pool.aclose()


async def assessed(version_id: str) -> dict[str, int]:
    """Distinct applications assessed under `version_id`, assessments, and unassessed ones."""
    connection = await asyncpg.connect(DSN)
    try:
        row = await connection.fetchrow(ASSESSED, version_id)
        missing = await connection.fetchval(UNASSESSED, version_id)
        statuses = await connection.fetch(
            "SELECT status::text AS s, count(*) AS n FROM applications GROUP BY 1 ORDER BY 1"
        )
    finally:
        await connection.close()
    return {
        "assessed_applications": int(row["applications"]),
        "assessments": int(row["assessments"]),
        "not_assessed": int(missing),
        **{f"status_{r['s']}": int(r["n"]) for r in statuses},
    }


async def written(version_id: str) -> int:
    """Assessments written so far under `version_id` (duplicates included)."""
    connection = await asyncpg.connect(DSN)
    try:
        return int(await connection.fetchval(WRITTEN, version_id))
    finally:
        await connection.close()


async def batch_durations() -> list[float]:
    """How long each rescoring batch ran (arq's job results)."""
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


def run_worker(
    version_id: str, count: int, limit_s: float, profile: str | None = None
) -> dict[str, Any]:
    """One `tidi worker` process until every application is assessed under v2 (or `limit_s`).

    Not in burst mode: a burst worker leaves as soon as the queue is empty, which happens while
    every shard's batch is running and has not yet queued its successor.
    """
    env = harness.tidi_env(NAME, REDIS_URL, WORKER_QUEUE_NAME=QUEUE, ENVIRONMENT="development")
    started = time.perf_counter()
    log = (Path(tempfile.mkdtemp(prefix="tidi-bench-rescoring-")) / "worker.log").open("wb")
    command = [str(Path(sys.executable).parent / "tidi"), "worker"]
    if profile is not None:  # py-spy's collapsed stacks of the worker, written when it stops
        command = [
            str(Path(sys.executable).parent / "py-spy"),
            "record",
            "--format",
            "raw",
            "-o",
            profile,
            "--",
            *command,
        ]
    process = subprocess.Popen(
        command,
        cwd=harness.ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    watched = psutil.Process(process.pid)
    cpu_before, backends_before = harness.cpu_seconds(process), backend_cpu.now(NAME)
    peak = 0
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
            if asyncio.run(written(version_id)) >= count or now - started > limit_s:
                break
        time.sleep(0.2)
    elapsed = time.perf_counter() - started
    cpu = harness.per_request_ms(cpu_before, harness.cpu_seconds(process), 1)
    postgres_cpu = backend_cpu.since(backends_before, NAME)
    if profile is not None:  # stop the worker itself: py-spy writes its file when it exits
        for child in watched.children():
            child.terminate()
        process.wait(timeout=60)
    harness.stop(process)
    log.close()
    done = asyncio.run(assessed(version_id))["assessed_applications"]
    rusage_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "applications_assessed_in_run": done,
        "worker_wall_s": round(elapsed, 1),
        "peak_rss_sampled_mib": round(peak / 2**20, 1),
        "peak_rss_rusage_mib": round(rusage_kib / 1024, 1),
        # CPU seconds in the run: the worker's, and the bench database's PostgreSQL backends'
        "worker_cpu_s": round(cpu["server"] / 1000, 1),
        "postgres_cpu_s": round(postgres_cpu, 1),
    }


def main() -> None:
    """Prepare, publish, run one worker until done; print the figures, then check them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument(
        "--limit", type=float, default=3600, help="Stop the worker after this many seconds."
    )
    parser.add_argument("--profile", help="Record the worker with py-spy into this file.")
    args = parser.parse_args()

    asyncio.run(harness.recreate(NAME))
    with ThreadPoolExecutor(1) as pool:  # Alembic runs its own event loop
        pool.submit(TIDI.upgrade, harness.sqlalchemy_url(NAME)).result()
    t0 = time.perf_counter()
    template = asyncio.run(template_application(asyncio.run(seed())))
    asyncio.run(clone(template, args.count))
    prepared_s = time.perf_counter() - t0
    asyncio.run(harness.flush_redis(REDIS_URL))
    version_id, jobs = asyncio.run(publish_v2())
    asyncio.run(enqueue(jobs))
    worker = run_worker(version_id, args.count, args.limit, args.profile)
    durations = asyncio.run(batch_durations())
    counts = asyncio.run(assessed(version_id))
    result = {
        "applications": args.count,
        "prepare_s": round(prepared_s, 1),
        **worker,
        "applications_per_s": round(
            worker["applications_assessed_in_run"] / worker["worker_wall_s"], 1
        ),
        "batches": len(durations),
        "batch_max_s": round(max(durations), 2) if durations else None,
        "batch_mean_s": round(sum(durations) / len(durations), 2) if durations else None,
        "counts": counts,
    }
    print(json.dumps(result, indent=2))
    twice = counts["assessments"] - counts["assessed_applications"]
    if counts["not_assessed"] or twice or counts["assessed_applications"] != args.count:
        raise harness.Failed(
            f"{counts['not_assessed']} applications not assessed under version 2, "
            f"{twice} extra assessments (an application assessed more than once)"
        )


if __name__ == "__main__":
    main()
