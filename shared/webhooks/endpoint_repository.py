"""Endpoints in SQLAlchemy: who sees which, their owners, their health, logs, stats and rules.

Health is written by statement (a health change is not an owner's edit: it keeps the row's
version and `updated_at`); data-modifying statements say `synchronize_session=False`, as
no object of their rows is loaded in the session.
"""

import uuid
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import (
    RowMapping,
    Select,
    Uuid,
    bindparam,
    case,
    false,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.pagination import SortKey
from shared.events.models import Event
from shared.funds.models import Fund
from shared.operators.models import Operator, OperatorKind
from shared.principal import PARTNER_ROLES, Principal
from shared.webhooks.health import EndpointHealth, HealthState
from shared.webhooks.models import (
    DeliveryStatus,
    RouteField,
    RoutingRule,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookRecovery,
)
from shared.webhooks.repository import pending
from shared.webhooks.schedule import OutcomeKind

_UNSYNCHRONIZED: Final = {"synchronize_session": False}
_ENDPOINT: Final = bindparam("endpoint", type_=Uuid)
_HEALTH: Final = tuple(getattr(WebhookEndpoint, field.name) for field in fields(EndpointHealth))
"""The endpoint columns holding its health record (named as its fields)."""


@dataclass(frozen=True, slots=True)
class HealthRow:
    """An endpoint's health record, with the endpoint and its owner."""

    endpoint_id: uuid.UUID
    operator_id: uuid.UUID
    health: EndpointHealth


def _health_row(values: RowMapping) -> HealthRow:
    health = EndpointHealth(**{column.key: values[column.key] for column in _HEALTH})
    return HealthRow(values["id"], values["operator_id"], health)


ENDPOINTS_BY_CREATED: Final = SortKey(
    "created", ((WebhookEndpoint.created_at, False), (WebhookEndpoint.id, False))
)
NEWEST_DELIVERIES: Final = SortKey(
    "newest", ((WebhookDelivery.created_at, True), (WebhookDelivery.id, True))
)
NEWEST_ATTEMPTS: Final = SortKey("newest", ((WebhookAttempt.id, True),))
RULES_BY_CREATED: Final = SortKey(
    "created", ((RoutingRule.created_at, False), (RoutingRule.id, False))
)


def scoped(principal: Principal) -> Select[WebhookEndpoint]:
    """Endpoints this principal may see: its operator's, or all for admins (in SQL)."""
    statement = select(WebhookEndpoint)
    if principal.is_admin:
        return statement
    if principal.role in PARTNER_ROLES and principal.operator_id is not None:
        return statement.where(WebhookEndpoint.operator_id == principal.operator_id)
    return statement.where(false())


def endpoints_statement(
    principal: Principal, *, state: HealthState | None, operator_code: str | None
) -> Select[WebhookEndpoint]:
    """The endpoints listed to `principal`, optionally of one state or one operator."""
    statement = scoped(principal)
    if state is not None:
        statement = statement.where(WebhookEndpoint.state == state)
    if operator_code is not None:
        owned = select(Operator.id).where(Operator.code == operator_code)
        statement = statement.where(WebhookEndpoint.operator_id.in_(owned))
    return statement


async def operator_codes(session: AsyncSession, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The codes of these operators."""
    if not ids:
        return {}
    rows = await session.execute(select(Operator.id, Operator.code).where(Operator.id.in_(ids)))
    return {row.id: row.code for row in rows}


async def operator_id(session: AsyncSession, code: str) -> uuid.UUID | None:
    """The id of the operator with this code."""
    return await session.scalar(select(Operator.id).where(Operator.code == code))


async def fund_audiences(
    session: AsyncSession, codes: Collection[str]
) -> dict[str, tuple[uuid.UUID, bool]]:
    """The operator instructing each of these funds, and whether the Regions preselect its
    applications (codes naming no fund are left out)."""
    rows = await session.execute(
        select(Fund.code, Fund.operator_id, Fund.regional_preselection).where(Fund.code.in_(codes))
    )
    return {row.code: (row.operator_id, row.regional_preselection) for row in rows}


async def is_region_operator(session: AsyncSession, operator_id: uuid.UUID) -> bool:
    """Whether the operator is a Region (co-deciding the preselection of its applications)."""
    kind = await session.scalar(select(Operator.kind).where(Operator.id == operator_id))
    return kind is OperatorKind.REGION


async def make_pending_due(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    """Make every pending delivery of the endpoint due now (it is back in service)."""
    await session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .where(pending(WebhookDelivery))
        .values(next_attempt_at=func.now())
        .execution_options(**_UNSYNCHRONIZED)
    )


# --- health ---------------------------------------------------------------------------------


async def lock_health(session: AsyncSession, endpoint_id: uuid.UUID) -> HealthRow:
    """The endpoint's health, its row locked for the transaction (FOR NO KEY UPDATE: the
    foreign keys of attempts being written only take KEY SHARE)."""
    statement = (
        select(WebhookEndpoint.id, WebhookEndpoint.operator_id, *_HEALTH)
        .where(WebhookEndpoint.id == endpoint_id)
        .with_for_update(key_share=True)
    )
    return _health_row((await session.execute(statement)).mappings().one())


async def write_health(
    session: AsyncSession, endpoint_id: uuid.UUID, health: EndpointHealth
) -> None:
    """Store a new health record; `health_changed_at` moves when the state does."""
    changed_at = case(
        (WebhookEndpoint.state == health.state, WebhookEndpoint.health_changed_at),
        else_=func.now(),
    )
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values({column.key: getattr(health, column.key) for column in _HEALTH})
        .values(health_changed_at=changed_at, updated_at=WebhookEndpoint.updated_at)
        .execution_options(**_UNSYNCHRONIZED)
    )


async def failing_for(session: AsyncSession, span: timedelta) -> list[HealthRow]:
    """Degraded or circuit-open endpoints failing for longer than `span`, rows locked
    (those another transaction holds are skipped)."""
    statement = (
        select(WebhookEndpoint.id, WebhookEndpoint.operator_id, *_HEALTH)
        .where(WebhookEndpoint.state.in_((HealthState.DEGRADED, HealthState.CIRCUIT_OPEN)))
        .where(WebhookEndpoint.failing_since < func.now() - span)
        .with_for_update(key_share=True, skip_locked=True)
    )
    return [_health_row(row) for row in (await session.execute(statement)).mappings()]


# --- deliveries, attempts, recoveries ------------------------------------------------------


def deliveries_statement(
    endpoint_id: uuid.UUID,
    *,
    status: DeliveryStatus | None,
    event_type: str | None,
    created_after: datetime | None,
    created_before: datetime | None,
) -> Select[WebhookDelivery]:
    """The endpoint's deliveries, optionally filtered."""
    statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    if event_type is not None:
        statement = statement.where(WebhookDelivery.event_type == event_type)
    if created_after is not None:
        statement = statement.where(WebhookDelivery.created_at >= created_after)
    if created_before is not None:
        statement = statement.where(WebhookDelivery.created_at < created_before)
    return statement


def attempts_statement(
    endpoint_id: uuid.UUID, *, delivery_id: uuid.UUID | None
) -> Select[WebhookAttempt]:
    """The endpoint's attempts, optionally of one delivery."""
    statement = select(WebhookAttempt).where(WebhookAttempt.endpoint_id == endpoint_id)
    if delivery_id is not None:
        statement = statement.where(WebhookAttempt.delivery_id == delivery_id)
    return statement


async def get_delivery(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    """One delivery of the endpoint."""
    return await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
        )
    )


async def payload_kept(session: AsyncSession, event_id: uuid.UUID) -> bool:
    """Whether the event's payload is still kept (not past its retention)."""
    return bool(await session.scalar(select(Event.data.is_not(None)).where(Event.id == event_id)))


async def add_delivery(
    session: AsyncSession, event_id: uuid.UUID, endpoint_id: uuid.UUID
) -> uuid.UUID:
    """Write the delivery of an event (written in this transaction) to one endpoint; its id."""
    delivery_id = uuid.uuid4()
    source = select(
        literal(delivery_id, Uuid), Event.id, literal(endpoint_id, Uuid), Event.position, Event.type
    ).where(Event.id == event_id)
    columns = ["id", "event_id", "endpoint_id", "position", "event_type"]
    await session.execute(insert(WebhookDelivery).from_select(columns, source))
    return delivery_id


async def get_recovery(
    session: AsyncSession, endpoint_id: uuid.UUID, recovery_id: uuid.UUID
) -> WebhookRecovery | None:
    """One recovery of the endpoint."""
    return await session.scalar(
        select(WebhookRecovery).where(
            WebhookRecovery.id == recovery_id, WebhookRecovery.endpoint_id == endpoint_id
        )
    )


# --- stats ---------------------------------------------------------------------------------


def _attempt_figures() -> Select[Any]:
    recent = WebhookAttempt.started_at >= func.now() - timedelta(hours=1)
    success = WebhookAttempt.outcome == OutcomeKind.SUCCESS
    return select(
        func.count().filter(recent).label("attempts_1h"),
        func.count().filter(recent, success).label("successes_1h"),
        func.count().label("attempts_24h"),
        func.count().filter(success).label("successes_24h"),
        func.percentile_cont(0.5).within_group(WebhookAttempt.duration_ms).label("p50"),
        func.percentile_cont(0.95).within_group(WebhookAttempt.duration_ms).label("p95"),
    ).where(
        WebhookAttempt.endpoint_id == _ENDPOINT,
        WebhookAttempt.started_at >= func.now() - timedelta(hours=24),
    )


ATTEMPT_FIGURES: Final = _attempt_figures()
"""Attempts and successes over 1 h and 24 h, latency p50/p95 over 24 h (milliseconds)."""
BACKLOG: Final = select(
    func.count().filter(WebhookDelivery.status == DeliveryStatus.PENDING).label("pending"),
    func.count().filter(WebhookDelivery.status == DeliveryStatus.FAILED).label("failed"),
).where(
    WebhookDelivery.endpoint_id == _ENDPOINT,
    WebhookDelivery.status != DeliveryStatus.SUCCEEDED,
)
"""Messages pending and failed."""


async def figures(session: AsyncSession, endpoint_id: uuid.UUID) -> tuple[RowMapping, RowMapping]:
    """The rows of `ATTEMPT_FIGURES` and `BACKLOG` for the endpoint."""
    params = {"endpoint": endpoint_id}
    attempts = (await session.execute(ATTEMPT_FIGURES, params)).mappings().one()
    return attempts, (await session.execute(BACKLOG, params)).mappings().one()


# --- routing rules -------------------------------------------------------------------------


def rules_statement(principal: Principal) -> Select[RoutingRule]:
    """The routing rules `principal` sees: all for admins, their own for operators."""
    statement = select(RoutingRule)
    if principal.role in PARTNER_ROLES:
        statement = statement.where(RoutingRule.operator_id == principal.operator_id)
    return statement


async def get_rule(
    session: AsyncSession, principal: Principal, rule_id: uuid.UUID
) -> tuple[RoutingRule, str] | None:
    """One rule `principal` sees, with its operator's code."""
    statement = (
        select(RoutingRule, Operator.code)
        .join(Operator, Operator.id == RoutingRule.operator_id)
        .where(RoutingRule.id == rule_id)
    )
    if principal.role in PARTNER_ROLES:
        statement = statement.where(RoutingRule.operator_id == principal.operator_id)
    row = (await session.execute(statement)).first()
    return None if row is None else (row[0], row[1])


async def find_rule(
    session: AsyncSession, operator_id: uuid.UUID, field: RouteField, value: str
) -> uuid.UUID | None:
    """The id of the same rule, if it exists."""
    return await session.scalar(
        select(RoutingRule.id).where(
            RoutingRule.operator_id == operator_id,
            RoutingRule.field == field,
            RoutingRule.value == value,
        )
    )
