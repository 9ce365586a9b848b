"""One typed envelope per event type: the body of webhooks and the items of the events API."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, create_model

from shared.events.catalogue import PAYLOADS, EventType
from shared.schemas import Schema


class EnvelopeBase(Schema):
    """`{"type", "timestamp", "api_version", "data"}` plus the event id (`webhook-id`)."""

    id: uuid.UUID = Field(description="The event id: the `webhook-id` of its deliveries.")
    timestamp: datetime = Field(description="When it happened (RFC 3339).")
    api_version: Literal["1"] = "1"


def _model_name(event_type: EventType) -> str:
    return "".join(part.title() for part in event_type.value.replace("_", ".").split(".")) + (
        "Event"
    )


ENVELOPES: dict[EventType, type[EnvelopeBase]] = {
    event_type: create_model(
        _model_name(event_type),
        __base__=EnvelopeBase,
        __doc__=f"The `{event_type.value}` event.",
        type=(Literal[event_type.value], Field(description="The event type.")),  # type: ignore[arg-type]
        data=(payload, ...),
    )
    for event_type, payload in PAYLOADS.items()
}
"""The envelope model of each event type."""

AnyEnvelope: Any = Annotated[
    Union[tuple(ENVELOPES.values())],  # noqa: UP007
    Field(discriminator="type"),
]
"""Any event, discriminated by `type`."""

_ADAPTER: TypeAdapter[Any] = TypeAdapter(AnyEnvelope)


def envelope_of(
    event_id: uuid.UUID, event_type: str, occurred_at: datetime, data: dict[str, Any]
) -> EnvelopeBase:
    """The typed envelope of a stored event."""
    envelope: EnvelopeBase = _ADAPTER.validate_python(
        {"id": event_id, "type": event_type, "timestamp": occurred_at, "data": data}
    )
    return envelope
