"""Delivering: claim under a lease, send, record the attempt, schedule the next.

A job opens a lane (`shared.webhooks.lanes`, within the process's capacity) that runs as a
task of its own: it attempts the job's delivery, then drains the endpoint's due backlog in
order; `shared.webhooks.sender` signs and POSTs each one. Per
attempt, one round trip to the database (`repository.RECORD`, on an autocommit connection
of the worker's engine): the statement that records an attempt also claims the endpoint's
next due delivery. The endpoint row is written, in a transaction with the attempt, only
when its health changes.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Final

from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from shared.jobs import JobRequest
from shared.webhooks import endpoint_health, repository
from shared.webhooks.health import HealthState
from shared.webhooks.jobs import FIRST_ATTEMPT_QUEUE, RETRY_QUEUE, deliver_job
from shared.webhooks.lanes import Lanes
from shared.webhooks.models import DeliveryStatus
from shared.webhooks.policy import DeliveryPolicy
from shared.webhooks.repository import AttemptRecord, DeliveryRow
from shared.webhooks.schedule import Outcome, OutcomeKind, next_attempt_at
from shared.webhooks.sender import Attempt, Sender

logger = logging.getLogger("tidi.webhooks")

ATTEMPTS: Final = Counter(
    "tidi_webhook_attempts_total",
    "Webhook delivery attempts by outcome, and the state they left the delivery in",
    ["outcome", "delivery_status"],
)
ATTEMPT_DURATION: Final = Histogram(
    "tidi_webhook_attempt_duration_seconds",
    "Webhook delivery attempt time (the HTTP exchange)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
_TOUCH_SUCCESS_EVERY: Final = timedelta(seconds=60)
_CAP_TTL_SECONDS: Final = 30.0
"""How long a worker trusts the in-flight cap it read (a PATCH takes effect within it)."""
Lane = Callable[[], Awaitable[int]]
"""What an opened lane runs: it returns the attempts it made."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker holds the lease of, with what sending it needs."""

    row: DeliveryRow
    probe: bool = False

    @property
    def attempt_no(self) -> int:
        """The attempt being made (a probe does not count one)."""
        return self.row.attempts + (1 if self.probe else 0)


class Deliverer:
    """Sends deliveries for one worker process (one shared HTTP client, one lane registry)."""

    def __init__(
        self,
        engine: AsyncEngine,
        sender: Sender,
        policy: DeliveryPolicy,
        enqueue: Callable[[Sequence[JobRequest]], Awaitable[object]],
    ) -> None:
        """Wire the resources built once per worker process; `enqueue` sends retry jobs."""
        self._enqueue = enqueue
        # One statement is atomic by itself: no BEGIN and COMMIT round trips around it.
        self._db = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._sender = sender
        self.policy = policy
        self.lanes = Lanes(split_after=policy.lane_split_after, slow_after=policy.lane_slow_after)
        self._cap_checked: dict[uuid.UUID, float] = {}
        self._closing = False
        self._lanes: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        """Stop taking deliveries, then close the HTTP client (the engine is the worker's).

        A lane stopped mid-request leaves its delivery leased: it is sent again once the
        lease runs out (at least once).
        """
        self._closing = True
        for task in list(self._lanes):
            task.cancel()
        await asyncio.gather(*self._lanes, return_exceptions=True)
        await self._sender.aclose()

    # --- lanes -------------------------------------------------------------------------------

    async def start(self, delivery_id: uuid.UUID, endpoint_id: uuid.UUID, attempt: int) -> bool:
        """The job: open a lane for this delivery and leave it running (see `run`).

        Returns False when no lane opened: a busy lane of the endpoint, or the next free lane
        (`Lanes.next_in_line`), takes the delivery. The job's slot is free at once.
        """
        if not await self._open_lane(endpoint_id):
            return False
        self._spawn(endpoint_id, partial(self._deliver, delivery_id, endpoint_id, attempt))
        return True

    async def start_probe(self, endpoint_id: uuid.UUID) -> bool:
        """The probe job: open a lane that probes an endpoint whose circuit is open and, on
        success, drains its backlog; leave it running."""
        if not await self._open_lane(endpoint_id):
            return False
        self._spawn(endpoint_id, partial(self._probe, endpoint_id))
        return True

    async def run(self, delivery_id: uuid.UUID, endpoint_id: uuid.UUID, attempt: int) -> int:
        """Attempt this delivery, then drain the endpoint's due backlog in order, in this task.

        Returns the number of attempts made (0 when no lane opened).
        """
        if not await self._open_lane(endpoint_id):
            return 0
        work = partial(self._deliver, delivery_id, endpoint_id, attempt)
        return await self._in_lane(endpoint_id, work)

    async def _open_lane(self, endpoint_id: uuid.UUID) -> bool:
        """Open a lane within the endpoint's in-flight cap (read from the endpoint, cached)
        and the process's capacity."""
        if self._closing:
            return False
        known = self._cap_checked.get(endpoint_id)
        if known is None or time.monotonic() - known > _CAP_TTL_SECONDS:
            async with self._db.connect() as db:
                cap = await repository.in_flight_cap(db, endpoint_id)
            if cap is None:
                return False  # the endpoint was deleted
            self.lanes.caps[endpoint_id] = cap
            self._cap_checked[endpoint_id] = time.monotonic()
        return self.lanes.open(endpoint_id, self.policy.default_in_flight)

    def _spawn(self, endpoint_id: uuid.UUID, work: Lane) -> None:
        """Run an opened lane as a task of its own."""
        task = asyncio.create_task(self._detached(endpoint_id, work))
        self._lanes.add(task)
        task.add_done_callback(self._lanes.discard)

    async def _detached(self, endpoint_id: uuid.UUID, work: Lane) -> None:
        try:
            await self._in_lane(endpoint_id, work)
        except Exception:
            # Its claimed delivery, if any, is taken again once the lease expires.
            logger.exception("webhook lane failed", extra={"endpoint_id": str(endpoint_id)})

    async def _in_lane(self, endpoint_id: uuid.UUID, work: Lane) -> int:
        """Run `work` in an opened lane; close it, then open lanes for endpoints in line."""
        try:
            return await work()
        finally:
            self.lanes.close(endpoint_id)
            while not self._closing and (waiting := self.lanes.next_in_line()) is not None:
                self._spawn(waiting, partial(self._drain, waiting, None))

    async def _deliver(self, delivery_id: uuid.UUID, endpoint_id: uuid.UUID, attempt: int) -> int:
        async with self._db.connect() as db:
            row = await repository.claim(db, delivery_id, attempt, self.policy.lease)
        return await self._drain(endpoint_id, self._held(row))

    async def _probe(self, endpoint_id: uuid.UUID) -> int:
        async with self._db.connect() as db:
            row = await repository.claim_probe(db, endpoint_id, self.policy.lease)
        if row is None:
            return 0
        await self._attempt(Claimed(row, probe=True), chain=False)
        return 1 + await self._drain(endpoint_id, None)

    async def _drain(self, endpoint_id: uuid.UUID, claimed: Claimed | None) -> int:
        """Send `claimed`, then the endpoint's due deliveries oldest first, within the budget.

        While every lane of the endpoint has waited `split_after` on its answer, another
        opens (`_grow_if_stalled`, up to the cap and the capacity); when the budget is spent,
        or a slow endpoint holds more than its share of lanes,
        with deliveries still due, a new job takes over.
        """
        sent = 0
        deadline = time.monotonic() + self.policy.lane_budget
        looked = False  # True right after a claim found nothing due
        while True:
            if claimed is None:
                if looked and not self.lanes.keep_going(endpoint_id):
                    return sent
                if time.monotonic() >= deadline or self.lanes.over_slow_capacity(endpoint_id):
                    break
                claimed = self._held(await self._claim_next(endpoint_id))
                looked = True
                continue
            chain = time.monotonic() < deadline and not self.lanes.over_slow_capacity(endpoint_id)
            claimed = await self._attempt(claimed, chain=chain)
            sent += 1
            if not chain:
                break
            looked = True
        await self._hand_over(endpoint_id)
        return sent

    async def _claim_next(self, endpoint_id: uuid.UUID) -> DeliveryRow | None:
        async with self._db.connect() as db:
            return await repository.claim_next(db, endpoint_id, self.policy.lease)

    def _grow_if_stalled(self, endpoint_id: uuid.UUID) -> None:
        """Every lane of the endpoint has waited `split_after` on its answer: open one more
        (up to its cap and the capacity), which takes the next due delivery, if any."""
        if self._closing or not self.lanes.stalled(endpoint_id):
            return
        if self.lanes.grow(endpoint_id, self.policy.default_in_flight):
            self._spawn(endpoint_id, partial(self._drain, endpoint_id, None))

    async def _hand_over(self, endpoint_id: uuid.UUID) -> None:
        """The lane stops with deliveries due: a fresh job asks for a lane again."""
        async with self._db.connect() as db:
            due = await repository.next_due(db, endpoint_id)
        if due is None:
            return
        delivery_id, attempts = due
        queue = RETRY_QUEUE if attempts else FIRST_ATTEMPT_QUEUE
        await self._enqueue(
            [deliver_job(delivery_id, endpoint_id, attempt=attempts + 1, queue=queue)]
        )

    def _held(self, row: DeliveryRow | None) -> Claimed | None:
        if row is None:
            return None
        self.lanes.caps[row.endpoint_id] = row.max_in_flight
        return Claimed(row)

    # --- one attempt ---------------------------------------------------------------------------

    async def _attempt(self, claimed: Claimed, *, chain: bool) -> Claimed | None:
        """Send one claimed delivery and record it; with `chain`, the next one claimed.

        Returns:
            The delivery claimed next, or None.
        """
        row = claimed.row
        if row.data is None:  # the payload outlived its retention: nothing left to send
            attempt = Attempt(datetime.now(UTC), 0, Outcome(OutcomeKind.FAILURE, error_class=None))
            return await self._finish(claimed, attempt, chain=chain, final_error="payload_expired")
        token = id(asyncio.current_task())
        started = time.monotonic()
        self.lanes.sent(row.endpoint_id, token, started)
        grow = asyncio.get_running_loop().call_later(
            self.lanes.split_after, self._grow_if_stalled, row.endpoint_id
        )
        try:
            attempt = await self._sender.send(row)
        finally:
            grow.cancel()
            self.lanes.sent(row.endpoint_id, token, None)
        waited = time.monotonic() - started
        self.lanes.answered(row.endpoint_id, success=attempt.outcome.is_success, waited=waited)
        return await self._finish(claimed, attempt, chain=chain)

    def _next_attempt(self, claimed: Claimed, attempt: Attempt) -> datetime | None:
        """When to try again after a failed attempt; None when its retries are spent."""
        return next_attempt_at(
            claimed.attempt_no,
            attempt.started_at,
            attempt.outcome,
            retry_after=attempt.retry_after,
            schedule=self.policy.schedule,
            throttled_minimum=self.policy.throttled_minimum,
        )

    def _record_of(
        self, claimed: Claimed, attempt: Attempt, final_error: str | None
    ) -> AttemptRecord:
        """The attempt as it is recorded, with the state it leaves its delivery in."""
        outcome = attempt.outcome
        status, next_at = DeliveryStatus.PENDING, None
        if final_error is not None:
            status = DeliveryStatus.FAILED
        elif outcome.is_success:
            status = DeliveryStatus.SUCCEEDED
        elif outcome.kind is not OutcomeKind.GONE and not claimed.probe:
            # (410 and probes keep it pending, not burnt: sent again once the endpoint is back)
            next_at = self._next_attempt(claimed, attempt)
            status = DeliveryStatus.PENDING if next_at is not None else DeliveryStatus.FAILED
        return AttemptRecord(
            delivery_id=claimed.row.id,
            endpoint_id=claimed.row.endpoint_id,
            lease_token=claimed.row.locked_until,
            attempt_no=claimed.attempt_no,
            probe=claimed.probe,
            started_at=attempt.started_at,
            duration_ms=attempt.duration_ms,
            status_code=outcome.status_code,
            error_class=final_error or (outcome.error_class.value if outcome.error_class else None),
            outcome="expired" if final_error else outcome.kind.value,
            response_excerpt=attempt.excerpt,
            status=status,
            next_attempt_at=next_at,
            delivered_at=attempt.started_at if status is DeliveryStatus.SUCCEEDED else None,
        )

    async def _finish(
        self, claimed: Claimed, attempt: Attempt, *, chain: bool, final_error: str | None = None
    ) -> Claimed | None:
        record = self._record_of(claimed, attempt, final_error)
        ATTEMPTS.labels(record.outcome, record.status.value).inc()
        ATTEMPT_DURATION.observe(record.duration_ms / 1000)
        if final_error is None and _health_changes(claimed.row, attempt.outcome):
            async with self._sessions() as session, session.begin():
                await endpoint_health.record_attempt(
                    session, record, attempt.outcome, self.policy.health
                )
            following = await self._claim_next(record.endpoint_id) if chain else None
        else:
            async with self._db.connect() as db:
                lease = self.policy.lease if chain else None
                following = await repository.record(db, record, claim_next_lease=lease)
        if record.next_attempt_at is not None:
            retry = deliver_job(
                record.delivery_id,
                record.endpoint_id,
                attempt=record.attempt_no + 1,
                queue=RETRY_QUEUE,
                defer_until=record.next_attempt_at,
            )
            await self._enqueue([retry])
        return self._held(following)


def _health_changes(row: DeliveryRow, outcome: Outcome) -> bool:
    """Whether the outcome changes the endpoint's health record (a success is noted at most
    once a minute on a healthy endpoint)."""
    if not outcome.is_success:
        return True
    if row.state is not HealthState.HEALTHY or row.consecutive_failures:
        return True
    last = row.last_success_at
    return last is None or datetime.now(UTC) - last >= _TOUCH_SUCCESS_EVERY
