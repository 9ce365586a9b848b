"""Events as rows: built from a catalogue payload, written in the caller's transaction.

`insert_event` writes an event for the pull API alone (its audience: its operator), numbered
in its subject's own sequence; events that also go out by webhook are written through
`shared.outbox`.
"""

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, func, insert, literal, select
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared.context import request_id_var
from shared.events.catalogue import PAYLOADS, EventType
from shared.events.models import Event
from shared.schemas import Schema


@dataclass(frozen=True, slots=True)
class NewEvent:
    """The columns of an event row, and the region whose Region co-decides its subject
    (not stored: it adds that Region's operator to the audience)."""

    id: uuid.UUID
    type: str
    subject_type: str
    subject_id: uuid.UUID
    sequence: int
    occurred_at: datetime
    data: dict[str, Any]
    fund_id: uuid.UUID | None = None
    operator_id: uuid.UUID | None = None
    territory_id: uuid.UUID | None = None
    request_id: str | None = None
    deciding_region: str | None = None

    def fields(self) -> dict[str, Any]:
        """Its fields by name, as they are (`dataclasses.asdict` would deep-copy `data`)."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def new_event(
    event_type: EventType,
    data: Schema,
    *,
    subject_type: str,
    subject_id: uuid.UUID,
    sequence: int,
    fund_id: uuid.UUID | None = None,
    operator_id: uuid.UUID | None = None,
    territory_id: uuid.UUID | None = None,
    deciding_region: str | None = None,
) -> NewEvent:
    """The row of an event of `event_type` carrying `data` (its catalogue payload)."""
    expected = PAYLOADS[event_type]
    if not isinstance(data, expected):
        raise TypeError(f"{event_type} carries {expected.__name__}, not {type(data).__name__}")
    return NewEvent(
        id=uuid.uuid4(),
        type=event_type.value,
        subject_type=subject_type,
        subject_id=subject_id,
        sequence=sequence,
        occurred_at=getattr(data, "occurred_at", None) or datetime.now(UTC),
        data=data.model_dump(mode="json"),
        fund_id=fund_id,
        operator_id=operator_id,
        territory_id=territory_id,
        request_id=request_id_var.get(),
        deciding_region=deciding_region,
    )


async def insert_event(session: AsyncSession, event: NewEvent) -> None:
    """Write `event` for the pull API only (no webhook delivery); its operator reads it.

    Its `sequence`, and `data.sequence`, is its subject's next: one more than the subject's
    latest event (whatever `event.sequence` says), so the events of one endpoint (pings,
    health warnings) count 1, 2, 3... The caller holds the subject's row lock: two events
    of one subject are never numbered at once.
    """
    audience = [event.operator_id] if event.operator_id is not None else []
    latest = (
        select(func.coalesce(func.max(Event.sequence), 0))
        .where(Event.subject_type == event.subject_type, Event.subject_id == event.subject_id)
        .scalar_subquery()
    )
    sequence = latest + 1
    data = func.jsonb_set(
        literal(event.data, JSONB), literal(["sequence"], ARRAY(Text)), func.to_jsonb(sequence)
    )
    columns = {k: v for k, v in event.fields().items() if k != "deciding_region"}
    values = columns | {"sequence": sequence, "data": data, "audience": audience}
    await session.execute(insert(Event).values(**values))
