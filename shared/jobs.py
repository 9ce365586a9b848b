"""Jobs deferred until the transaction that asked for them commits."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

_DEFERRED = "tidi.deferred_jobs"


@dataclass(frozen=True)
class JobRequest:
    """An arq job to enqueue after commit; `job_id` makes a repeated enqueue a no-op."""

    name: str
    job_id: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def defer_job(session: AsyncSession, job: JobRequest) -> None:
    """Remember `job`; the adapter enqueues it only once the session has committed."""
    session.info.setdefault(_DEFERRED, []).append(job)


def take_deferred_jobs(session: AsyncSession) -> list[JobRequest]:
    """The jobs deferred on `session`, forgetting them."""
    jobs: list[JobRequest] = session.info.pop(_DEFERRED, [])
    return jobs
