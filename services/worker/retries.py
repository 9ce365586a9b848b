"""Transient database errors turned into arq retries, later and later."""

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from arq import Retry
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from services.worker.context import WorkerContext

logger = logging.getLogger("tidi.worker")
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 300
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03", "57P01", "08000", "08003", "08006"})

P = ParamSpec("P")
R = TypeVar("R")


def is_transient(exc: BaseException) -> bool:
    """Whether a database error may succeed on a later try (lost connection, deadlock…)."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return code in _TRANSIENT_SQLSTATES
    return isinstance(exc, (ConnectionError, TimeoutError))


def retry_delay(job_try: int) -> int:
    """Exponential backoff in seconds for the given try (1-based), capped."""
    return int(min(RETRY_BASE_SECONDS * 2 ** max(job_try - 1, 0), RETRY_MAX_SECONDS))


def retry_transient_errors(
    job: Callable[Concatenate[WorkerContext, P], Awaitable[R]],
) -> Callable[Concatenate[WorkerContext, P], Coroutine[Any, Any, R]]:
    """The job, asking arq to run it again later when it fails on a transient error.

    Other errors fail the job; arq stops retrying after the function's `max_tries`.
    """

    @functools.wraps(job)
    async def run(ctx: WorkerContext, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await job(ctx, *args, **kwargs)
        except Exception as exc:
            if not is_transient(exc):
                raise
            job_try = ctx.get("job_try", 1)
            logger.warning(
                "job will be retried",
                extra={"job": job.__name__, "job_id": ctx.get("job_id"), "job_try": job_try},
            )
            raise Retry(defer=retry_delay(job_try)) from exc

    return run
