"""What every job receives in `ctx`, and a session helper that commits then enqueues."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypedDict

from arq import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.jobs import enqueue_all, take_deferred_jobs
from shared.settings import Settings


class WorkerContext(TypedDict):
    """Resources built once per worker process (`on_startup`)."""

    redis: ArqRedis
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


@asynccontextmanager
async def job_session(
    ctx: WorkerContext | dict[str, Any],
) -> AsyncIterator[AsyncSession]:
    """A session committed when the block succeeds; its deferred jobs enqueued after."""
    async with ctx["sessionmaker"]() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    jobs = take_deferred_jobs(session)
    if jobs:
        settings: Settings = ctx["settings"]
        await enqueue_all(ctx["redis"], jobs, base_queue=settings.WORKER_QUEUE_NAME)
