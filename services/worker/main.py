"""arq `WorkerSettings`: the only registry of jobs and crons."""

from typing import Any

from arq import cron, func
from arq.connections import RedisSettings
from arq.cron import CronJob
from arq.worker import Function

from services.worker.jobs import applications, events, system
from shared.db.engine import create_engine, create_sessionmaker
from shared.settings import Settings, get_settings

FUNCTIONS: list[Function] = [
    func(system.ping, name="system.ping", max_tries=3),
    func(events.dispatch_event, name="events.dispatch_event", max_tries=10),
    func(applications.score_application, name="eligibility.score_application", max_tries=5),
]


def cron_jobs(settings: Settings) -> list[CronJob]:
    """Periodic jobs; `unique` so several workers never run the same tick twice."""
    beat = settings.WORKER_HEARTBEAT_SECONDS
    seconds = set(range(0, 60, beat)) if beat < 60 else {0}
    return [
        cron(
            system.heartbeat,
            name="system.heartbeat",
            second=seconds,
            unique=True,
            run_at_startup=True,
        ),
        cron(events.relay_outbox, name="outbox.relay", second=set(range(0, 60, 10)), unique=True),
        cron(
            applications.relay_unscored,
            name="eligibility.relay_unscored",
            second={0, 30},
            unique=True,
        ),
        cron(
            applications.expire_drafts, name="applications.expire_drafts", second={5}, unique=True
        ),
        cron(
            applications.purge_idempotency_records,
            name="idempotency.purge",
            minute={17},
            second={0},
            unique=True,
        ),
    ]


async def on_startup(ctx: dict[str, Any]) -> None:
    """Build the engine and sessionmaker once per worker process."""
    settings: Settings = ctx.setdefault("settings", get_settings())
    ctx["engine"] = create_engine(settings, pool_size=5)
    ctx["sessionmaker"] = create_sessionmaker(ctx["engine"])


async def on_shutdown(ctx: dict[str, Any]) -> None:
    """Release the database pool."""
    await ctx["engine"].dispose()


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
        "job_timeout": 60,
        "keep_result": 3600,
    }


class WorkerSettings:
    """For `arq services.worker.main.WorkerSettings` (configuration from the environment).

    `tidi worker` is the usual entry point; it builds the same options.
    """

    _settings = get_settings()
    functions = FUNCTIONS
    cron_jobs = cron_jobs(_settings)
    on_startup = on_startup
    on_shutdown = on_shutdown
    queue_name = _settings.WORKER_QUEUE_NAME
    redis_settings = (
        RedisSettings.from_dsn(_settings.redis_url()) if _settings.REDIS_URL else RedisSettings()
    )
    max_jobs = 50
    poll_delay = 0.05
    job_timeout = 60
    keep_result = 3600
