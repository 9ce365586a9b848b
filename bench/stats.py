"""Statistics benchmark: `GET /v1/stats/programme` over the national demo dataset.

The database `tidi_bench_stats` is dropped, created, migrated and seeded, then filled by
`tidi demo generate --preset national` (the same service, in process: the time to generate
and write the dataset, and to vacuum it after, are measured apart). tidi is served by
`uvicorn --workers 1`; an admin key reads the programme figures unfiltered and filtered by
the region with the most applications, one request at a time over a kept-alive HTTP
connection, after an unmeasured warm-up; every answer must be a 200. Printed as JSON:
rows written, generation time, p50/p95/p99/max of each request kind, against the targets
(p95 < 300 ms, generation < 120 s).

    .venv/bin/python bench/stats.py --applications 100000 --requests 40

Needs PostgreSQL and Redis (TEST_POSTGRES_URL / TEST_REDIS_URL); flushes Redis database 12.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

DATABASE = "tidi_bench_stats"
REDIS = harness.redis_url(12)
PATH = "/v1/stats/programme"
TARGET_P95_MS = 300
TARGET_GENERATION_S = 120


def main() -> None:
    """Prepare the dataset, serve tidi, time the requests, print the figures."""
    args = _arguments()
    asyncio.run(harness.recreate(DATABASE))
    from migrations.commands import upgrade

    upgrade(harness.sqlalchemy_url(DATABASE))
    prepared = asyncio.run(_prepare(args.applications, args.seed))
    asyncio.run(harness.flush_redis(REDIS))
    port = harness.free_port()
    server = harness.serve(
        "services.api.main:app_factory",
        port=port,
        workers=1,
        env=harness.tidi_env(DATABASE, REDIS),
        factory=True,
    )
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {prepared['secret']}"},
            timeout=60,
        ) as client:
            unfiltered = _timed(client, {}, args)
            by_region = _timed(client, {"region": prepared["region"]}, args)
    finally:
        harness.stop(server)
    results = {
        "applications": args.applications,
        "rows": prepared["rows"],
        "generation_seconds": prepared["generation_seconds"],
        "vacuum_analyze_seconds": prepared["vacuum_seconds"],
        "requests_each": args.requests,
        "unfiltered": unfiltered,
        "region": {"code": prepared["region"], **by_region},
        "targets": {"p95_ms": f"< {TARGET_P95_MS}", "generation_s": f"< {TARGET_GENERATION_S}"},
        "meets_targets": unfiltered["p95_ms"] < TARGET_P95_MS
        and by_region["p95_ms"] < TARGET_P95_MS
        and prepared["generation_seconds"] < TARGET_GENERATION_S,
    }
    print(json.dumps(results, indent=2))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--requests", type=int, default=40, help="measured, of each kind")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured, of each kind")
    return parser.parse_args()


async def _prepare(applications: int, seed: int) -> dict[str, Any]:
    """Seed, generate the national dataset (timed), vacuum it, make an admin key."""
    from shared.auth import service as auth_service
    from shared.auth.schemas import ApiKeyCreate
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.principal import SYSTEM, Role
    from shared.seeding.demo import repository
    from shared.seeding.demo.presets import national
    from shared.seeding.demo.service import generate_demo
    from shared.seeding.service import seed_geography, seed_programme
    from shared.settings import Settings

    settings = Settings(DATABASE_URL=harness.sqlalchemy_url(DATABASE), _env_file=None)
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            await seed_geography(session)
            await seed_programme(session)
            await session.commit()
        started = time.perf_counter()
        async with create_sessionmaker(engine)() as session:
            summary = await generate_demo(session, national(applications), seed)
            await session.commit()
        generated = time.perf_counter() - started
        started = time.perf_counter()
        await repository.vacuum(engine)
        vacuumed = time.perf_counter() - started
        async with create_sessionmaker(engine)() as session:
            region = await repository.busiest_region(session)
            _, secret = await auth_service.create_key(
                session, SYSTEM, ApiKeyCreate(name="bench", role=Role.ADMIN)
            )
            await session.commit()
    finally:
        await engine.dispose()
    return {
        "rows": summary.rows,
        "generation_seconds": round(generated, 1),
        "vacuum_seconds": round(vacuumed, 1),
        "region": region,
        "secret": secret,
    }


def _timed(
    client: httpx.Client, params: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    """Latencies (ms) of `args.requests` requests, after `args.warmup` unmeasured ones."""
    latencies = []
    for number in range(args.warmup + args.requests):
        started = time.perf_counter()
        response = client.get(PATH, params=params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise harness.Failed(f"{PATH} {params}: {response.status_code} {response.text[:300]}")
        if number >= args.warmup:
            latencies.append(elapsed)
    return harness.latency_summary(latencies)


if __name__ == "__main__":
    main()
