"""Putting deliveries back in line and expiring them, in SQLAlchemy Core: lane starts, the
sweeper's stranded deliveries and due probes, recovery batches, retention.

As in `shared.webhooks.repository`, statements are built once with bound parameters, none
named after a column. Run in an ORM session, a data-modifying statement says
`synchronize_session=False`: no object of its rows is loaded, so the session has nothing to
refresh (and does not ask for every changed id back).
"""

import uuid
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    DateTime,
    Integer,
    Interval,
    Update,
    Uuid,
    bindparam,
    delete,
    func,
    null,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.events.models import Event
from shared.webhooks.health import HealthState
from shared.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from shared.webhooks.repository import ATTEMPTABLE, NOW, PENDING, pending, unleased

_UNSYNCHRONIZED: Final = {"synchronize_session": False}
_ENDPOINT: Final = bindparam("endpoint", type_=Uuid)
_LIMIT: Final = bindparam("limit", type_=Integer)
_CUTOFF: Final = bindparam("cutoff", type_=DateTime(timezone=True))


def _count(result: Any) -> int:
    """Rows a data-modifying statement changed."""
    changed: CursorResult[Any] = result
    return changed.rowcount


_LANE_STARTS: Final = (
    select(WebhookDelivery.id, WebhookDelivery.attempts)
    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
    .where(WebhookDelivery.endpoint_id == _ENDPOINT, pending(WebhookDelivery))
    .where(WebhookEndpoint.state.in_(ATTEMPTABLE))
    .order_by(WebhookDelivery.position)
    .limit(
        select(WebhookEndpoint.max_in_flight)
        .where(WebhookEndpoint.id == _ENDPOINT)
        .scalar_subquery()
    )
)


async def lane_starts(session: AsyncSession, endpoint_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
    """The oldest pending deliveries of an attemptable endpoint, one per lane (id, attempts)."""
    rows = await session.execute(_LANE_STARTS, {"endpoint": endpoint_id})
    return [(row.id, row.attempts) for row in rows]


def _stranded() -> Update:
    """Due deliveries no job or lane holds, of endpoints with no live lane, ≤ cap each."""
    live = (
        select(WebhookDelivery.endpoint_id)
        .where(pending(WebhookDelivery), WebhookDelivery.locked_until > NOW)
        .distinct()
        .cte("live")
    )
    rank = func.row_number().over(
        partition_by=WebhookDelivery.endpoint_id, order_by=WebhookDelivery.position
    )
    candidates = (
        select(WebhookDelivery.id, WebhookEndpoint.max_in_flight, rank.label("rank"))
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            pending(WebhookDelivery),
            WebhookDelivery.next_attempt_at < NOW - bindparam("grace", type_=Interval),
            unleased(WebhookDelivery),
            WebhookEndpoint.state.in_(ATTEMPTABLE),
            WebhookDelivery.endpoint_id.not_in(select(live.c.endpoint_id)),
        )
        .cte("candidates")
    )
    within_cap = select(candidates.c.id).where(candidates.c.rank <= candidates.c.max_in_flight)
    taken = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.id.in_(within_cap.limit(_LIMIT)))
        .with_for_update(skip_locked=True)
        .cte("taken")
    )
    return (
        update(WebhookDelivery)
        .where(WebhookDelivery.id == taken.c.id)
        .values(next_attempt_at=NOW)
        .returning(WebhookDelivery.id, WebhookDelivery.endpoint_id, WebhookDelivery.attempts)
        .execution_options(**_UNSYNCHRONIZED)
    )


_STRANDED: Final = _stranded()


async def take_stranded(
    session: AsyncSession, *, grace: timedelta, limit: int
) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    """Make stranded deliveries due now; (id, endpoint, attempts) of each, to enqueue again."""
    rows = await session.execute(_STRANDED, {"grace": grace, "limit": limit})
    return [(row.id, row.endpoint_id, row.attempts) for row in rows]


_PROBES_DUE: Final = select(WebhookEndpoint.id, WebhookEndpoint.probes).where(
    WebhookEndpoint.state == HealthState.CIRCUIT_OPEN,
    WebhookEndpoint.next_probe_at.is_(None) | (WebhookEndpoint.next_probe_at <= func.now()),
    select(WebhookDelivery.id)
    .where(WebhookDelivery.endpoint_id == WebhookEndpoint.id, pending(WebhookDelivery))
    .exists(),
)


async def probes_due(session: AsyncSession) -> list[tuple[uuid.UUID, int]]:
    """Circuit-open endpoints with messages waiting whose next probe is due (id, probes)."""
    return [(row.id, row.probes) for row in await session.execute(_PROBES_DUE)]


def _recoverable(since: datetime, until: datetime) -> tuple[ColumnElement[bool], ...]:
    """Conditions of an endpoint's failed deliveries created in [since, until) still sendable."""
    return (
        WebhookDelivery.status == DeliveryStatus.FAILED,
        WebhookDelivery.created_at >= since,
        WebhookDelivery.created_at < until,
        Event.data.is_not(None),  # past retention: nothing left to send
    )


async def count_recoverable(
    session: AsyncSession, endpoint_id: uuid.UUID, since: datetime, until: datetime
) -> int:
    """How many failed messages of the endpoint, created in [since, until), can be sent again."""
    total = await session.scalar(
        select(func.count())
        .select_from(WebhookDelivery)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id, *_recoverable(since, until))
    )
    return total or 0


async def requeue_recoverable(
    session: AsyncSession, endpoint_id: uuid.UUID, since: datetime, until: datetime, limit: int
) -> int:
    """Put up to `limit` of those messages back in line, oldest first; how many."""
    picked = (
        select(WebhookDelivery.id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id, *_recoverable(since, until))
        .order_by(WebhookDelivery.position)
        .limit(limit)
        .with_for_update(of=WebhookDelivery, skip_locked=True)
        .cte("picked")
    )
    statement = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id == picked.c.id)
        .values(status=PENDING, attempts=0, next_attempt_at=func.now(), locked_until=None)
        .execution_options(**_UNSYNCHRONIZED)
    )
    return _count(await session.execute(statement))


def _payloads_to_null() -> Update:
    old = aliased(Event, name="old")
    oldest = (
        select(old.id)
        .where(old.data.is_not(None), old.occurred_at < _CUTOFF)
        .order_by(old.occurred_at)
        .limit(_LIMIT)
    )
    # null(): SQL NULL, where None would store the JSON value `null`.
    statement = update(Event).where(Event.id.in_(oldest)).values(data=null())
    return statement.execution_options(**_UNSYNCHRONIZED)


_NULL_PAYLOADS: Final = _payloads_to_null()
_EXPIRE_DELIVERIES: Final = (
    update(WebhookDelivery)
    .where(Event.id == WebhookDelivery.event_id, Event.data.is_(None))
    .where(pending(WebhookDelivery), unleased(WebhookDelivery))
    .values(status=DeliveryStatus.FAILED, last_error="payload_expired", locked_until=None)
    .execution_options(**_UNSYNCHRONIZED)
)
_OLD_ATTEMPT: Final = aliased(WebhookAttempt, name="old")
_PURGE_ATTEMPTS: Final = (
    delete(WebhookAttempt)
    .where(
        WebhookAttempt.id.in_(
            select(_OLD_ATTEMPT.id).where(_OLD_ATTEMPT.started_at < _CUTOFF).limit(_LIMIT)
        )
    )
    .execution_options(**_UNSYNCHRONIZED)
)


async def null_payloads(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Null the payloads of events older than `cutoff` (at most `limit`); how many."""
    return _count(await session.execute(_NULL_PAYLOADS, {"cutoff": cutoff, "limit": limit}))


async def expire_deliveries(session: AsyncSession) -> int:
    """Fail the unsent messages whose payload was nulled; how many."""
    return _count(await session.execute(_EXPIRE_DELIVERIES))


async def purge_attempts(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """Delete attempt logs older than `cutoff` (at most `limit`); how many."""
    return _count(await session.execute(_PURGE_ATTEMPTS, {"cutoff": cutoff, "limit": limit}))
