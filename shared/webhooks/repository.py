"""The lanes' statements, in SQLAlchemy Core: claim a delivery, record an attempt.

An attempt costs one database round trip: `RECORD` writes the attempt and its delivery's
new state and, in the same statement, claims the endpoint's next due delivery. Statements
are built once, here, with bound parameters, so SQLAlchemy's compiled cache and the driver's
prepared statements serve every call. No parameter is named after a column: an INSERT or
UPDATE takes a parameter named like one of its table's columns as a value to set.
"""

import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Integer,
    Interval,
    RowMapping,
    ScalarSelect,
    Select,
    Update,
    Uuid,
    bindparam,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from shared.events.models import Event
from shared.webhooks.health import DisabledReason, HealthState
from shared.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint

Executor = AsyncConnection | AsyncSession
"""Where a statement runs: a worker's autocommit connection, or a session's transaction."""

ATTEMPTABLE: Final = (HealthState.HEALTHY, HealthState.DEGRADED)
"""Endpoint states that take attempts (an open circuit takes probes only)."""
NOW: Final = func.clock_timestamp(type_=DateTime(timezone=True))
"""The time now, not the transaction's start: a lease runs from its claim."""
PENDING: Final = DeliveryStatus.PENDING


def pending(delivery: type[WebhookDelivery]) -> ColumnElement[bool]:
    """The delivery is pending: written as a constant, not a parameter, so the planner of a
    prepared statement sees that the indexes on pending deliveries (partial, `WHERE status =
    'pending'`) apply; with a parameter, a generic plan would scan the whole table."""
    return delivery.status == literal_column(f"'{PENDING.value}'")


_ENDPOINT: Final = bindparam("endpoint", type_=Uuid)
_LEASE: Final = bindparam("lease", type_=Interval)
_NO_ID: Final = uuid.UUID(int=0)
"""A `skip` matching no delivery."""


def unleased(delivery: type[WebhookDelivery]) -> ColumnElement[bool]:
    """No worker holds the delivery: never leased, or its lease ran out."""
    return or_(delivery.locked_until.is_(None), delivery.locked_until < NOW)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """A claimed delivery with its event and endpoint, as the claim statements return it:
    the delivery's columns, the event's (type, instant, data), then the endpoint's."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    attempts: int
    locked_until: datetime
    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    data: dict[str, Any] | None
    operator_id: uuid.UUID
    url: str
    timeout_seconds: int
    max_in_flight: int
    secret_ciphertext: str
    previous_secret_ciphertext: str | None
    previous_secret_expires_at: datetime | None
    state: HealthState
    consecutive_failures: int
    failing_since: datetime | None
    last_failure_at: datetime | None
    last_success_at: datetime | None
    probes: int
    next_probe_at: datetime | None
    disabled_reason: DisabledReason | None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One attempt, and the state it leaves its delivery in (`lease_token`: the claim's)."""

    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    lease_token: datetime
    attempt_no: int
    probe: bool
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error_class: str | None
    outcome: str
    response_excerpt: str | None
    status: DeliveryStatus
    next_attempt_at: datetime | None
    delivered_at: datetime | None


_CLAIMED: Final = (
    *(getattr(WebhookDelivery, f.name) for f in fields(DeliveryRow)[:5]),
    Event.type.label("event_type"),
    Event.occurred_at,
    Event.data,
    *(getattr(WebhookEndpoint, f.name) for f in fields(DeliveryRow)[8:]),
)
"""The columns of `DeliveryRow`: the delivery's, its event's, then its endpoint's."""

_LATER: Final = aliased(WebhookDelivery, name="x")
"""Another delivery of the same endpoint, in the subquery that picks the one to claim."""


def _oldest(*conditions: ColumnElement[bool]) -> ScalarSelect[uuid.UUID]:
    """The endpoint's oldest pending, unleased delivery meeting `conditions`, row-locked."""
    return (
        select(_LATER.id)
        .where(_LATER.endpoint_id == _ENDPOINT, pending(_LATER), unleased(_LATER))
        .where(*conditions)
        .order_by(_LATER.position)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )


def _take(*conditions: ColumnElement[bool], probe: bool = False) -> Update:
    """Lease the delivery `conditions` pick; RETURNING it with its event and endpoint.

    A probe goes to a circuit-open endpoint and does not count as an attempt of the message.
    """
    endpoint_takes: ColumnElement[bool]
    counted: dict[str, Any] = {}
    if probe:
        due = or_(WebhookEndpoint.next_probe_at.is_(None), WebhookEndpoint.next_probe_at <= NOW)
        endpoint_takes = (WebhookEndpoint.state == HealthState.CIRCUIT_OPEN) & due
    else:
        # Equalities, not IN: an expanding IN is rewritten at every execution.
        endpoint_takes = or_(*(WebhookEndpoint.state == state for state in ATTEMPTABLE))
        counted["attempts"] = WebhookDelivery.attempts + 1
    return (
        update(WebhookDelivery)
        .where(*conditions, WebhookEndpoint.id == WebhookDelivery.endpoint_id, endpoint_takes)
        .where(Event.id == WebhookDelivery.event_id)
        .values(locked_until=NOW + _LEASE, **counted)
        .returning(*_CLAIMED)
    )


CLAIM_BY_ID: Final = _take(
    WebhookDelivery.id == bindparam("delivery", type_=Uuid),
    pending(WebhookDelivery),
    WebhookDelivery.attempts == bindparam("attempt", type_=Integer) - 1,
    WebhookDelivery.next_attempt_at <= NOW + timedelta(seconds=2),
    unleased(WebhookDelivery),
)
"""Claim the delivery a job names, if it is still due for that attempt."""

_NEXT_DUE: Final = _oldest(
    _LATER.id != bindparam("skip", type_=Uuid), _LATER.next_attempt_at <= NOW
)
CLAIM_NEXT: Final = _take(WebhookDelivery.id == _NEXT_DUE)
"""Claim the endpoint's oldest due delivery (`skip` is never taken)."""

CLAIM_PROBE: Final = _take(WebhookDelivery.id == _oldest(), probe=True)
"""Claim the oldest pending delivery of a circuit-open endpoint due for a probe."""


_RECORD_FIELDS: Final = tuple(field.name for field in fields(AttemptRecord))


def _record() -> Select[Any]:
    """`RECORD`: the attempt, its delivery's new state, then (with `chain`) the next claim."""

    def value(name: str, type_: Any = None) -> Any:
        return bindparam(f"a_{name}", type_=type_)

    logged = [name for name in _RECORD_FIELDS if name in WebhookAttempt.__table__.c]
    attempt = insert(WebhookAttempt).values({name: value(name) for name in logged})
    retry_at = value("next_attempt_at", DateTime(timezone=True))
    finished = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id == value("delivery_id"))
        .where(WebhookDelivery.locked_until == value("lease_token"))
        .values(
            status=value("status"),
            next_attempt_at=func.coalesce(retry_at, WebhookDelivery.next_attempt_at),
            locked_until=None,
            last_attempt_at=value("started_at"),
            last_status_code=value("status_code"),
            last_error=value("error_class"),
            delivered_at=value("delivered_at"),
        )
    )
    claimed = _take(bindparam("chain", type_=Boolean), WebhookDelivery.id == _NEXT_DUE)
    # The attempt and finish CTEs are not selected from: PostgreSQL runs them all the same.
    return select(claimed.cte("claimed")).add_cte(attempt.cte("attempt"), finished.cte("finished"))


RECORD: Final = _record()
"""Record an attempt (if the lease token still matches) and claim the endpoint's next due
delivery when `chain` is true (never the one just recorded): one statement."""

CAP: Final = select(WebhookEndpoint.max_in_flight).where(WebhookEndpoint.id == _ENDPOINT)

NEXT_DUE: Final = (
    select(WebhookDelivery.id, WebhookDelivery.attempts)
    .where(WebhookDelivery.endpoint_id == _ENDPOINT, pending(WebhookDelivery))
    .where(WebhookDelivery.next_attempt_at <= NOW, unleased(WebhookDelivery))
    .order_by(WebhookDelivery.position)
    .limit(1)
)
"""The endpoint's oldest due delivery and its attempts so far (read only, nothing locked)."""


def _delivery(row: RowMapping | None) -> DeliveryRow | None:
    return None if row is None else DeliveryRow(**row)


async def claim(
    db: Executor, delivery_id: uuid.UUID, attempt: int, lease: timedelta
) -> DeliveryRow | None:
    """Claim one delivery for its `attempt`-th attempt, if it is still due."""
    params = {"delivery": delivery_id, "attempt": attempt, "lease": lease}
    return _delivery((await db.execute(CLAIM_BY_ID, params)).mappings().first())


async def claim_next(db: Executor, endpoint_id: uuid.UUID, lease: timedelta) -> DeliveryRow | None:
    """Claim the endpoint's oldest due delivery."""
    params = {"endpoint": endpoint_id, "lease": lease, "skip": _NO_ID}
    return _delivery((await db.execute(CLAIM_NEXT, params)).mappings().first())


async def claim_probe(db: Executor, endpoint_id: uuid.UUID, lease: timedelta) -> DeliveryRow | None:
    """Claim the message a circuit-open endpoint is probed with."""
    params = {"endpoint": endpoint_id, "lease": lease}
    return _delivery((await db.execute(CLAIM_PROBE, params)).mappings().first())


async def record(
    db: Executor, attempt: AttemptRecord, *, claim_next_lease: timedelta | None = None
) -> DeliveryRow | None:
    """Record an attempt; with a lease, also claim the endpoint's next due delivery.

    Returns:
        The delivery claimed next (never the one recorded), if any.
    """
    params: dict[str, Any] = {f"a_{name}": getattr(attempt, name) for name in _RECORD_FIELDS}
    params |= {
        "chain": claim_next_lease is not None,
        "lease": claim_next_lease or timedelta(0),
        "endpoint": attempt.endpoint_id,
        "skip": attempt.delivery_id,
    }
    return _delivery((await db.execute(RECORD, params)).mappings().first())


async def in_flight_cap(db: Executor, endpoint_id: uuid.UUID) -> int | None:
    """The endpoint's in-flight cap, or None when it no longer exists."""
    return await db.scalar(CAP, {"endpoint": endpoint_id})


async def next_due(db: Executor, endpoint_id: uuid.UUID) -> tuple[uuid.UUID, int] | None:
    """The endpoint's oldest due delivery (id, attempts so far), without claiming it."""
    row = (await db.execute(NEXT_DUE, {"endpoint": endpoint_id})).first()
    return None if row is None else (row.id, row.attempts)
