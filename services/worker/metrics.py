"""Job metrics (Prometheus): runs by job and outcome, and how long they took.

Every job and cron of the registry (`services.worker.main`) goes through `observed`. The
API's `/metrics` shows them when it runs in the same process (`tidi dev`); a separate
worker serves them on `WORKER_METRICS_PORT`.
"""

import asyncio
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Final, cast

from arq import Retry
from arq.typing import WorkerCoroutine
from prometheus_client import Counter, Histogram

from services.worker.context import WorkerContext

JOB_RUNS: Final = Counter(
    "tidi_jobs_total",
    "Worker job runs by job and outcome (success, retry, failure, cancelled)",
    ["job", "outcome"],
)
JOB_DURATION: Final = Histogram(
    "tidi_job_duration_seconds",
    "Worker job run time by job",
    ["job"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)

Job = Callable[Concatenate[WorkerContext, ...], Coroutine[Any, Any, Any]]
"""A job as tidi writes it: its context typed with the keys it reads."""


def observed(name: str, job: Job) -> WorkerCoroutine:
    """`job`, counted and timed under `name`, as arq's registry types it (arq declares
    `ctx` a plain dict; the jobs declare the keys they read)."""

    @functools.wraps(job)
    async def run(ctx: WorkerContext, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "failure"
        try:
            result = await job(ctx, *args, **kwargs)
        except Retry:
            outcome = "retry"
            raise
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        else:
            outcome = "success"
            return result
        finally:
            JOB_RUNS.labels(name, outcome).inc()
            JOB_DURATION.labels(name).observe(time.perf_counter() - started)

    return cast("WorkerCoroutine", run)
