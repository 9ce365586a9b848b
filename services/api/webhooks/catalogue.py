"""The event catalogue in the OpenAPI document's `webhooks` section (OpenAPI 3.1)."""

import json
from typing import Annotated, Any

from fastapi import Body, FastAPI, Header

from shared.events.catalogue import OWNER_ONLY_EVENTS
from shared.events.envelopes import WEBHOOK_BODIES
from shared.webhooks.signing import SignatureVector, signature_vectors

_RECEIVING = """Sent as `POST` with the Standard Webhooks headers `webhook-id` (the event id, the
same on every retry: drop duplicates by it), `webhook-timestamp` and `webhook-signature`
(verify with any Standard Webhooks library and your endpoint's `whsec_` secret). Answer
2xx within the endpoint's timeout; anything else is retried 14 times over about 4 days;
`410 Gone` disables the endpoint. Drop an update whose `data.sequence` is lower than one
you already have for the same resource."""

TEST_VECTOR = "test-vector"
"""Name of the example holding the published test vector (its body, id, timestamp, signature)."""


def install_webhook_catalogue(app: FastAPI) -> None:
    """Declare one webhook per event type that endpoints can subscribe to."""
    vector = signature_vectors()[0]
    for event_type, body in WEBHOOK_BODIES.items():
        if event_type in OWNER_ONLY_EVENTS:
            continue
        vector_type = json.loads(vector.body)["type"]
        _declare(app, event_type.value, body, vector if vector_type == event_type else None)


def _declare(app: FastAPI, name: str, body: type[Any], vector: SignatureVector | None) -> None:
    """One webhook: its body, its Standard Webhooks headers and (for one event type) the
    published test vector as the examples of both."""

    def example(value: object) -> dict[str, Any]:
        return {TEST_VECTOR: {"summary": "The published test vector", "value": value}}

    msg_id = example(vector.msg_id) if vector else None
    timestamp = example(str(vector.timestamp)) if vector else None
    signature = example(vector.signature) if vector else None

    async def receive(
        webhook_id: Annotated[
            str,
            Header(
                description="The event id, the same on every retry: drop duplicates by it.",
                openapi_examples=msg_id,
            ),
        ],
        webhook_timestamp: Annotated[
            str,
            Header(
                pattern=r"^[0-9]+$",
                description="When this attempt was signed (Unix seconds); refuse a stale one.",
                openapi_examples=timestamp,
            ),
        ],
        webhook_signature: Annotated[
            str,
            Header(
                description=(
                    "`v1,<base64 HMAC-SHA256 of {webhook-id}.{webhook-timestamp}.{body}>`; "
                    "two, space-separated, while a rotated secret still signs."
                ),
                openapi_examples=signature,
            ),
        ],
        payload: Any = Body(..., examples=[json.loads(vector.body)] if vector else None),
    ) -> None:
        """Placeholder: webhooks are documented, not served."""

    receive.__annotations__["payload"] = body
    described = f"{body.__doc__}\n\n{_RECEIVING}" + (_vector_text(vector) if vector else "")
    app.webhooks.add_api_route(
        name,
        receive,
        methods=["POST"],
        summary=f"{name}",
        description=described,
        operation_id=_camel(name) + "Webhook",
        status_code=200,
        response_description="Acknowledged (any 2xx)",
        responses={200: {"description": "Acknowledged (any 2xx)"}},
        tags=["webhooks"],
    )


def _vector_text(vector: SignatureVector) -> str:
    return (
        f"\n\nThe body example and the headers' `{TEST_VECTOR}` examples are the published "
        f"test vector: with the secret `{vector.secrets[0]}`, the body below (these exact "
        f"bytes), the `webhook-id` `{vector.msg_id}` and the `webhook-timestamp` "
        f"`{vector.timestamp}`, the signature is `{vector.signature}`."
        f"\n\n```json\n{vector.body}\n```"
    )


def _camel(name: str) -> str:
    head, *rest = name.replace("_", ".").split(".")
    return head + "".join(part.title() for part in rest)
