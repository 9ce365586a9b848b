"""Housekeeping: a heartbeat proving the worker, its database and Redis are alive."""

import logging
import os
import socket
from datetime import UTC, datetime

from sqlalchemy import text

from services.worker.context import WorkerContext, job_session

logger = logging.getLogger("tidi.worker")

HEARTBEAT_KEY = "tidi:worker:heartbeat:{worker}"


def worker_name() -> str:
    """host:pid of this worker process."""
    return f"{socket.gethostname()}:{os.getpid()}"


async def heartbeat(ctx: WorkerContext) -> str:
    """Check the database and record the worker's last beat in Redis (expires after 3 beats)."""
    async with job_session(ctx) as session:
        await session.execute(text("SELECT 1"))
    now = datetime.now(UTC).isoformat()
    ttl = ctx["settings"].WORKER_HEARTBEAT_SECONDS * 3
    await ctx["redis"].set(HEARTBEAT_KEY.format(worker=worker_name()), now, ex=ttl)
    logger.info("heartbeat", extra={"worker": worker_name()})
    return now


async def ping(ctx: WorkerContext) -> str:
    """A job that does nothing but prove the queue works end to end."""
    async with job_session(ctx) as session:
        await session.execute(text("SELECT 1"))
    return "pong"
