"""Event dispatch and the outbox relay cron."""

import logging
import uuid
from datetime import timedelta
from typing import Any

from services.worker.context import job_session
from shared.events import relay

logger = logging.getLogger("tidi.worker")
RELAY_GRACE = timedelta(seconds=10)


async def dispatch_event(ctx: dict[str, Any], event_id: str) -> bool:
    """Fan one event out to its subscribers (none are registered yet: it is marked dispatched)."""
    async with job_session(ctx) as session:
        dispatched = await relay.mark_dispatched(session, uuid.UUID(event_id))
    logger.info("event dispatched", extra={"event_id": event_id, "first_time": dispatched})
    return dispatched


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Re-enqueue dispatches of events left undispatched (crash after commit, lost Redis)."""
    async with job_session(ctx) as session:
        jobs = await relay.stranded_dispatches(session, older_than=RELAY_GRACE)
    for job in jobs:
        await ctx["redis"].enqueue_job(job.name, _job_id=job.job_id, **job.kwargs)
    if jobs:
        logger.warning("outbox relay re-enqueued events", extra={"count": len(jobs)})
    return len(jobs)
