"""The only registry of jobs and crons (each counted and timed), and the options of the arq
workers of a `tidi worker` process."""

import gc
from typing import Any

from arq import cron, func
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function

from services.worker.context import WorkerContext
from services.worker.jobs import applications, eligibility, system, webhooks
from services.worker.metrics import Job, observed
from shared.db.engine import create_engine, create_sessionmaker
from shared.eligibility.dryrun import DRY_RUN_JOB
from shared.jobs import queue_name
from shared.settings import Settings, get_settings
from shared.webhooks.jobs import DELIVER_JOB, FIRST_ATTEMPT_QUEUE, RETRY_QUEUE
from shared.webhooks.recovery import RECOVER_JOB
from shared.webhooks.sweeper import PROBE_JOB

MAIN_POOL_SIZE = 5


def job(name: str, run: Job, **options: Any) -> Function:
    """A job of the registry under `name` (arq's `func` options pass through)."""
    return func(observed(name, run), name=name, **options)


def periodic(name: str, run: Job, **options: Any) -> CronJob:
    """A cron job under `name`, `unique` so several workers never run the same tick twice."""
    return cron(observed(name, run), name=name, unique=True, **options)


# A delivery job's outcome lives in PostgreSQL: nothing to keep in Redis, and a job id
# `{delivery_id}:{attempt}` must be enqueueable again by the sweeper once it has run.
WEBHOOK_FUNCTIONS: list[Function] = [
    job(DELIVER_JOB, webhooks.deliver, max_tries=3, keep_result=0),
    job(PROBE_JOB, webhooks.probe, max_tries=1, keep_result=0),
]

FUNCTIONS: list[Function] = [
    job("system.ping", system.ping, max_tries=3),
    job(RECOVER_JOB, webhooks.recover, max_tries=5),
    job("eligibility.score_application", applications.score_application, max_tries=5),
    job("eligibility.rescore_fund", eligibility.rescore_fund, max_tries=5),
    job(DRY_RUN_JOB, eligibility.dry_run, max_tries=5),
]


def cron_jobs(settings: Settings) -> list[CronJob]:
    """Periodic jobs."""
    beat = settings.WORKER_HEARTBEAT_SECONDS
    seconds = set(range(0, 60, beat)) if beat < 60 else {0}
    return [
        periodic("system.heartbeat", system.heartbeat, second=seconds, run_at_startup=True),
        periodic("webhooks.sweep", webhooks.sweep_deliveries, second=set(range(0, 60, 5))),
        periodic("webhooks.retention", webhooks.retention, minute={23}, second={0}),
        periodic("eligibility.relay_unscored", applications.relay_unscored, second={0, 30}),
        periodic("applications.expire_drafts", applications.expire_drafts, second={5}),
        periodic(
            "applications.announce_overdue",
            applications.announce_overdue_information,
            second={35},
        ),
        periodic("eligibility.purge_dry_runs", eligibility.purge_dry_runs, minute={41}, second={0}),
        periodic(
            "idempotency.purge", applications.purge_idempotency_records, minute={17}, second={0}
        ),
    ]


async def on_startup(ctx: WorkerContext) -> None:
    """Build the engine and sessionmaker of the worker's context, then warm them up.

    What start-up loaded (modules, mappers, compiled statements) then lives as long as the
    process: `gc.freeze` takes it out of every later collection, which batch jobs, making
    many short-lived objects, would otherwise walk through again and again.
    """
    settings: Settings = ctx.setdefault("settings", get_settings())
    ctx["engine"] = create_engine(settings, pool_size=MAIN_POOL_SIZE)
    ctx["sessionmaker"] = create_sessionmaker(ctx["engine"])
    await applications.warm_up(ctx, connections=MAIN_POOL_SIZE)
    gc.freeze()


async def on_shutdown(ctx: WorkerContext) -> None:
    """Release the database pool."""
    await ctx["engine"].dispose()


async def on_webhook_startup(ctx: WorkerContext) -> None:
    """The two webhook workers share one context: the first to start builds it."""
    ctx["users"] = ctx.get("users", 0) + 1
    if ctx["users"] == 1:
        settings: Settings = ctx.setdefault("settings", get_settings())
        ctx["engine"] = create_engine(settings)  # the lanes' statements run on it too
        ctx["sessionmaker"] = create_sessionmaker(ctx["engine"])
        await webhooks.startup(ctx)


async def on_webhook_shutdown(ctx: WorkerContext) -> None:
    """The last webhook worker to stop closes the HTTP client and the pool."""
    ctx["users"] -= 1
    if ctx["users"] == 0:  # the next start builds them again
        await webhooks.shutdown(ctx)
        await ctx["engine"].dispose()


def webhook_worker_options(
    settings: Settings, ctx: dict[str, Any], *, queue: str, max_jobs: int
) -> dict[str, Any]:
    """Keyword arguments of the `arq.Worker` of one webhook queue (`ctx` shared by both)."""
    return {
        "functions": WEBHOOK_FUNCTIONS,
        "on_startup": on_webhook_startup,
        "on_shutdown": on_webhook_shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url()),
        "queue_name": queue_name(settings.WORKER_QUEUE_NAME, queue),
        "ctx": ctx,
        "max_jobs": max_jobs,
        "poll_delay": 0.05,
        "job_timeout": 60,
        "keep_result": 0,
    }


def all_worker_options(settings: Settings) -> list[dict[str, Any]]:
    """The workers of one `tidi worker` process: main queue, first attempts, retries.

    First attempts and retries have their own queues and job slots, so a backlog of
    retries never delays fresh events.
    """
    shared: dict[str, Any] = {"settings": settings}
    return [
        worker_options(settings),
        webhook_worker_options(settings, shared, queue=FIRST_ATTEMPT_QUEUE, max_jobs=100),
        webhook_worker_options(settings, shared, queue=RETRY_QUEUE, max_jobs=40),
    ]


def worker_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of `arq.Worker` for these settings."""
    return {
        "functions": FUNCTIONS,
        "cron_jobs": cron_jobs(settings),
        "on_startup": on_startup,
        "on_shutdown": on_shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url()),
        "queue_name": settings.WORKER_QUEUE_NAME,
        "ctx": {"settings": settings},
        "max_jobs": 50,
        # arq polls the queue every 0.5 s by default: half a second of latency per job.
        "poll_delay": 0.05,
        # Every job is short. The timeout also bounds how long the job of a worker that died
        # stays "in progress" (arq keeps that mark for the longest timeout + 10 s) before
        # another worker runs it again.
        "job_timeout": settings.WORKER_JOB_TIMEOUT_SECONDS,
        "keep_result": 3600,
    }
