"""Sending deliveries: claim under a lease, sign, POST, record the attempt, schedule the next.

A worker process keeps at most `max_in_flight` *lanes* per endpoint. A lane claims one
due delivery at a time (oldest event first), sends it and claims the next, until the
endpoint has nothing due or the lane's time budget is spent; a job arriving while every
lane of its endpoint is busy leaves its delivery to them. So a slow endpoint holds at most
`max_in_flight` job slots, its backlog drains in order, and the others are never held up.

Per attempt, one round trip to the database (`store.py`): the statement that records an
attempt also claims the endpoint's next due delivery; the endpoint row is written, in a
transaction of its own, only when its health changes.
"""

import asyncio
import logging
import ssl
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.events.catalogue import EndpointHealthData, EventType
from shared.events.service import insert_event, new_event
from shared.jobs import JobRequest
from shared.webhooks import health as health_rules
from shared.webhooks.health import EndpointHealth, HealthEvent, HealthState
from shared.webhooks.jobs import FIRST_ATTEMPT_QUEUE, RETRY_QUEUE, deliver_job
from shared.webhooks.policy import DeliveryPolicy
from shared.webhooks.schedule import ErrorClass, Outcome, OutcomeKind, classify, next_attempt_at
from shared.webhooks.secrets_box import SecretBox
from shared.webhooks.signing import CONTENT_TYPE, active_secrets, build_body, sign
from shared.webhooks.ssrf import ResolutionError, SsrfBlockedError
from shared.webhooks.store import FINISH, DeliveryRow, DeliveryStore

logger = logging.getLogger("tidi.webhooks")

MAX_RESPONSE_READ: Final = 64 * 1024
"""Bytes of a response body read at most."""
MAX_RESPONSE_STORED: Final = 16 * 1024
"""Bytes of it kept in the attempt log."""
USER_AGENT: Final = "tidi-webhooks/1"
ENDPOINT_URL: Final = "/v1/webhook-endpoints/{id}"

_FINISH = text(FINISH)
_LOCK_ENDPOINT = text(
    """
SELECT state::text AS state, consecutive_failures, failing_since, last_failure_at,
    last_success_at, probes, next_probe_at, disabled_reason::text AS disabled_reason, operator_id
FROM webhook_endpoints WHERE id = :id FOR NO KEY UPDATE
"""
)
_WRITE_HEALTH = text(
    """
UPDATE webhook_endpoints
SET state = CAST(CAST(:state AS text) AS endpoint_state),
    consecutive_failures = :consecutive_failures,
    failing_since = :failing_since, last_failure_at = :last_failure_at,
    last_success_at = :last_success_at, probes = :probes, next_probe_at = :next_probe_at,
    disabled_reason = CAST(:disabled_reason AS endpoint_disabled_reason),
    health_changed_at = CASE WHEN state::text = CAST(:state AS text) THEN health_changed_at
        ELSE now() END
WHERE id = :id
"""
)
_TOUCH_SUCCESS_EVERY: Final = timedelta(seconds=60)
_BODIES_KEPT: Final = 512
"""Bodies of recent events kept (an event goes to each of its endpoints in turn)."""
_CAP_TTL_SECONDS: Final = 30.0
"""How long a worker trusts the in-flight cap it read (a PATCH takes effect within it)."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker holds the lease of, with what sending it needs."""

    row: DeliveryRow
    probe: bool = False

    @property
    def delivery_id(self) -> uuid.UUID:
        """The delivery's id."""
        return self.row.id

    @property
    def attempt_no(self) -> int:
        """The attempt being made (a probe does not count one)."""
        return int(self.row.attempts) + (1 if self.probe else 0)


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one HTTP attempt gave."""

    started_at: datetime
    duration_ms: int
    outcome: Outcome
    retry_after: str | None = None
    excerpt: str | None = None


@dataclass
class Lanes:
    """Per-process lanes per endpoint: how many are open, and the requests they have out.

    An endpoint gets one lane; another opens (up to its cap) only while every open lane has
    a request out for longer than `split_after`: a fast endpoint is drained by one lane (so
    a crash can catch at most one of its requests between send and record), a slow one by
    up to `max_in_flight`. A job that finds no lane to open leaves a wake-up mark, so the
    busy lane looks again before it stops (no delivery is left behind).
    """

    split_after: float = 0.1
    active: dict[uuid.UUID, int] = field(default_factory=dict)
    wake: set[uuid.UUID] = field(default_factory=set)
    caps: dict[uuid.UUID, int] = field(default_factory=dict)
    sending: dict[uuid.UUID, dict[int, float]] = field(default_factory=dict)

    def open(self, endpoint_id: uuid.UUID, default_cap: int) -> bool:
        """Open a lane if the endpoint needs one; else mark it to wake a busy lane."""
        open_now = self.active.get(endpoint_id, 0)
        if open_now == 0 or (
            open_now < self.caps.get(endpoint_id, default_cap) and self.stalled(endpoint_id)
        ):
            self.active[endpoint_id] = open_now + 1
            return True
        self.wake.add(endpoint_id)
        return False

    def grow(self, endpoint_id: uuid.UUID, default_cap: int) -> bool:
        """Open one more lane if the endpoint's cap allows (a lane saw a slow answer)."""
        open_now = self.active.get(endpoint_id, 0)
        if open_now >= self.caps.get(endpoint_id, default_cap):
            return False
        self.active[endpoint_id] = open_now + 1
        return True

    def stalled(self, endpoint_id: uuid.UUID) -> bool:
        """Whether every open lane of the endpoint has waited `split_after` on its request."""
        started = self.sending.get(endpoint_id, {})
        cutoff = time.monotonic() - self.split_after
        waiting = sum(1 for at in started.values() if at <= cutoff)
        return waiting >= self.active.get(endpoint_id, 0) > 0

    def sent(self, endpoint_id: uuid.UUID, token: int, started: float | None) -> None:
        """Note a lane's request going out (`started`) or answered (None)."""
        out = self.sending.setdefault(endpoint_id, {})
        if started is not None:
            out[token] = started
            return
        out.pop(token, None)
        if not out:
            del self.sending[endpoint_id]

    def keep_going(self, endpoint_id: uuid.UUID) -> bool:
        """Called when a lane found nothing due: True if a job asked it to look again."""
        if endpoint_id in self.wake:
            self.wake.discard(endpoint_id)
            return True
        return False

    def close(self, endpoint_id: uuid.UUID) -> None:
        """Release a lane."""
        left = self.active.get(endpoint_id, 1) - 1
        if left > 0:
            self.active[endpoint_id] = left
        else:
            self.active.pop(endpoint_id, None)

    def in_flight(self, endpoint_id: uuid.UUID) -> int:
        """Lanes open for the endpoint now."""
        return self.active.get(endpoint_id, 0)


class Deliverer:
    """Sends deliveries for one worker process (one shared HTTP client, one lane registry)."""

    def __init__(
        self,
        engine: AsyncEngine,
        store: DeliveryStore,
        client: httpx.AsyncClient,
        box: SecretBox,
        policy: DeliveryPolicy,
        enqueue: Callable[[Sequence[JobRequest]], Awaitable[object]],
    ) -> None:
        """Wire the resources built once per worker process; `enqueue` sends retry jobs.

        `store` carries the per-attempt statements; `engine` the rare health transactions.
        """
        self._enqueue = enqueue
        self._store = store
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._client = client
        self._box = box
        self.policy = policy
        self.lanes = Lanes(split_after=policy.lane_split_after)
        self._secrets: OrderedDict[str, str] = OrderedDict()
        self._bodies: OrderedDict[uuid.UUID, bytes] = OrderedDict()
        self._cap_checked: dict[uuid.UUID, float] = {}
        self._closing = False
        self._extra_lanes: set[asyncio.Task[None]] = set()

    async def aclose(self) -> None:
        """Stop taking deliveries, then close the HTTP client and the statement pool."""
        self._closing = True
        for task in list(self._extra_lanes):
            task.cancel()
        await asyncio.gather(*self._extra_lanes, return_exceptions=True)
        await self._client.aclose()
        await self._store.close()

    async def _open_lane(self, endpoint_id: uuid.UUID) -> bool:
        """Open a lane within the endpoint's in-flight cap (read from the endpoint, cached)."""
        if self._closing:
            return False
        known = self._cap_checked.get(endpoint_id)
        if known is None or time.monotonic() - known > _CAP_TTL_SECONDS:
            cap = await self._store.cap(endpoint_id)
            if cap is None:
                return False  # the endpoint was deleted
            self.lanes.caps[endpoint_id] = int(cap)
            self._cap_checked[endpoint_id] = time.monotonic()
        return self.lanes.open(endpoint_id, self.policy.default_in_flight)

    # --- lanes -------------------------------------------------------------------------------

    async def run(self, delivery_id: uuid.UUID, endpoint_id: uuid.UUID, attempt: int) -> int:
        """The job: attempt this delivery, then drain the endpoint's due backlog in order.

        Returns the number of attempts made (0 when every lane of the endpoint was busy:
        one of them takes this delivery).
        """
        if not await self._open_lane(endpoint_id):
            return 0
        try:
            row = await self._store.claim(delivery_id, attempt, self.policy.lease)
            return await self._drain(endpoint_id, self._held(row))
        finally:
            self.lanes.close(endpoint_id)

    async def probe(self, endpoint_id: uuid.UUID) -> int:
        """One probe of an endpoint whose circuit is open; on success, drain its backlog."""
        if not await self._open_lane(endpoint_id):
            return 0
        try:
            row = await self._store.claim_probe(endpoint_id, self.policy.lease)
            if row is None:
                return 0
            await self._attempt(Claimed(row, probe=True), chain=False)
            return 1 + await self._drain(endpoint_id, None)
        finally:
            self.lanes.close(endpoint_id)

    async def _drain(self, endpoint_id: uuid.UUID, claimed: Claimed | None) -> int:
        """Send `claimed`, then the endpoint's due deliveries oldest first, within the budget.

        A slow answer with more due opens another lane (up to the cap); when the budget is
        spent with deliveries still due, a new job takes over (arq job slots are freed).
        """
        sent = 0
        deadline = time.monotonic() + self.policy.lane_budget
        looked = False  # True right after a claim found nothing due
        while True:
            if claimed is None:
                if looked and not self.lanes.keep_going(endpoint_id):
                    return sent
                if time.monotonic() >= deadline:
                    break
                claimed = self._held(await self._store.claim_next(endpoint_id, self.policy.lease))
                looked = True
                continue
            chain = time.monotonic() < deadline
            claimed, waited = await self._attempt(claimed, chain=chain)
            sent += 1
            if not chain:
                break
            looked = True
            if claimed is not None and waited >= self.lanes.split_after:
                self._add_lane(endpoint_id)
        await self._hand_over(endpoint_id)
        return sent

    def _add_lane(self, endpoint_id: uuid.UUID) -> None:
        if self._closing or not self.lanes.grow(endpoint_id, self.policy.default_in_flight):
            return
        task = asyncio.create_task(self._extra_lane(endpoint_id))
        self._extra_lanes.add(task)
        task.add_done_callback(self._extra_lanes.discard)

    async def _extra_lane(self, endpoint_id: uuid.UUID) -> None:
        try:
            await self._drain(endpoint_id, None)
        except Exception:
            # Its claimed delivery, if any, is taken again once the lease expires.
            logger.exception("webhook lane failed", extra={"endpoint_id": str(endpoint_id)})
        finally:
            self.lanes.close(endpoint_id)

    async def _hand_over(self, endpoint_id: uuid.UUID) -> None:
        """The lane's budget is spent: if a delivery is due, a fresh job continues."""
        due = await self._store.next_due(endpoint_id)
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

    async def _attempt(self, claimed: Claimed, *, chain: bool) -> tuple[Claimed | None, float]:
        """Send one claimed delivery and record it; with `chain`, the next one claimed.

        Returns:
            (the delivery claimed next or None, seconds the request waited for its answer).
        """
        row = claimed.row
        if row.data is None:  # the payload outlived its retention: nothing left to send
            attempt = Attempt(
                datetime.now(UTC), 0, Outcome(OutcomeKind.FAILURE, error_class=None), None, None
            )
            following = await self._finish(
                claimed, attempt, chain=chain, final_error="payload_expired"
            )
            return following, 0.0
        token = id(asyncio.current_task())
        started = time.monotonic()
        self.lanes.sent(row.endpoint_id, token, started)
        try:
            attempt = await self._send(row)
        finally:
            self.lanes.sent(row.endpoint_id, token, None)
        waited = time.monotonic() - started
        return await self._finish(claimed, attempt, chain=chain), waited

    def _body(self, row: DeliveryRow) -> bytes:
        """The event's body, built once for all the endpoints it goes to."""
        body = self._bodies.get(row.event_id)
        if body is None:
            body = build_body(row.event_type, row.occurred_at, row.data or {})
            self._bodies[row.event_id] = body
            if len(self._bodies) > _BODIES_KEPT:
                self._bodies.popitem(last=False)
        return body

    def _signing_secrets(self, row: Any, now: datetime) -> tuple[str, ...]:
        context = str(row.endpoint_id)
        current = self._decrypt(row.secret_ciphertext, context)
        previous = (
            self._decrypt(row.previous_secret_ciphertext, context)
            if row.previous_secret_ciphertext
            else None
        )
        return active_secrets(current, previous, row.previous_secret_expires_at, now=now)

    def _decrypt(self, ciphertext: str, context: str) -> str:
        key = f"{context}:{ciphertext}"
        secret = self._secrets.get(key)
        if secret is None:
            secret = self._box.decrypt(ciphertext, context=context)
            self._secrets[key] = secret
            if len(self._secrets) > 1024:
                self._secrets.popitem(last=False)
        return secret

    async def _send(self, row: Any) -> Attempt:
        now = datetime.now(UTC)
        body = self._body(row)
        headers = sign(
            self._signing_secrets(row, now), msg_id=str(row.event_id), timestamp=now, body=body
        )
        headers["content-type"] = CONTENT_TYPE
        headers["user-agent"] = USER_AGENT
        timeout = float(row.timeout_seconds)
        started = time.perf_counter()
        status: int | None = None
        retry_after: str | None = None
        excerpt: str | None = None
        error: ErrorClass | None = None
        try:
            async with asyncio.timeout(timeout):
                async with self._client.stream(
                    "POST",
                    row.url,
                    content=body,
                    headers=headers,
                    timeout=httpx.Timeout(timeout, connect=self.policy.connect_timeout),
                ) as response:
                    status = response.status_code
                    retry_after = response.headers.get("retry-after")
                    excerpt = await _read_excerpt(response)
        except (TimeoutError, httpx.TimeoutException):
            error = ErrorClass.TIMEOUT
        except SsrfBlockedError:
            error = ErrorClass.SSRF_BLOCKED
        except ResolutionError:
            error = ErrorClass.DNS
        except httpx.ConnectError as exc:
            error = ErrorClass.TLS if _is_tls(exc) else ErrorClass.CONNECT
        except (httpx.HTTPError, ssl.SSLError, OSError):
            error = ErrorClass.PROTOCOL
        duration_ms = round((time.perf_counter() - started) * 1000)
        outcome = classify(status, None if status is not None else error)
        return Attempt(now, duration_ms, outcome, retry_after, excerpt)

    async def _finish(
        self,
        claimed: Claimed,
        attempt: Attempt,
        *,
        chain: bool,
        final_error: str | None = None,
    ) -> Claimed | None:
        row = claimed.row
        outcome = attempt.outcome
        status, next_at = "pending", None
        if final_error is not None:
            status = "failed"
        elif outcome.is_success:
            status = "succeeded"
        elif outcome.kind is OutcomeKind.GONE or claimed.probe:
            next_at = None  # kept pending, not burnt: sent again once the endpoint is back
        else:
            next_at = next_attempt_at(
                claimed.attempt_no,
                attempt.started_at,
                outcome,
                retry_after=attempt.retry_after,
                schedule=self.policy.schedule,
                throttled_minimum=self.policy.throttled_minimum,
            )
            status = "pending" if next_at is not None else "failed"
        error_text = final_error or (outcome.error_class.value if outcome.error_class else None)
        params = {
            "delivery_id": claimed.delivery_id,
            "endpoint_id": row.endpoint_id,
            "attempt_no": claimed.attempt_no,
            "probe": claimed.probe,
            "started_at": attempt.started_at,
            "duration_ms": attempt.duration_ms,
            "status_code": outcome.status_code,
            "error_class": error_text,
            "outcome": "expired" if final_error else outcome.kind.value,
            "response_excerpt": attempt.excerpt,
            "status": status,
            "next_attempt_at": next_at,
            "last_error": error_text,
            "delivered_at": attempt.started_at if status == "succeeded" else None,
            "lease_token": row.locked_until,
        }
        if final_error is None and self._health_changes(row, outcome):
            # Endpoint row first, then the delivery: the order every writer of both follows
            # (NO KEY UPDATE: attempts' foreign keys only take KEY SHARE on the endpoint).
            async with self._sessions() as session, session.begin():
                current = (await session.execute(_LOCK_ENDPOINT, {"id": row.endpoint_id})).one()
                await session.execute(_FINISH, params)
                await self._update_health(session, row, current, outcome, attempt.started_at)
            following = (
                await self._store.claim_next(row.endpoint_id, self.policy.lease) if chain else None
            )
        else:
            lease = self.policy.lease if chain else None
            following = await self._store.finish(params, claim_next_lease=lease)
        if status == "pending" and next_at is not None:
            retry = deliver_job(
                claimed.delivery_id,
                row.endpoint_id,
                attempt=claimed.attempt_no + 1,
                queue=RETRY_QUEUE,
                defer_until=next_at,
            )
            await self._enqueue([retry])
        return self._held(following)

    @staticmethod
    def _health_changes(row: Any, outcome: Outcome) -> bool:
        if not outcome.is_success:
            return True
        if row.state != HealthState.HEALTHY or row.consecutive_failures:
            return True
        last = row.last_success_at
        return last is None or datetime.now(UTC) - last >= _TOUCH_SUCCESS_EVERY

    async def _update_health(
        self,
        session: AsyncSession,
        row: Any,
        current: Any,
        outcome: Outcome,
        now: datetime,
    ) -> None:
        before = health_of(current)
        transition = health_rules.record_outcome(before, outcome, now, self.policy.health)
        after = transition.health
        await session.execute(
            _WRITE_HEALTH,
            {
                "id": row.endpoint_id,
                "state": after.state.value,
                "consecutive_failures": after.consecutive_failures,
                "failing_since": after.failing_since,
                "last_failure_at": after.last_failure_at,
                "last_success_at": after.last_success_at,
                "probes": after.probes,
                "next_probe_at": after.next_probe_at,
                "disabled_reason": after.disabled_reason.value if after.disabled_reason else None,
            },
        )
        if transition.event is not None:
            await announce_health(
                session,
                endpoint_id=uuid.UUID(str(row.endpoint_id)),
                operator_id=current.operator_id,
                event=transition.event,
                before=before,
                after=after,
                now=now,
            )


def health_of(row: Any) -> EndpointHealth:
    """The health record held in an endpoint row."""
    return EndpointHealth(
        state=HealthState(row.state),
        consecutive_failures=row.consecutive_failures,
        failing_since=row.failing_since,
        last_failure_at=row.last_failure_at,
        last_success_at=row.last_success_at,
        probes=row.probes,
        next_probe_at=row.next_probe_at,
        disabled_reason=(
            health_rules.DisabledReason(row.disabled_reason) if row.disabled_reason else None
        ),
    )


async def announce_health(
    session: AsyncSession,
    *,
    endpoint_id: uuid.UUID,
    operator_id: uuid.UUID,
    event: HealthEvent,
    before: EndpointHealth,
    after: EndpointHealth,
    now: datetime,
) -> None:
    """Record a health warning for the endpoint's owner (events API; never sent by webhook)."""
    sequence = time.time_ns() // 1000
    data = EndpointHealthData(
        id=endpoint_id,
        url=ENDPOINT_URL.format(id=endpoint_id),
        occurred_at=now,
        sequence=sequence,
        state=after.state.value,
        previous_state=before.state.value,
        consecutive_failures=after.consecutive_failures,
        disabled_reason=after.disabled_reason.value if after.disabled_reason else None,
    )
    await insert_event(
        session,
        new_event(
            EventType(event.value),
            data,
            subject_type="webhook_endpoint",
            subject_id=endpoint_id,
            sequence=sequence,
            operator_id=operator_id,
        ),
    )
    logger.warning(
        "webhook endpoint health changed",
        extra={"endpoint_id": str(endpoint_id), "event": event.value},
    )


async def _read_excerpt(response: httpx.Response) -> str | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_RESPONSE_READ:
            break
    if not size:
        return None
    return b"".join(chunks)[:MAX_RESPONSE_STORED].decode("utf-8", errors="replace")


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
