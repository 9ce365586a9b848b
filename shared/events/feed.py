"""The events API: the same envelopes as webhooks, in order, for operators that poll."""

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import Field
from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.pagination import SortKey, decode_cursor, encode_cursor
from shared.events.catalogue import OWNER_ONLY_EVENTS, EventType
from shared.events.envelopes import AnyEnvelope, envelope_of
from shared.events.models import Event
from shared.principal import PARTNER_ROLES, Principal, Role
from shared.schemas import Schema

BY_POSITION = SortKey("position", ((Event.position, False),))
OWNER_ONLY = OWNER_ONLY_EVENTS | {EventType.ENDPOINT_PING}
"""Not shown to territory keys: endpoint warnings and test pings."""


class EventFeedPage(Schema):
    """Events in order; pass `next_cursor` back as `after` to get the newer ones."""

    items: list[AnyEnvelope] = Field(description="Oldest first.")
    next_cursor: str = Field(
        description=(
            "Where to resume: the position after the last item (on an empty page, the "
            "cursor you sent). Keep it and poll again."
        ),
        examples=["eyJzIjoicG9zaXRpb24iLCJrIjpbNDJdfQ"],
    )


def visible(principal: Principal) -> Select[Any]:
    """Events this principal may read (in SQL): its operator's audience, its territory's."""
    statement = select(Event.id, Event.type, Event.occurred_at, Event.data, Event.position)
    if principal.is_admin:
        return statement
    if principal.role in PARTNER_ROLES and principal.operator_id is not None:
        return statement.where(Event.audience.contains([principal.operator_id]))
    if principal.role is Role.TERRITORY and principal.territory_id is not None:
        return statement.where(
            Event.territory_id == principal.territory_id,
            Event.type.not_in([t.value for t in OWNER_ONLY]),
        )
    return statement.where(false())


async def read_feed(
    session: AsyncSession,
    principal: Principal,
    *,
    after: str | None,
    types: list[str] | None,
    limit: int,
    retention_days: int,
) -> EventFeedPage:
    """Up to `limit` events after the cursor, within the retention period."""
    statement = visible(principal).where(
        Event.data.is_not(None),
        Event.occurred_at >= datetime.now(UTC) - timedelta(days=retention_days),
    )
    position = 0
    if after is not None:
        position = int(decode_cursor(BY_POSITION, after)[0])
        statement = statement.where(Event.position > position)
    if types:
        statement = statement.where(Event.type.in_(types))
    rows = (await session.execute(statement.order_by(Event.position).limit(limit))).all()
    if rows:
        position = rows[-1].position
    return EventFeedPage(
        items=[envelope_of(row.id, row.type, row.occurred_at, row.data) for row in rows],
        next_cursor=encode_cursor(BY_POSITION, [position]),
    )
