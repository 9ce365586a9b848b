"""The `/metrics` document: this process's (or, in multiprocess mode, every API process's)
counters, and gauges read at scrape time from Redis and PostgreSQL.

Counters and histograms are written by the code they measure: HTTP requests
(`services.api.middleware`), jobs (`services.worker.metrics`, when the worker runs in this
process), webhook attempts (`shared.webhooks.deliverer`). With several API processes
(`tidi serve --workers N`), `PROMETHEUS_MULTIPROC_DIR` holds their files and every scrape
sums them. The gauges are read per scrape, so any process answers with the same figures.
"""

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest, multiprocess
from starlette.datastructures import State

from shared.jobs import queue_name
from shared.webhooks.backlog import backlog
from shared.webhooks.jobs import FIRST_ATTEMPT_QUEUE, RETRY_QUEUE

logger = logging.getLogger("tidi.api")
_QUEUES = (None, FIRST_ATTEMPT_QUEUE, RETRY_QUEUE)
_TIMEOUT_SECONDS = 2.0


def recorded_metrics() -> bytes:
    """The counters and histograms of this process, or of all API processes."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


async def live_metrics(state: State) -> bytes:
    """Queue depths, webhook backlog and endpoint health, read now (a source that does not
    answer within 2 s is reported down, its gauges left out)."""
    registry = CollectorRegistry()
    gauge = partial(Gauge, registry=registry)
    up = gauge("tidi_metrics_source_up", "Whether a source answered this scrape", ["source"])
    for source, read in (("redis", _queue_depths), ("database", _webhook_backlog)):
        try:
            await asyncio.wait_for(read(state, gauge), _TIMEOUT_SECONDS)
        except Exception:  # the scrape still answers: the source is reported down
            logger.warning("metrics source %s did not answer", source, exc_info=True)
            up.labels(source).set(0)
        else:
            up.labels(source).set(1)
    return generate_latest(registry)


async def _queue_depths(state: State, gauge: Callable[..., Gauge]) -> None:
    depth = gauge("tidi_queue_depth", "Jobs waiting in each arq queue (due or deferred)", ["queue"])
    names = [queue_name(state.settings.WORKER_QUEUE_NAME, queue) for queue in _QUEUES]
    async with state.arq.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.zcard(name)
        sizes = await pipe.execute()
    for name, size in zip(names, sizes, strict=True):
        depth.labels(name).set(size)


async def _webhook_backlog(state: State, gauge: Callable[..., Gauge]) -> None:
    async with state.statement_sessionmaker() as session:
        now = await backlog(session)
    gauge("tidi_webhook_deliveries_pending", "Webhook deliveries waiting").set(now.pending)
    lag = gauge(
        "tidi_outbox_lag_seconds",
        "How long the oldest delivery due on a live endpoint has waited (0: none waits)",
    )
    if now.oldest_due_at is not None:
        lag.set(max(0.0, (datetime.now(UTC) - now.oldest_due_at).total_seconds()))
    endpoints = gauge("tidi_webhook_endpoints", "Webhook endpoints by health state", ["state"])
    for health, count in now.endpoints.items():
        endpoints.labels(health.value).set(count)
