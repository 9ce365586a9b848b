"""Standard Webhooks signing: secrets, signature headers, the body envelope and test vectors."""

import base64
import binascii
import json
import math
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from standardwebhooks import Webhook

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the format prefix, not a secret
MIN_SECRET_BYTES: Final = 24
MAX_SECRET_BYTES: Final = 64
DEFAULT_SECRET_BYTES: Final = 32
MAX_BODY_BYTES: Final = 64 * 1024
"""Hard cap on a webhook body, in bytes (64 KiB)."""
API_VERSION: Final = "1"
ROTATION_GRACE: Final = timedelta(hours=72)
"""Default time both the old and the new secret sign after a rotation."""

HEADER_ID: Final = "webhook-id"
HEADER_TIMESTAMP: Final = "webhook-timestamp"
HEADER_SIGNATURE: Final = "webhook-signature"
CONTENT_TYPE: Final = "application/json"

_MSG_ID = re.compile(r"[!-~]{1,255}")
_EVENT_TYPE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")


class InvalidSecretError(ValueError):
    """A webhook secret is not `whsec_` + base64 of 24 to 64 bytes (its value is never echoed)."""


class PayloadTooLargeError(ValueError):
    """A webhook body would exceed the hard cap."""

    def __init__(self, size: int, limit: int = MAX_BODY_BYTES) -> None:
        super().__init__(
            f"webhook body is {size} bytes, above the {limit}-byte cap: slim the event data"
        )
        self.size = size
        self.limit = limit


def generate_secret(num_bytes: int = DEFAULT_SECRET_BYTES) -> str:
    """A new endpoint secret: `whsec_` + base64 of `num_bytes` bytes from the OS CSPRNG.

    Args:
        num_bytes: Entropy of the secret, 24 to 64 bytes.

    Returns:
        The secret in Standard Webhooks format, to show once and store encrypted.

    Raises:
        ValueError: `num_bytes` is outside 24..64.
    """
    if not MIN_SECRET_BYTES <= num_bytes <= MAX_SECRET_BYTES:
        raise ValueError(f"a secret has {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(num_bytes)).decode("ascii")


def decode_secret(secret: str) -> bytes:
    """The key bytes of a secret, checked strictly (prefix, base64 alphabet, 24 to 64 bytes).

    Args:
        secret: A `whsec_...` secret.

    Returns:
        The raw HMAC key.

    Raises:
        InvalidSecretError: The secret is malformed; the message never contains it.
    """
    if not secret.startswith(SECRET_PREFIX):
        raise InvalidSecretError(f"a webhook secret starts with {SECRET_PREFIX!r}")
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSecretError("a webhook secret is base64 after its prefix") from None
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise InvalidSecretError(
            f"a webhook secret holds {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes"
        )
    return key


def unix_seconds(timestamp: datetime | int) -> int:
    """Whole unix seconds of a timezone-aware moment (or of an int, checked non-negative).

    Args:
        timestamp: An aware datetime or unix seconds.

    Returns:
        The `webhook-timestamp` value.

    Raises:
        ValueError: The datetime is naive or the moment precedes 1970.
    """
    if isinstance(timestamp, datetime):
        if timestamp.utcoffset() is None:
            raise ValueError("webhook timestamps must be timezone-aware")
        seconds = math.floor(timestamp.timestamp())
    else:
        seconds = timestamp
    if seconds < 0:
        raise ValueError("webhook timestamps are after 1970")
    return seconds


def sign(
    signing_secrets: str | Sequence[str],
    *,
    msg_id: str,
    timestamp: datetime | int,
    body: bytes,
) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, signed by the `standardwebhooks` library.

    Each secret contributes one `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` entry,
    space-separated, in the order given (current secret first during a rotation); a receiver
    holding any of the secrets verifies the message.

    Args:
        signing_secrets: One secret, or every secret valid now (see `active_secrets`).
        msg_id: The `webhook-id`, stable across retries of one message (visible ASCII).
        timestamp: The attempt time (aware datetime or unix seconds).
        body: The exact bytes sent (UTF-8 JSON, see `build_body`).

    Returns:
        `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.

    Raises:
        InvalidSecretError: A secret is malformed.
        ValueError: No secret, a bad message id or timestamp, or a body that is not UTF-8.
    """
    keys = [signing_secrets] if isinstance(signing_secrets, str) else list(signing_secrets)
    if not keys:
        raise ValueError("at least one secret signs a webhook")
    if not _MSG_ID.fullmatch(msg_id):
        raise ValueError("a webhook-id is 1 to 255 visible ASCII characters")
    seconds = unix_seconds(timestamp)
    text = body.decode("utf-8")
    moment = datetime.fromtimestamp(seconds, UTC)
    signatures = dict.fromkeys(
        Webhook(decode_secret(key)).sign(msg_id=msg_id, timestamp=moment, data=text) for key in keys
    )
    return {
        HEADER_ID: msg_id,
        HEADER_TIMESTAMP: str(seconds),
        HEADER_SIGNATURE: " ".join(signatures),
    }


def active_secrets(
    current: str,
    previous: str | None = None,
    previous_expires_at: datetime | None = None,
    *,
    now: datetime,
) -> tuple[str, ...]:
    """The secrets that sign now: the current one, plus the previous one during its grace period.

    Args:
        current: The newest secret.
        previous: The secret it replaced, if any.
        previous_expires_at: End of the grace period (rotation time + `ROTATION_GRACE`).
        now: The attempt time.

    Returns:
        Current secret first, then the previous one while `now < previous_expires_at`.
    """
    if previous is None or previous_expires_at is None or now >= previous_expires_at:
        return (current,)
    return (current, previous)


def rfc3339(moment: datetime) -> str:
    """An aware moment in UTC, RFC 3339 with a `Z` (microseconds only when non-zero).

    Args:
        moment: A timezone-aware datetime.

    Returns:
        The same text Pydantic writes for a UTC datetime, e.g. `2026-01-01T09:30:00Z`.

    Raises:
        ValueError: The datetime is naive.
    """
    if moment.utcoffset() is None:
        raise ValueError("event times must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _canonical(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_canonical(item) for item in value]
    return value


def build_body(
    event_type: str,
    occurred_at: datetime,
    data: BaseModel | Mapping[str, Any],
    *,
    max_bytes: int = MAX_BODY_BYTES,
) -> bytes:
    """The webhook body: `{"type", "timestamp", "api_version", "data"}` as compact UTF-8 JSON.

    The output is deterministic: the envelope keys come in the documented order and the keys
    of `data` are sorted at every level, so a payload read back from JSONB in another order
    yields the same bytes. UUIDs, datetimes and decimals in `data` are written as Pydantic
    writes them.

    Args:
        event_type: The event type, e.g. `application.submitted`.
        occurred_at: The event time (aware), written as the RFC 3339 `timestamp`.
        data: The event payload (a Pydantic model or a JSON-able mapping).
        max_bytes: The cap (defaults to the 64 KiB hard cap).

    Returns:
        The exact bytes to sign and send.

    Raises:
        PayloadTooLargeError: The body exceeds `max_bytes`.
        ValueError: A malformed event type, a naive time, or data that is not JSON (NaN...).
    """
    if not _EVENT_TYPE.fullmatch(event_type):
        raise ValueError(f"not an event type: {event_type!r}")
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else dict(data)
    envelope = {
        "type": event_type,
        "timestamp": rfc3339(occurred_at),
        "api_version": API_VERSION,
        "data": _canonical(to_jsonable_python(payload)),
    }
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )
    if len(body) > max_bytes:
        raise PayloadTooLargeError(len(body), max_bytes)
    return body


@dataclass(frozen=True, slots=True)
class SignatureVector:
    """A published test vector: receivers check their verification code against it."""

    secrets: tuple[str, ...]
    msg_id: str
    timestamp: int
    body: str
    signature: str

    @property
    def body_bytes(self) -> bytes:
        """The body as sent (UTF-8)."""
        return self.body.encode("utf-8")

    def headers(self) -> dict[str, str]:
        """The headers a receiver gets with this vector."""
        return {
            HEADER_ID: self.msg_id,
            HEADER_TIMESTAMP: str(self.timestamp),
            HEADER_SIGNATURE: self.signature,
        }


_VECTOR_SECRET = "whsec_dGlkaS10ZXN0LXZlY3Rvci1zZWNyZXQta2V5LTAwMDE="  # noqa: S105 - published
_VECTOR_PREVIOUS_SECRET = "whsec_dGlkaS10ZXN0LXZlY3Rvci1wcmV2aW91cy1zZWNyZXQ="  # noqa: S105
_VECTOR_MSG_ID = "0b6f1c2e-8d4a-4f4e-9a57-3c2d1e0f9a8b"
_VECTOR_TIMESTAMP = 1767225600
_VECTOR_BODY = (
    '{"type":"application.submitted","timestamp":"2026-01-01T00:00:00Z","api_version":"1",'
    '"data":{"eligible_expense_base_cents":120000000,"fund_code":"fonds-acceleration",'
    '"id":"5c1e9d3a-2b7f-4c1a-8e6d-9f0a1b2c3d4e","occurred_at":"2026-01-01T00:00:00Z",'
    '"previous_status":"draft","project_id":"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d",'
    '"region_code":"53","requested_amount_cents":25000000,"sequence":2,"status":"submitted",'
    '"territory_id":null,"url":"https://tidi.example/v1/applications/'
    '5c1e9d3a-2b7f-4c1a-8e6d-9f0a1b2c3d4e"}}'
)
_VECTOR_UTF8_BODY = (
    '{"type":"project.updated","timestamp":"2026-01-01T00:00:00.250000Z","api_version":"1",'
    '"data":{"nature":"extension","note":"Décarbonation à Saint-Étienne ✓","sequence":7}}'
)

SIGNATURE_VECTORS: Final[tuple[SignatureVector, ...]] = (
    SignatureVector(
        secrets=(_VECTOR_SECRET,),
        msg_id=_VECTOR_MSG_ID,
        timestamp=_VECTOR_TIMESTAMP,
        body=_VECTOR_BODY,
        signature="v1,a0yzWzZLjzrqE8U/Grpjnb4jhnI18H0uK8ab3MpyUwU=",
    ),
    SignatureVector(
        secrets=(_VECTOR_SECRET,),
        msg_id="msg_2QHq4n1Yb8wq3ZCkW3YvXh7K9aB",
        timestamp=_VECTOR_TIMESTAMP + 30,
        body=_VECTOR_UTF8_BODY,
        signature="v1,gx2SvkQxngdFC6N+6LcM6pjuAFYMKo3F9pnxmNWde6g=",
    ),
    SignatureVector(
        secrets=(_VECTOR_SECRET, _VECTOR_PREVIOUS_SECRET),
        msg_id=_VECTOR_MSG_ID,
        timestamp=_VECTOR_TIMESTAMP + 3600,
        body=_VECTOR_BODY,
        signature=(
            "v1,4Viz4bGubuWTUne9J+nnGHRpRy8f1Y7t5R0X62JXhro="
            " v1,gPnEC2cAekvJBjSIpfJ6PuHBMum9uTg4W5lVR0GTmFc="
        ),
    ),
)
"""Test vectors to publish: each signature was computed once and is checked by the test suite."""


def signature_vectors() -> tuple[SignatureVector, ...]:
    """The published test vectors (single secret, UTF-8 body, and a rotation with two secrets).

    A receiver needs no code of ours: with the reference library,
    `Webhook(secret).verify(raw_body_bytes, request_headers)` returns the parsed envelope or
    raises `WebhookVerificationError` (it also refuses timestamps more than 5 minutes away
    from its clock, so check a vector with the clock set to its `timestamp`).

    Returns:
        The vectors; `Webhook(secret).verify(body, headers)` accepts each with any of its
        secrets when the clock reads `timestamp`.
    """
    return SIGNATURE_VECTORS
