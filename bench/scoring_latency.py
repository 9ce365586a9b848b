"""End-to-end "submit → scored" latency at a fixed submission rate.

A fresh `tidi_bench` database full of drafts (as bench/submissions.py prepares it), the API
under uvicorn (2 worker processes by default) and ONE `tidi worker`; an asyncio httpx client
submits drafts at a fixed rate, then the database says, per application, how long after
`submitted_at` its assessment was created. Figures are printed as JSON.

    .venv/bin/python bench/scoring_latency.py --rate 50 --seconds 20

Needs PostgreSQL and Redis (TEST_POSTGRES_URL / TEST_REDIS_URL, default 127.0.0.1). It drops
and recreates the database `tidi_bench` and flushes Redis database 13.

The first `--warmup` seconds (default 5) of a fresh API and worker are sent at the same rate
but reported apart: connections are opened and statements compiled under that load.

`applications.submitted_at` is stamped by the API process when it handles the submit (before
its commit); `assessments.created_at` is PostgreSQL's `now()`, the start of the worker's
scoring transaction. Both clocks are this machine's.
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from submissions import (  # noqa: E402 - after the path set-up
    BASE,
    REDIS_URL,
    free_port,
    prepare_tidi,
    recreate,
    start,
)

TIDI = Path(sys.executable).parent / "tidi"
QUEUE = "tidi:bench:scoring"
ASYNC_URL = f"{BASE.replace('postgresql://', 'postgresql+asyncpg://')}/tidi_bench"


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (nearest rank) of `values`, rounded to 0.1 ms."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[rank], 1)


async def wait_worker_ready(limit_s: float = 60) -> None:
    """Wait until the arq worker has written its health-check key."""
    redis = Redis.from_url(REDIS_URL)
    try:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if await redis.exists(f"{QUEUE}:health-check"):
                return
            await asyncio.sleep(0.2)
        raise RuntimeError("tidi worker did not start")
    finally:
        await redis.aclose()


async def submit_at_rate(
    base_url: str, secret: str, ids: list[str], rate: float, seconds: float
) -> dict[str, Any]:
    """Submit `rate × seconds` drafts, one every 1/rate s whatever the responses take."""
    total = int(rate * seconds)
    headers = {"Authorization": f"Bearer {secret}", "If-Match": '"1"'}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    submitted: list[str] = []
    errors = 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:

        async def one(application_id: str) -> None:
            nonlocal errors
            started = time.perf_counter()
            try:
                response = await client.post(
                    f"/v1/applications/{application_id}/submit", headers=headers
                )
            except httpx.HTTPError:
                errors += 1
                return
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                submitted.append(application_id)

        tasks = []
        t0 = time.perf_counter()
        for index in range(total):
            delay = t0 + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(ids[index])))
        sent_in = time.perf_counter() - t0
        await asyncio.gather(*tasks)
    return {
        "sent": total,
        "sent_in_s": round(sent_in, 2),
        "achieved_rate": round(total / sent_in, 1) if sent_in else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "transport_errors": errors,
        "submit_p50_ms": percentile(latencies, 50),
        "submit_p95_ms": percentile(latencies, 95),
        "submit_p99_ms": percentile(latencies, 99),
        "ids": submitted,
    }


async def scoring_latencies(ids: list[str], wait: float) -> tuple[list[float], dict[str, int]]:
    """(ms from submitted_at to the assessment, outcome counts), after waiting for the queue."""
    connection = await asyncpg.connect(f"{BASE}/tidi_bench")
    try:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            scored = await connection.fetchval(
                "SELECT count(DISTINCT application_id) FROM assessments "
                "WHERE application_id = ANY($1::uuid[])",
                ids,
            )
            if scored >= len(ids):
                break
            await asyncio.sleep(0.5)
        rows = await connection.fetch(
            """
            SELECT s.outcome::text AS outcome,
                   extract(epoch FROM (min(s.created_at) - a.submitted_at)) * 1000 AS ms
            FROM applications a JOIN assessments s ON s.application_id = a.id
            WHERE a.id = ANY($1::uuid[])
            GROUP BY a.id, a.submitted_at, s.outcome
            """,
            ids,
        )
    finally:
        await connection.close()
    outcomes: dict[str, int] = {}
    for row in rows:
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    return [float(row["ms"]) for row in rows], outcomes


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50, help="submissions per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--drain", type=float, default=60, help="max wait for the queue, s")
    parser.add_argument(
        "--warmup",
        type=float,
        default=5,
        help="seconds of submissions at the same rate before the measured ones (reported apart)",
    )
    args = parser.parse_args()
    total = int(args.rate * args.seconds)
    warm = int(args.rate * args.warmup)

    asyncio.run(recreate("tidi_bench"))
    from shared.db.migrate import upgrade

    upgrade(ASYNC_URL)
    secret, ids = asyncio.run(prepare_tidi(warm + total + 100))
    warm_ids, ids = ids[:warm], ids[warm:]

    async def open_funds_and_flush() -> None:
        connection = await asyncpg.connect(f"{BASE}/tidi_bench")
        await connection.execute(
            "UPDATE funds SET opens_at = now() - interval '30 days', "
            "closes_at = now() + interval '365 days'"
        )
        await connection.close()
        redis = Redis.from_url(REDIS_URL)
        await redis.flushdb()
        await redis.aclose()

    asyncio.run(open_funds_and_flush())

    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env |= {
        "DATABASE_URL": ASYNC_URL,
        "REDIS_URL": REDIS_URL,
        "WORKER_QUEUE_NAME": QUEUE,
        "LOG_LEVEL": "WARNING",
        "LOG_JSON": "false",
        "ENVIRONMENT": "test",
    }
    workdir = Path(tempfile.mkdtemp(prefix="tidi-bench-scoring-"))
    worker_log = workdir / "worker.log"
    port = free_port()
    api = start("services.api.main:app_factory", port, args.workers, env, factory=True)
    with worker_log.open("wb") as sink:
        worker = subprocess.Popen(
            [str(TIDI), "worker"], cwd=workdir, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    try:
        asyncio.run(wait_worker_ready())
        warmup: dict[str, Any] = {}
        if warm:
            warm_run = asyncio.run(
                submit_at_rate(f"http://127.0.0.1:{port}", secret, warm_ids, args.rate, args.warmup)
            )
            warm_latencies, _ = asyncio.run(scoring_latencies(warm_run.pop("ids"), args.drain))
            warmup = {
                "seconds": args.warmup,
                "submit_p95_ms": warm_run["submit_p95_ms"],
                "scoring_p95_ms": percentile(warm_latencies, 95),
                "scoring_max_ms": round(max(warm_latencies), 1) if warm_latencies else None,
            }
        run = asyncio.run(
            submit_at_rate(f"http://127.0.0.1:{port}", secret, ids, args.rate, args.seconds)
        )
        submitted = run.pop("ids")
        latencies, outcomes = asyncio.run(scoring_latencies(submitted, args.drain))
    finally:
        for process in (worker, api):
            process.terminate()
        for process in (worker, api):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    results: dict[str, Any] = {
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "api_workers": args.workers,
        "tidi_workers": 1,
        "warmup": warmup,
        "submit": run,
        "scoring": {
            "count": len(latencies),
            "submitted": len(submitted),
            "scored": len(latencies),
            "outcomes": outcomes,
            "p50_ms": percentile(latencies, 50),
            "p95_ms": percentile(latencies, 95),
            "p99_ms": percentile(latencies, 99),
            "max_ms": round(max(latencies), 1) if latencies else None,
            "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        },
        "target_p95_ms": 300,
    }
    p95 = results["scoring"]["p95_ms"]
    results["meets_target"] = p95 is not None and p95 < 300 and len(latencies) == len(submitted)
    print(json.dumps(results, indent=2))
    worker_errors = [
        line for line in worker_log.read_text(errors="replace").splitlines() if "ERROR" in line
    ]
    if worker_errors:
        print(f"worker log has {len(worker_errors)} ERROR lines, e.g. {worker_errors[0]}")


if __name__ == "__main__":
    main()
