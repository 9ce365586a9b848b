"""One typed envelope per event type: the body of webhooks and the items of the events API."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Union

from pydantic import Field, TypeAdapter, create_model

from shared.events.catalogue import PAYLOADS, EventType
from shared.schemas import Schema


class WebhookBodyBase(Schema):
    """`{"type", "timestamp", "api_version", "data"}`: the body of a webhook (its event id
    is the `webhook-id` header)."""

    timestamp: datetime = Field(description="When it happened (RFC 3339).")
    api_version: Literal["1"] = "1"


class EnvelopeBase(WebhookBodyBase):
    """A webhook body plus the event id (`webhook-id`): an item of the events API."""

    id: uuid.UUID = Field(description="The event id: the `webhook-id` of its deliveries.")


def _model_name(event_type: EventType, suffix: str) -> str:
    return "".join(part.title() for part in event_type.value.replace("_", ".").split(".")) + (
        suffix
    )


def _models(base: type[WebhookBodyBase], suffix: str, what: str) -> dict[EventType, Any]:
    return {
        event_type: create_model(
            _model_name(event_type, suffix),
            __base__=base,
            __doc__=f"The `{event_type.value}` event{what}.",
            type=(Literal[event_type.value], Field(description="The event type.")),  # type: ignore[arg-type]
            data=(payload, ...),
        )
        for event_type, payload in PAYLOADS.items()
    }


WEBHOOK_BODIES: dict[EventType, type[WebhookBodyBase]] = _models(
    WebhookBodyBase, "Webhook", ", as a webhook body"
)
"""The webhook body model of each event type."""

ENVELOPES: dict[EventType, type[EnvelopeBase]] = _models(EnvelopeBase, "Event", "")
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
