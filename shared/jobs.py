"""Jobs deferred until the transaction that asked for them commits."""

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

_DEFERRED = "tidi.deferred_jobs"
logger = logging.getLogger("tidi.jobs")


@dataclass(frozen=True)
class JobRequest:
    """An arq job to enqueue after commit; `job_id` makes a repeated enqueue a no-op.

    `queue` names a secondary queue by its suffix (`webhooks` →
    `<WORKER_QUEUE_NAME>:webhooks`); None is the main queue. `defer_until` delays it.
    """

    name: str
    job_id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    queue: str | None = None
    defer_until: datetime | None = None


class JobQueue(Protocol):
    """What enqueuing needs of an arq pool (kept structural: shared never imports arq)."""

    async def enqueue_job(
        self,
        function: str,
        *args: Any,
        _job_id: str | None = None,
        _queue_name: str | None = None,
        _defer_until: datetime | None = None,
        **kwargs: Any,
    ) -> object:
        """Enqueue one job; None when a job of that id is queued, running or kept.

        The signature of arq's public `ArqRedis.enqueue_job`.
        """


def queue_name(base: str, queue: str | None) -> str:
    """The Redis queue a job goes to: the main queue or `<base>:<suffix>`."""
    return base if queue is None else f"{base}:{queue}"


async def enqueue_all(
    pool: JobQueue, jobs: Sequence[JobRequest], *, base_queue: str
) -> list[bool | BaseException]:
    """Enqueue `jobs` concurrently; per job, whether it was enqueued, or the error raised.

    False means arq already holds that job id (queued, running, or its result kept):
    deterministic ids make a repeated enqueue a no-op. The caller decides what a failure
    means (the database still holds the work; a relay or sweeper catches up).
    """
    results = await asyncio.gather(
        *(
            pool.enqueue_job(
                job.name,
                _job_id=job.job_id,
                _queue_name=queue_name(base_queue, job.queue),
                _defer_until=job.defer_until,
                **job.kwargs,
            )
            for job in jobs
        ),
        return_exceptions=True,
    )
    return [
        result if isinstance(result, BaseException) else result is not None for result in results
    ]


async def enqueue_logged(pool: JobQueue, jobs: Sequence[JobRequest], *, base_queue: str) -> int:
    """Enqueue `jobs`, logging each failure rather than raising it (the database holds the
    work: a relay or a sweeper enqueues it again); how many were enqueued anew."""
    results = await enqueue_all(pool, jobs, base_queue=base_queue)
    for job, result in zip(jobs, results, strict=True):
        if isinstance(result, BaseException):
            logger.warning("enqueue failed; a relay will retry", extra={"job_id": job.job_id})
    return sum(result is True for result in results)


def defer_job(session: AsyncSession, job: JobRequest) -> None:
    """Remember `job`; the adapter enqueues it only once the session has committed."""
    session.info.setdefault(_DEFERRED, []).append(job)


def take_deferred_jobs(session: AsyncSession) -> list[JobRequest]:
    """The jobs deferred on `session`, forgetting them."""
    jobs: list[JobRequest] = session.info.pop(_DEFERRED, [])
    return jobs
