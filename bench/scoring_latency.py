"""End-to-end latency from a client's submit to the commit of its scoring, at a fixed rate.

A fresh `tidi_bench_scoring` database full of drafts (bench/prepare.py), the API under
`uvicorn --workers N` (2 by default) and ONE `tidi worker`. In this bench database only, a
trigger AFTER INSERT ON assessments calls `pg_notify('tidi_bench_scored', application_id)`;
PostgreSQL delivers a notification when its transaction commits, and a LISTEN connection
here stamps each arrival with the client's clock. An asyncio httpx client starts submit i
at t0 + i / rate whatever the earlier ones take; an application's latency runs from the
moment its submit is sent to the arrival of its scoring's notification.

    .venv/bin/python bench/scoring_latency.py --rate 50 --seconds 20

Rules: each submit takes a fresh draft; one non-2xx submit or transport error fails the
run; the first --warmup seconds (same rate: connections opened, statements compiled) are
reported apart; `meets_target` (p95 < 300 ms) counts only successful submits whose
application was scored, and is false when one was not scored within --drain seconds or
was scored twice.

Needs PostgreSQL and Redis (bench/harness.py). It drops and recreates the database
`tidi_bench_scoring` and flushes Redis database 14.
"""

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness
from bench.prepare import prepare

DATABASE = "tidi_bench_scoring"
REDIS = harness.redis_url(14)
QUEUE = "tidi:bench:scoring"
CHANNEL = "tidi_bench_scored"
SUBMIT_PATH = "/v1/applications/%s/submit"
TARGET_P95_MS = 300.0
NOTIFY_SCORED = f"""
CREATE FUNCTION tidi_bench_scored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', NEW.application_id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER tidi_bench_scored AFTER INSERT ON assessments
    FOR EACH ROW EXECUTE FUNCTION tidi_bench_scored();
"""
"""Bench database only: every assessment announces itself when its transaction commits."""


def main() -> None:
    """Prepare, start the API and one worker, submit at the rate, print the figures."""
    args = _arguments()
    warm, total = int(args.rate * args.warmup), int(args.rate * args.seconds)
    prepared = prepare(DATABASE, REDIS, warm + total)
    asyncio.run(_execute(NOTIFY_SCORED))
    asyncio.run(harness.flush_redis(REDIS))
    env = harness.tidi_env(DATABASE, REDIS, WORKER_QUEUE_NAME=QUEUE, LOG_JSON="false")
    port = harness.free_port()
    api = harness.serve(
        "services.api.main:app_factory", port=port, workers=args.workers, env=env, factory=True
    )
    worker_log = Path(tempfile.mkdtemp(prefix="tidi-bench-scoring-")) / "worker.log"
    with worker_log.open("wb") as sink:
        worker = subprocess.Popen(
            [str(Path(sys.executable).parent / "tidi"), "worker"],
            cwd=harness.ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        asyncio.run(_wait_worker_ready())
        run = {"secret": prepared.secret, "rate": args.rate, "drain": args.drain}
        base_url = f"http://127.0.0.1:{port}"
        warmup = asyncio.run(_measure(base_url, prepared.drafts[:warm], **run)) if warm else {}
        measured = asyncio.run(_measure(base_url, prepared.drafts[warm : warm + total], **run))
    finally:
        harness.stop(worker)
        harness.stop(api)
    p95 = measured["scoring"]["p95_ms"]
    complete = not measured["scoring"]["not_scored"] and not measured["scoring"]["scored_twice"]
    results = {
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "api_workers": args.workers,
        "tidi_workers": 1,
        "warmup": warmup,
        **measured,
        "target_p95_ms": f"< {TARGET_P95_MS}",
        "meets_target": complete and p95 is not None and p95 < TARGET_P95_MS,
    }
    print(json.dumps(results, indent=2))
    errors = [row for row in worker_log.read_text(errors="replace").splitlines() if "ERROR" in row]
    if errors:
        print(f"worker log has {len(errors)} ERROR lines, e.g. {errors[0]}", file=sys.stderr)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=float, default=50, help="submissions per second")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--drain", type=float, default=60, help="max wait for the scoring, s")
    parser.add_argument(
        "--warmup", type=float, default=5, help="seconds at the same rate, reported apart"
    )
    return parser.parse_args()


async def _execute(sql: str) -> None:
    connection = await asyncpg.connect(harness.dsn(DATABASE))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _wait_worker_ready(limit_s: float = 60) -> None:
    """Wait until the arq worker has written its health-check key."""
    redis = Redis.from_url(REDIS)
    try:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            if await redis.exists(f"{QUEUE}:health-check"):
                return
            await asyncio.sleep(0.2)
        raise harness.Failed("tidi worker did not start")
    finally:
        await redis.aclose()


async def _measure(
    base_url: str, ids: list[str], *, secret: str, rate: float, drain: float
) -> dict[str, Any]:
    """Submit `ids` at `rate`; each one's latency from its sending to its scoring's commit."""
    arrivals: dict[str, list[float]] = {}
    pending, all_scored = set(ids), asyncio.Event()

    def arrived(*args: Any) -> None:
        # (connection, pid, channel, payload): the payload is the application's id.
        arrivals.setdefault(args[3], []).append(time.perf_counter())
        pending.discard(args[3])
        if not pending:
            all_scored.set()

    listener = await asyncpg.connect(harness.dsn(DATABASE))
    await listener.add_listener(CHANNEL, arrived)
    sent: dict[str, float] = {}
    try:
        submit = await harness.at_rate(
            base_url,
            [SUBMIT_PATH % application_id for application_id in ids],
            rate=rate,
            headers={"Authorization": f"Bearer {secret}", "If-Match": '"1"'},
            connections=200,
            sent_at=sent,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_scored.wait(), drain)
        await asyncio.sleep(0.5)  # room for a second assessment to show up
    finally:
        await listener.close()
    latencies = [
        (arrivals[application_id][0] - sent[SUBMIT_PATH % application_id]) * 1000
        for application_id in ids
        if application_id in arrivals
    ]
    scoring = harness.latency_summary(latencies) | {
        "count": len(latencies),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
        "not_scored": sum(1 for i in ids if i not in arrivals),
        "scored_twice": sum(1 for i in ids if len(arrivals.get(i, ())) > 1),
    }
    return {"submit": submit, "scoring": scoring}


if __name__ == "__main__":
    main()
