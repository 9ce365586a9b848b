"""The event catalogue in the OpenAPI document's `webhooks` section (OpenAPI 3.1)."""

from typing import Any

from fastapi import Body, FastAPI

from shared.events.catalogue import OWNER_ONLY_EVENTS
from shared.events.envelopes import ENVELOPES
from shared.webhooks.signing import signature_vectors

_RECEIVING = """Sent as `POST` with the Standard Webhooks headers `webhook-id` (the event id, the
same on every retry: drop duplicates by it), `webhook-timestamp` and `webhook-signature`
(verify with any Standard Webhooks library and your endpoint's `whsec_` secret). Answer
2xx within the endpoint's timeout; anything else is retried 14 times over about 4 days;
`410 Gone` disables the endpoint. Drop an update whose `data.sequence` is lower than one
you already have for the same resource."""


def install_webhook_catalogue(app: FastAPI) -> None:
    """Declare one webhook per event type that endpoints can subscribe to."""
    vector = signature_vectors()[0]
    for event_type, envelope in ENVELOPES.items():
        if event_type in OWNER_ONLY_EVENTS:
            continue
        _declare(app, event_type.value, envelope, vector)


def _declare(app: FastAPI, name: str, envelope: type[Any], vector: Any) -> None:
    async def receive(body: Any = Body(...)) -> None:
        """Placeholder: webhooks are documented, not served."""

    receive.__annotations__["body"] = envelope
    app.webhooks.add_api_route(
        name,
        receive,
        methods=["POST"],
        summary=f"{name}",
        description=(
            f"{envelope.__doc__}\n\n{_RECEIVING}\n\nTest vector: secret `{vector.secrets[0]}`, "
            f"id `{vector.msg_id}`, timestamp `{vector.timestamp}` → signature "
            f"`{vector.signature}`."
        ),
        operation_id=_camel(name) + "Webhook",
        status_code=200,
        response_description="Acknowledged (any 2xx)",
        responses={200: {"description": "Acknowledged (any 2xx)"}},
        tags=["webhooks"],
    )


def _camel(name: str) -> str:
    head, *rest = name.replace("_", ".").split(".")
    return head + "".join(part.title() for part in rest)
