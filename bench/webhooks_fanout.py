"""Webhook fan-out: deliveries per second of one worker process, and commit → first attempt.

Five loopback receivers (this process), five endpoints of the fund's operator, ONE
`tidi worker` process. Phase 1 (throughput) commits `--events` events as fast as it can
(batches of 200, first attempts enqueued after each commit, as the API does) and times
until every delivery succeeded. Phase 2 (latency) commits events at `--rate` per second
and measures, per (event, endpoint), commit → first request received.

    .venv/bin/python bench/webhooks_fanout.py --events 10000 --rate 50 --seconds 20

Targets: ≥ 500 deliveries per second per worker process; commit → first attempt p95 ≤ 1 s.

Rules (bench/harness.py): only successful deliveries count, each once: the receivers of
the healthy endpoints always answer 204, and a phase fails unless each of its (event,
endpoint) pairs has exactly one delivery, succeeded at its first attempt, and reached its
receiver exactly once; the latency runs from the commit of the event (the client's clock,
after `commit()` returns) to its receiver's first request.

Fairness: `--slow N` adds N endpoints (`max_in_flight` `--slow-in-flight`, default 16) whose
receivers hang 30 s, past their 5 s timeout, on every call; compare the steady-phase latency
of the healthy endpoints with and without them (`--events 0` skips the throughput phase):

    .venv/bin/python bench/webhooks_fanout.py --events 0 --rate 10 --seconds 30
    .venv/bin/python bench/webhooks_fanout.py --events 0 --rate 10 --seconds 30 --slow 20

or both, alternating, N times, with the median of the per-pair ratios (target ≤ 1.10):

    .venv/bin/python bench/webhooks_fanout.py --events 0 --rate 10 --seconds 30 --slow 20 --pairs 5

Needs PostgreSQL and Redis (bench/harness.py). It drops and recreates the database
`tidi_bench_webhooks` and flushes Redis database 10.
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
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

REDIS = harness.redis_url(10)
DB = "tidi_bench_webhooks"
DB_URL = harness.sqlalchemy_url(DB)
QUEUE = "tidi:bench-webhooks"
HEALTHY = """
SELECT count(*) AS deliveries,
       count(*) FILTER (WHERE d.status = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE d.status = 'succeeded' AND d.attempts <> 1) AS retried,
       count(*) FILTER (WHERE d.status = 'failed') AS failed
FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
WHERE e.url NOT LIKE '%/slow%'
"""
"""The deliveries to the healthy endpoints, by outcome."""


def _tidi() -> SimpleNamespace:
    """tidi's internals this benchmark calls (the one place to adapt when they move)."""
    from migrations.commands import upgrade
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.events.catalogue import ApplicationEventData, EventType
    from shared.events.service import new_event
    from shared.funds.models import Fund
    from shared.jobs import enqueue_all, take_deferred_jobs
    from shared.operators.models import Operator
    from shared.outbox.service import record_event as publish
    from shared.principal import SYSTEM
    from shared.seeding.service import seed_geography, seed_programme
    from shared.settings import Settings
    from shared.webhooks import service as webhooks
    from shared.webhooks.schemas import EndpointCreate

    async def record_event(session: Any, event_type: Any, data: Any, **fields: Any) -> Any:
        event = new_event(event_type, data, **fields)
        await publish(session, event)
        return event.id

    return SimpleNamespace(
        SYSTEM=SYSTEM,
        create_engine=create_engine,
        create_sessionmaker=create_sessionmaker,
        upgrade=upgrade,
        ApplicationEventData=ApplicationEventData,
        EventType=EventType,
        Fund=Fund,
        enqueue_all=enqueue_all,
        take_deferred_jobs=take_deferred_jobs,
        Operator=Operator,
        record_event=record_event,
        seed_geography=seed_geography,
        seed_programme=seed_programme,
        Settings=Settings,
        webhooks=webhooks,
        EndpointCreate=EndpointCreate,
    )


TIDI = _tidi()


class Receivers:
    """The loopback receivers: per (webhook-id, endpoint path), its first request's time
    and how many requests came."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], float] = {}
        self.requests: Counter[tuple[str, str]] = Counter()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Answer 204 at once (the slow endpoints: after their sender has given up)."""
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = dict(scope["headers"])
        key = (headers[b"webhook-id"].decode(), scope["path"])
        self.first.setdefault(key, time.time())
        self.requests[key] += 1
        if scope["path"].startswith("/slow"):
            await asyncio.sleep(30)  # past the endpoint's 5 s timeout
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def check(self, expected: set[tuple[str, str]]) -> None:
        """Fail unless each expected (event, endpoint) was requested exactly once."""
        missing = len(expected - self.first.keys())
        repeated = sum(1 for key in expected if self.requests[key] > 1)
        if missing or repeated:
            raise harness.Failed(
                f"of {len(expected)} deliveries, {missing} never reached their receiver "
                f"and {repeated} reached it more than once"
            )


def settings() -> Any:
    """tidi's settings on the bench database, queue and loopback endpoints."""
    return TIDI.Settings(
        _env_file=None,
        DATABASE_URL=DB_URL,
        REDIS_URL=REDIS,
        WORKER_QUEUE_NAME=QUEUE,
        WEBHOOK_ALLOW_HOSTS=["127.0.0.1"],
        WEBHOOK_ALLOW_HTTP_HOSTS=["127.0.0.1"],
    )


async def prepare(
    port: int, endpoints: int, *, slow: int, slow_in_flight: int
) -> tuple[Any, Any, Any]:
    """Seed the database and register the endpoints; (engine, sessionmaker, fund)."""
    from sqlalchemy import select

    s = settings()
    engine = TIDI.create_engine(s)
    sessionmaker = TIDI.create_sessionmaker(engine)
    async with sessionmaker() as session:
        await TIDI.seed_geography(session)
        await TIDI.seed_programme(session)
        fund = await session.scalar(select(TIDI.Fund).where(TIDI.Fund.code == "fonds-acceleration"))
        code = await session.scalar(
            select(TIDI.Operator.code).where(TIDI.Operator.id == fund.operator_id)
        )
        urls: list[tuple[str, dict[str, Any]]] = [
            (f"http://127.0.0.1:{port}/e{n}", {}) for n in range(endpoints)
        ]
        hanging = {"timeout_seconds": 5, "max_in_flight": slow_in_flight}
        urls += [(f"http://127.0.0.1:{port}/slow{n}", hanging) for n in range(slow)]
        for url, options in urls:
            await TIDI.webhooks.create(
                session,
                TIDI.SYSTEM,
                TIDI.EndpointCreate(url=url, operator_code=code, **options),
                s,
            )
        await session.commit()
    return engine, sessionmaker, fund


async def emit(sessionmaker: Any, fund: Any, pool: Any, count: int) -> list[tuple[str, float]]:
    """Commit `count` events in one transaction, enqueue their first attempts; (id, commit)."""
    ids = []
    async with sessionmaker() as session:
        for _ in range(count):
            subject = uuid.uuid4()
            event_id = await TIDI.record_event(
                session,
                TIDI.EventType.APPLICATION_SUBMITTED,
                TIDI.ApplicationEventData(
                    id=subject,
                    url=f"/v1/applications/{subject}",
                    status="submitted",
                    previous_status="draft",
                    occurred_at=datetime.now(UTC),
                    sequence=1,
                    project_id=uuid.uuid4(),
                    fund_code=fund.code,
                    territory_id=None,
                    region_code="53",
                    requested_amount_cents=10_000_000,
                    eligible_expense_base_cents=50_000_000,
                ),
                subject_type="application",
                subject_id=subject,
                sequence=1,
                fund_id=fund.id,
                operator_id=fund.operator_id,
            )
            ids.append(str(event_id))
        await session.commit()
        committed = time.time()
    await TIDI.enqueue_all(pool, TIDI.take_deferred_jobs(session), base_queue=QUEUE)
    return [(event_id, committed) for event_id in ids]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux `/proc`)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far (Linux `/proc/stat`)."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


async def settle(expected: int, started: float, limit_s: float, log: Path) -> None:
    """Wait until the healthy endpoints' `expected` deliveries are all done; fail unless
    each succeeded at its first attempt (and no other delivery exists)."""
    connection = await asyncpg.connect(harness.dsn(DB))
    try:
        while True:
            row = dict(await connection.fetchrow(HEALTHY))
            if row["succeeded"] + row["failed"] >= expected:
                break
            if time.time() - started > limit_s:
                raise harness.Failed(f"timed out with {row} of {expected}; see {log}")
            await asyncio.sleep(0.2)
    finally:
        await connection.close()
    if row != {"deliveries": expected, "succeeded": expected, "retried": 0, "failed": 0}:
        raise harness.Failed(f"healthy deliveries {row}, expected {expected} first-time successes")


def pairs(events: list[tuple[str, float]], endpoints: int) -> set[tuple[str, str]]:
    """Each (event id, endpoint path) that must be delivered."""
    return {(event_id, f"/e{n}") for event_id, _ in events for n in range(endpoints)}


async def throughput(
    args: argparse.Namespace, sessionmaker: Any, fund: Any, pool: Any, watch: dict[str, Any]
) -> dict[str, Any]:
    """Phase 1: `--events` events as fast as they commit, until every delivery succeeded."""
    total = args.events * args.endpoints
    started = time.time()
    cpu_before = cpu_seconds(watch["worker"].pid)
    own_before, machine_before = time.process_time(), machine_ticks()
    events: list[tuple[str, float]] = []
    for start in range(0, args.events, 200):
        events += await emit(sessionmaker, fund, pool, min(200, args.events - start))
    emitted = time.time() - started
    await settle(total, started, args.timeout, watch["log"])
    elapsed = max(time.time() - started, 1e-9)
    worker_cpu = cpu_seconds(watch["worker"].pid) - cpu_before
    own_cpu = time.process_time() - own_before
    busy, total_ticks = (a - b for a, b in zip(machine_ticks(), machine_before, strict=True))
    watch["receivers"].check(pairs(events, args.endpoints))
    return {
        "events": args.events,
        "deliveries": total,
        "commit_seconds": round(emitted, 2),
        "seconds": round(elapsed, 2),
        "deliveries_per_second": round(total / elapsed, 1),
        "target_deliveries_per_second": ">= 500",
        "worker_cpu_seconds": round(worker_cpu, 2),
        "worker_cpu_ms_per_delivery": round(1000 * worker_cpu / max(total, 1), 3),
        "receivers_and_producer_cpu_ms_per_delivery": round(1000 * own_cpu / max(total, 1), 3),
        "machine_busy": round(busy / max(total_ticks, 1), 3),
    }


async def steady(
    args: argparse.Namespace, sessionmaker: Any, fund: Any, pool: Any, watch: dict[str, Any]
) -> dict[str, Any]:
    """Phase 2: events at `--rate`; commit → first request of each healthy delivery."""
    commits: list[tuple[str, float]] = []
    tick = 0.1
    per_tick = max(1, round(args.rate * tick))
    started = time.time()
    deadline = started + args.seconds
    while time.time() < deadline:
        t = time.time()
        commits += await emit(sessionmaker, fund, pool, per_tick)
        await asyncio.sleep(max(0.0, tick - (time.time() - t)))
    achieved = len(commits) / (time.time() - started)
    expected = args.events * args.endpoints + len(commits) * args.endpoints
    await settle(expected, deadline, args.timeout, watch["log"])
    receivers = watch["receivers"]
    receivers.check(pairs(commits, args.endpoints))
    latencies = [
        (receivers.first[(event_id, f"/e{n}")] - committed) * 1000
        for event_id, committed in commits
        for n in range(args.endpoints)
    ]
    return {
        "events_per_second": args.rate,
        "events_per_second_achieved": round(achieved, 1),
        "deliveries": len(latencies),
        "mean_ms": round(statistics.fmean(latencies), 1),
        **harness.latency_summary(latencies),
        "target_p95_ms": "<= 1000",
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Both phases against one worker process."""
    from arq import create_pool
    from arq.connections import RedisSettings

    await harness.flush_redis(REDIS)
    receivers = Receivers()
    server = uvicorn.Server(
        uvicorn.Config(receivers, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    engine, sessionmaker, fund = await prepare(
        port, args.endpoints, slow=args.slow, slow_in_flight=args.slow_in_flight
    )
    pool = await create_pool(RedisSettings.from_dsn(REDIS), default_queue_name=QUEUE)
    env = harness.tidi_env(
        DB,
        REDIS,
        WORKER_QUEUE_NAME=QUEUE,
        WEBHOOK_ALLOW_HOSTS='["127.0.0.1"]',
        WEBHOOK_ALLOW_HTTP_HOSTS='["127.0.0.1"]',
    )
    scratch = Path(tempfile.mkdtemp(prefix="tidi-bench-webhooks-"))
    log, health_file = scratch / "worker.log", scratch / "worker-health.json"
    env["WORKER_HEALTH_FILE"] = str(health_file)
    with log.open("wb") as sink:
        worker = subprocess.Popen(  # noqa: ASYNC220 - started once, before timing
            [str(Path(sys.executable).parent / "tidi"), "worker"],
            cwd=harness.ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    watch = {"worker": worker, "log": log, "receivers": receivers}
    try:
        await harness.worker_ready(worker, health_file)
        burst = await throughput(args, sessionmaker, fund, pool, watch) if args.events else {}
        latency = await steady(args, sessionmaker, fund, pool, watch)
        return {
            "slow_endpoints": args.slow,
            "slow_max_in_flight": args.slow_in_flight if args.slow else None,
            "throughput": burst,
            "commit_to_first_attempt": latency,
            "requests": sum(receivers.requests.values()),
        }
    finally:
        harness.stop(worker)
        await pool.aclose()
        await engine.dispose()
        server.should_exit = True
        await serving


def main() -> None:
    """Recreate the database, run both phases, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50.0, help="events/s in phase 2")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--slow", type=int, default=0, help="endpoints that hang")
    parser.add_argument("--slow-in-flight", type=int, default=16, help="their max_in_flight")
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="with --slow: run N pairs (without, then with the slow endpoints) and compare "
        "the healthy p95 (fails when the median ratio exceeds 1.10)",
    )
    args = parser.parse_args()
    if not args.pairs:
        print(json.dumps(fresh_run(args), indent=2))
        return
    result = compare(args)
    print(json.dumps(result, indent=2))
    if not result["within_target"]:
        raise harness.Failed("healthy p95 with slow endpoints above 110 % of the run without")


def fresh_run(args: argparse.Namespace) -> dict[str, Any]:
    """One run on a freshly created database."""
    asyncio.run(harness.recreate(DB))
    TIDI.upgrade(DB_URL)
    return asyncio.run(run(args))


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """`--pairs` runs without and with the slow endpoints, alternating (like for like: same
    rate, duration and healthy endpoints); the median of the per-pair p95 ratios."""
    pairs = []
    for _ in range(args.pairs):
        p95 = [
            fresh_run(argparse.Namespace(**vars(args) | {"slow": slow}))["commit_to_first_attempt"][
                "p95_ms"
            ]
            for slow in (0, args.slow)
        ]
        pairs.append({"p95_ms_without": p95[0], "p95_ms_with": p95[1], "ratio": p95[1] / p95[0]})
    median = statistics.median(pair["ratio"] for pair in pairs)
    return {
        "slow_endpoints": args.slow,
        "pairs": pairs,
        "median_ratio": round(median, 3),
        "target_ratio": "<= 1.10",
        "within_target": median <= 1.10,
    }


if __name__ == "__main__":
    main()
