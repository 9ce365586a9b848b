"""What every job receives in `ctx`, and a session helper that commits then enqueues."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NotRequired, TypedDict

from arq import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.jobs import enqueue_logged, take_deferred_jobs
from shared.settings import Settings
from shared.webhooks.deliverer import Deliverer


class WorkerContext(TypedDict):
    """The `ctx` of every job, cron and hook.

    arq puts its pool in `redis` and, for a job run, `job_id` and `job_try` (1 on the
    first run); `on_startup` builds the rest when the workers start (again after a Redis
    outage, in a fresh context). The two webhook workers of a process share one context:
    its `deliverer`, counted by `users`.
    """

    redis: ArqRedis
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    job_id: NotRequired[str]
    job_try: NotRequired[int]
    deliverer: NotRequired[Deliverer]
    users: NotRequired[int]


@asynccontextmanager
async def job_session(ctx: WorkerContext) -> AsyncIterator[AsyncSession]:
    """A session committed when the block succeeds; its deferred jobs enqueued after.

    A failed enqueue is logged: the database holds the work, a relay or sweeper catches up.
    """
    async with ctx["sessionmaker"]() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    jobs = take_deferred_jobs(session)
    if jobs:
        await enqueue_logged(ctx["redis"], jobs, base_queue=ctx["settings"].WORKER_QUEUE_NAME)
