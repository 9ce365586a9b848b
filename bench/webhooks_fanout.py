"""Webhook fan-out: deliveries per second of one worker process, and commit → first attempt.

Five loopback receivers (this process), five endpoints of the fund's operator, ONE
`tidi worker` process. Phase 1 (throughput) commits `--events` events as fast as it can
(batches of 200, first attempts enqueued after each commit, as the API does) and times
until every delivery succeeded. Phase 2 (latency) commits events at `--rate` per second
and measures, per (event, endpoint), commit → first request received.

    .venv/bin/python bench/webhooks_fanout.py --events 10000 --rate 50 --seconds 20

Fairness: `--slow` adds one more endpoint whose receiver hangs past its 5 s timeout on every
call; compare the steady-phase latency of the healthy endpoints with and without it
(`--events 0` skips the throughput phase).

Needs PostgreSQL and Redis (TEST_POSTGRES_URL / TEST_REDIS_URL, default 127.0.0.1). It drops
and recreates the database `tidi_bench_webhooks` and flushes Redis database 12.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from submissions import BASE, recreate  # noqa: E402

from shared.db.migrate import upgrade  # noqa: E402

REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379") + "/12"
DB = "tidi_bench_webhooks"
DB_URL = f"{BASE.replace('postgresql://', 'postgresql+asyncpg://')}/{DB}"
QUEUE = "tidi:bench-webhooks"


class Receivers:
    """First-arrival time of each (webhook-id, endpoint path)."""

    def __init__(self) -> None:
        self.first: dict[tuple[str, str], float] = {}
        self.total = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = dict(scope["headers"])
        key = (headers[b"webhook-id"].decode(), scope["path"])
        self.first.setdefault(key, time.time())
        self.total += 1
        if scope["path"] == "/slow":
            await asyncio.sleep(30)  # past the endpoint's 5 s timeout
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def settings(**extra: Any) -> Any:
    from shared.settings import Settings

    return Settings(
        _env_file=None,
        DATABASE_URL=DB_URL,
        REDIS_URL=REDIS,
        WORKER_QUEUE_NAME=QUEUE,
        WEBHOOK_ALLOW_HOSTS=["127.0.0.1"],
        WEBHOOK_ALLOW_HTTP_HOSTS=["127.0.0.1"],
        **extra,
    )


async def prepare(port: int, endpoints: int, *, slow: bool) -> tuple[Any, Any, Any]:
    from sqlalchemy import select

    from shared.auth.principal import SYSTEM
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.funds.models import Fund
    from shared.operators.models import Operator
    from shared.reference.seed import seed_geography, seed_programme
    from shared.webhooks import service
    from shared.webhooks.schemas import EndpointCreate

    s = settings()
    engine = create_engine(s)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        await seed_geography(session)
        await seed_programme(session)
        fund = await session.scalar(select(Fund).where(Fund.code == "fonds-acceleration"))
        code = await session.scalar(select(Operator.code).where(Operator.id == fund.operator_id))
        for n in range(endpoints):
            await service.create(
                session,
                SYSTEM,
                EndpointCreate(url=f"http://127.0.0.1:{port}/e{n}", operator_code=code),
                s,
            )
        if slow:
            await service.create(
                session,
                SYSTEM,
                EndpointCreate(
                    url=f"http://127.0.0.1:{port}/slow", operator_code=code, timeout_seconds=5
                ),
                s,
            )
        await session.commit()
    return engine, sessionmaker, fund


async def emit(sessionmaker: Any, fund: Any, pool: Any, count: int) -> list[tuple[str, float]]:
    """Commit `count` events in one transaction, enqueue their first attempts; (id, commit)."""
    from shared.events.catalogue import ApplicationEventData, EventType
    from shared.jobs import enqueue_all, take_deferred_jobs
    from shared.outbox.service import record_event

    ids = []
    async with sessionmaker() as session:
        for _ in range(count):
            subject = uuid.uuid4()
            event_id = await record_event(
                session,
                EventType.APPLICATION_SUBMITTED,
                ApplicationEventData(
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
    await enqueue_all(pool, take_deferred_jobs(session), base_queue=QUEUE)
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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def succeeded(sessionmaker: Any) -> int:
    from sqlalchemy import text

    async with sessionmaker() as session:
        return int(
            await session.scalar(
                text(
                    "SELECT count(*) FROM webhook_deliveries d JOIN webhook_endpoints e "
                    "ON e.id = d.endpoint_id WHERE d.status = 'succeeded' "
                    "AND e.url NOT LIKE '%/slow'"
                )
            )
            or 0
        )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from arq import create_pool
    from arq.connections import RedisSettings

    await Redis.from_url(REDIS).flushdb()
    receivers = Receivers()
    server = uvicorn.Server(
        uvicorn.Config(receivers, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    engine, sessionmaker, fund = await prepare(port, args.endpoints, slow=args.slow)
    pool = await create_pool(RedisSettings.from_dsn(REDIS), default_queue_name=QUEUE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEBHOOK", "DATABASE"))}
    env |= {
        "DATABASE_URL": DB_URL,
        "REDIS_URL": REDIS,
        "WORKER_QUEUE_NAME": QUEUE,
        "WEBHOOK_ALLOW_HOSTS": '["127.0.0.1"]',
        "WEBHOOK_ALLOW_HTTP_HOSTS": '["127.0.0.1"]',
        "LOG_LEVEL": "WARNING",
    }
    log = Path(tempfile.mkdtemp()) / "worker.log"
    worker = subprocess.Popen(  # noqa: ASYNC220 - started once, before timing
        [str(Path(sys.executable).parent / "tidi"), "worker"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        await asyncio.sleep(2)
        # Phase 1: throughput.
        total = args.events * args.endpoints
        burst: dict[str, Any] = {}
        started = time.time()
        cpu_before = cpu_seconds(worker.pid)
        own_before, machine_before = time.process_time(), machine_ticks()
        for start in range(0, args.events, 200):
            await emit(sessionmaker, fund, pool, min(200, args.events - start))
        emitted = time.time() - started
        while await succeeded(sessionmaker) < total:
            if time.time() - started > args.timeout:
                raise SystemExit(f"timed out; see {log}")
            await asyncio.sleep(0.2)
        elapsed = max(time.time() - started, 1e-9)
        worker_cpu = cpu_seconds(worker.pid) - cpu_before
        own_cpu = time.process_time() - own_before
        busy, total_ticks = (a - b for a, b in zip(machine_ticks(), machine_before, strict=True))
        burst = {
            "events": args.events,
            "deliveries": total,
            "commit_seconds": round(emitted, 2),
            "seconds": round(elapsed, 2),
            "deliveries_per_second": round(total / elapsed, 1),
            "worker_cpu_seconds": round(worker_cpu, 2),
            "worker_cpu_ms_per_delivery": round(1000 * worker_cpu / max(total, 1), 3),
            "receivers_and_producer_cpu_ms_per_delivery": round(1000 * own_cpu / max(total, 1), 3),
            "machine_busy": round(busy / max(total_ticks, 1), 3),
        }
        if not args.events:
            burst = {}
        # Phase 2: commit → first attempt at a steady rate.
        receivers.first.clear()
        commits: list[tuple[str, float]] = []
        tick = 0.1
        per_tick = max(1, round(args.rate * tick))
        deadline = time.time() + args.seconds
        while time.time() < deadline:
            t = time.time()
            commits += await emit(sessionmaker, fund, pool, per_tick)
            await asyncio.sleep(max(0.0, tick - (time.time() - t)))
        target = total + len(commits) * args.endpoints
        while await succeeded(sessionmaker) < target:
            if time.time() - deadline > args.timeout:
                raise SystemExit(f"timed out; see {log}")
            await asyncio.sleep(0.2)
        latencies = [
            (receivers.first[(event_id, f"/e{n}")] - committed) * 1000
            for event_id, committed in commits
            for n in range(args.endpoints)
        ]
        steady = {
            "events_per_second": args.rate,
            "deliveries": len(latencies),
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(percentile(latencies, 0.95), 1),
            "p99_ms": round(percentile(latencies, 0.99), 1),
            "max_ms": round(max(latencies), 1),
        }
        return {
            "slow_endpoint": args.slow,
            "throughput": burst,
            "commit_to_first_attempt": steady,
            "requests": receivers.total,
        }
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        await pool.aclose()
        await engine.dispose()
        server.should_exit = True
        await serving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=5)
    parser.add_argument("--rate", type=float, default=50.0, help="events/s in phase 2")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--slow", action="store_true", help="add an endpoint that hangs")
    args = parser.parse_args()
    asyncio.run(recreate(DB))
    upgrade(DB_URL)
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
