"""Housekeeping: the health of one worker process, and a beat through the queue.

Each worker process writes its own health file (`Settings.worker_health_file`) every
`WORKER_HEARTBEAT_SECONDS`, and at once when its workers stop or start: ready while its arq
workers run and both PostgreSQL and Redis answer it. `tidi worker --check` reads the file;
one older than three beats is a process that stopped beating.
"""

import asyncio
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.worker.context import WorkerContext, job_session

logger = logging.getLogger("tidi.worker")

STALE_AFTER_BEATS = 3
PROBE_TIMEOUT_SECONDS = 5.0


async def probe(engine: AsyncEngine, redis: Redis) -> list[str]:
    """What keeps this process from working now (empty: PostgreSQL and Redis answer)."""
    unreachable = []
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure means "not reachable": the reason is not the point
        unreachable.append("postgres unreachable")
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            await redis.ping()
    except Exception:
        unreachable.append("redis unreachable")
    return unreachable


def write_health(path: Path, problems: list[str]) -> None:
    """Record this process's health now (replaced atomically: a reader never sees half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    record = {"pid": os.getpid(), "at": datetime.now(UTC).isoformat(), "problems": problems}
    draft.write_text(json.dumps(record))
    draft.replace(path)


def unready_reason(path: Path, *, beat_seconds: float, now: datetime | None = None) -> str | None:
    """Why the process writing `path` is not ready (None: it is)."""
    try:
        record = json.loads(path.read_text())
        at = datetime.fromisoformat(record["at"])
        problems = [str(p) for p in record["problems"]]
    except FileNotFoundError:
        return f"no health file at {path} (worker not running)"
    except (OSError, ValueError, KeyError, TypeError):
        return f"unreadable health file at {path}"
    age = ((now or datetime.now(UTC)) - at).total_seconds()
    if age > STALE_AFTER_BEATS * beat_seconds:
        return f"no beat for {age:.0f} s (pid {record.get('pid')})"
    return ", ".join(problems) or None


async def heartbeat(ctx: WorkerContext) -> str:
    """A beat through the queue and the database (one worker runs each tick)."""
    async with job_session(ctx) as session:
        await session.execute(text("SELECT 1"))
    return datetime.now(UTC).isoformat()


async def ping(ctx: WorkerContext) -> str:
    """A job that does nothing but prove the queue works end to end."""
    async with job_session(ctx) as session:
        await session.execute(text("SELECT 1"))
    return "pong"
