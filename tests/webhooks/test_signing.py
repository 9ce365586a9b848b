import base64
import hashlib
import hmac
import json
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import standardwebhooks.webhooks as standardwebhooks_module
from standardwebhooks import Webhook, WebhookVerificationError

from shared.events.catalogue import ApplicationEventData, EventType
from shared.webhooks.signing import (
    HEADER_ID,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    MAX_BODY_BYTES,
    ROTATION_GRACE,
    SIGNATURE_VECTORS,
    InvalidSecretError,
    PayloadTooLargeError,
    SignatureVector,
    active_secrets,
    build_body,
    decode_secret,
    generate_secret,
    rfc3339,
    sign,
    signature_vectors,
)

OCCURRED_AT = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
NAIVE = datetime(2026, 1, 1)  # noqa: DTZ001 - refused on purpose


def _freeze_receiver_clock(monkeypatch: pytest.MonkeyPatch, unix_seconds: int) -> None:
    """The stock receiver rejects timestamps 5 minutes away from its clock: pin its clock."""

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return datetime.fromtimestamp(unix_seconds, tz)

    monkeypatch.setattr(standardwebhooks_module, "datetime", FrozenDatetime)


def _application_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "id": "5c1e9d3a-2b7f-4c1a-8e6d-9f0a1b2c3d4e",
        "url": "https://tidi.example/v1/applications/5c1e9d3a-2b7f-4c1a-8e6d-9f0a1b2c3d4e",
        "status": "submitted",
        "sequence": 3,
        "fund_code": "fonds-acceleration",
    }
    data.update(overrides)
    return data


def _hmac_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


# --- secrets


@pytest.mark.parametrize("size", [24, 32, 48, 64])
def test_generated_secrets_follow_the_standard_format(size: int) -> None:
    secret = generate_secret(size)
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == size
    assert decode_secret(secret) == base64.b64decode(secret.removeprefix("whsec_"))


def test_generated_secrets_default_to_32_bytes_and_never_repeat() -> None:
    secrets = {generate_secret() for _ in range(200)}
    assert len(secrets) == 200
    assert all(len(decode_secret(secret)) == 32 for secret in secrets)


@pytest.mark.parametrize("size", [0, 16, 23, 65, 128])
def test_secret_sizes_outside_24_to_64_bytes_are_refused(size: int) -> None:
    with pytest.raises(ValueError, match="24 to 64"):
        generate_secret(size)


@pytest.mark.parametrize(
    "secret",
    [
        "dGlkaS10ZXN0LXZlY3Rvci1zZWNyZXQta2V5LTAwMDE=",
        "whsk_dGlkaS10ZXN0LXZlY3Rvci1zZWNyZXQta2V5LTAwMDE=",
        "whsec_not base64 at all!!",
        "whsec_" + base64.b64encode(b"x" * 16).decode(),
        "whsec_" + base64.b64encode(b"x" * 65).decode(),
        "whsec_",
    ],
)
def test_malformed_secrets_are_refused_without_echoing_them(secret: str) -> None:
    with pytest.raises(InvalidSecretError) as caught:
        decode_secret(secret)
    encoded = secret.removeprefix("whsec_")
    if encoded:
        assert encoded not in str(caught.value)


def test_unpadded_secrets_are_accepted_like_the_library_does() -> None:
    padded = "whsec_" + base64.b64encode(b"k" * 32).decode()
    assert padded.endswith("=")
    assert decode_secret(padded.rstrip("=")) == b"k" * 32


# --- signing and verification with the stock receiver


def test_a_stock_receiver_verifies_every_signature() -> None:
    rng = random.Random(20260302)
    now = datetime.now(UTC)
    for index in range(50):
        secret = generate_secret(rng.choice([24, 32, 64]))
        data = _application_data(
            sequence=index, note="".join(rng.choice('aé✓z€ "\\') for _ in range(40))
        )
        body = build_body("application.submitted", OCCURRED_AT, data)
        msg_id = str(uuid.UUID(int=rng.getrandbits(128)))
        headers = sign(secret, msg_id=msg_id, timestamp=now, body=body)
        assert Webhook(secret).verify(body, headers) == json.loads(body)


def test_signed_headers_carry_id_and_unix_seconds() -> None:
    secret = generate_secret()
    moment = datetime(2026, 3, 2, 10, 0, 0, 999999, tzinfo=timezone(timedelta(hours=1)))
    headers = sign(secret, msg_id="msg_1", timestamp=moment, body=b"{}")
    assert headers[HEADER_ID] == "msg_1"
    assert headers[HEADER_TIMESTAMP] == str(int(datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp()))
    assert headers[HEADER_SIGNATURE] == _hmac_signature(
        secret, "msg_1", int(headers[HEADER_TIMESTAMP]), b"{}"
    )
    assert sign(secret, msg_id="msg_1", timestamp=int(moment.timestamp()), body=b"{}") == headers


def test_an_altered_body_id_or_timestamp_fails_verification() -> None:
    secret = generate_secret()
    now = datetime.now(UTC)
    body = build_body("application.submitted", OCCURRED_AT, _application_data())
    headers = sign(secret, msg_id="msg_a", timestamp=now, body=body)
    receiver = Webhook(secret)
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body.replace(b'"sequence":3', b'"sequence":4'), headers)
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body, {**headers, HEADER_ID: "msg_b"})
    with pytest.raises(WebhookVerificationError):
        receiver.verify(body, {**headers, HEADER_TIMESTAMP: str(int(now.timestamp()) - 1)})
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)


def test_during_a_rotation_both_secrets_verify_and_afterwards_only_the_new_one() -> None:
    old, new = generate_secret(), generate_secret()
    rotated_at = datetime.now(UTC) - timedelta(hours=1)
    expires_at = rotated_at + ROTATION_GRACE
    body = build_body("application.submitted", OCCURRED_AT, _application_data())
    now = datetime.now(UTC)

    during = active_secrets(new, old, expires_at, now=now)
    assert during == (new, old)
    headers = sign(during, msg_id="msg_rot", timestamp=now, body=body)
    entries = headers[HEADER_SIGNATURE].split(" ")
    assert len(entries) == 2
    assert all(entry.startswith("v1,") for entry in entries)
    assert Webhook(new).verify(body, headers) == json.loads(body)
    assert Webhook(old).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(body, headers)

    after = active_secrets(new, old, expires_at, now=expires_at)
    assert after == (new,)
    headers = sign(after, msg_id="msg_rot", timestamp=now, body=body)
    assert " " not in headers[HEADER_SIGNATURE]
    assert Webhook(new).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, headers)


def test_active_secrets_without_a_previous_one() -> None:
    secret = generate_secret()
    now = datetime.now(UTC)
    assert active_secrets(secret, now=now) == (secret,)
    assert active_secrets(secret, generate_secret(), None, now=now) == (secret,)


def test_a_secret_given_twice_signs_once() -> None:
    secret = generate_secret()
    headers = sign([secret, secret], msg_id="m", timestamp=0, body=b"{}")
    assert " " not in headers[HEADER_SIGNATURE]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"msg_id": "has space"}, "webhook-id"),
        ({"msg_id": ""}, "webhook-id"),
        ({"msg_id": "x" * 256}, "webhook-id"),
        ({"timestamp": NAIVE}, "timezone-aware"),
        ({"timestamp": -1}, "after 1970"),
        ({"body": b"\xff\xfe"}, "utf-8"),
    ],
)
def test_sign_refuses_bad_input(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"msg_id": "msg", "timestamp": 1, "body": b"{}"} | kwargs
    with pytest.raises(ValueError, match=message):
        sign(generate_secret(), **arguments)  # type: ignore[arg-type]


def test_sign_needs_a_secret() -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        sign([], msg_id="m", timestamp=0, body=b"{}")


# --- test vectors


def test_test_vectors_are_stable() -> None:
    vectors = signature_vectors()
    assert vectors is SIGNATURE_VECTORS
    assert len(vectors) == 3
    assert vectors[0].secrets == ("whsec_dGlkaS10ZXN0LXZlY3Rvci1zZWNyZXQta2V5LTAwMDE=",)
    assert vectors[0].msg_id == "0b6f1c2e-8d4a-4f4e-9a57-3c2d1e0f9a8b"
    assert vectors[0].timestamp == 1767225600
    assert vectors[0].signature == "v1,a0yzWzZLjzrqE8U/Grpjnb4jhnI18H0uK8ab3MpyUwU="
    assert len(vectors[2].secrets) == 2
    assert len(vectors[2].signature.split(" ")) == 2


@pytest.mark.parametrize("vector", SIGNATURE_VECTORS, ids=lambda vector: vector.msg_id[:12])
def test_each_test_vector_is_reproduced_and_verified_by_the_library(
    vector: SignatureVector, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = sign(
        vector.secrets, msg_id=vector.msg_id, timestamp=vector.timestamp, body=vector.body_bytes
    )
    assert headers == vector.headers()
    assert vector.signature.split(" ") == [
        _hmac_signature(secret, vector.msg_id, vector.timestamp, vector.body_bytes)
        for secret in vector.secrets
    ]
    _freeze_receiver_clock(monkeypatch, vector.timestamp + 60)
    for secret in vector.secrets:
        assert Webhook(secret).verify(vector.body_bytes, vector.headers()) == json.loads(
            vector.body
        )


def test_test_vector_bodies_are_what_the_envelope_builder_writes() -> None:
    for vector in SIGNATURE_VECTORS:
        envelope = json.loads(vector.body)
        occurred_at = datetime.fromisoformat(envelope["timestamp"])
        rebuilt = build_body(envelope["type"], occurred_at, envelope["data"])
        assert rebuilt == vector.body_bytes


def test_test_vectors_expire_for_a_live_receiver() -> None:
    vector = SIGNATURE_VECTORS[0]
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(vector.secrets[0]).verify(vector.body_bytes, vector.headers())


# --- body envelope


def test_envelope_layout_is_compact_ordered_utf8_json() -> None:
    body = build_body(
        "project.updated",
        OCCURRED_AT,
        {"z": 1, "a": {"y": [{"b": 2, "a": 1}], "x": None}, "note": "Saint-Étienne"},
    )
    assert (
        body
        == (
            '{"type":"project.updated","timestamp":"2026-03-02T09:30:15.123456Z",'
            '"api_version":"1","data":{"a":{"x":null,"y":[{"a":1,"b":2}]},'
            '"note":"Saint-Étienne","z":1}}'
        ).encode()
    )


def test_envelope_is_deterministic_whatever_the_key_order() -> None:
    data = _application_data(nested={"b": 1, "a": 2})
    reordered = dict(reversed(list(data.items())))
    assert build_body("application.submitted", OCCURRED_AT, data) == build_body(
        "application.submitted", OCCURRED_AT, reordered
    )


def test_envelope_accepts_the_catalogue_payload_models() -> None:
    application_id = uuid.UUID("5c1e9d3a-2b7f-4c1a-8e6d-9f0a1b2c3d4e")
    model = ApplicationEventData(
        id=application_id,
        url=f"https://tidi.example/v1/applications/{application_id}",
        status="submitted",
        previous_status="draft",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        sequence=2,
        project_id=uuid.UUID("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"),
        fund_code="fonds-acceleration",
        territory_id=None,
        region_code="53",
        requested_amount_cents=25_000_000,
        eligible_expense_base_cents=120_000_000,
    )
    body = build_body(EventType.APPLICATION_SUBMITTED, datetime(2026, 1, 1, tzinfo=UTC), model)
    assert body == SIGNATURE_VECTORS[0].body_bytes
    assert build_body(
        EventType.APPLICATION_SUBMITTED,
        datetime(2026, 1, 1, tzinfo=UTC),
        model.model_dump(),
    ) == build_body(EventType.APPLICATION_SUBMITTED, datetime(2026, 1, 1, tzinfo=UTC), model)


def test_event_times_are_written_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert rfc3339(datetime(2026, 1, 1, 1, 0, tzinfo=paris)) == "2026-01-01T00:00:00Z"
    assert rfc3339(datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=UTC)) == "2026-01-01T00:00:00.000005Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        rfc3339(NAIVE)


def _body_of_size(size: int) -> bytes:
    empty = build_body("project.updated", OCCURRED_AT, {"pad": ""})
    return build_body("project.updated", OCCURRED_AT, {"pad": "x" * (size - len(empty))})


def test_the_64_kib_cap_is_inclusive() -> None:
    assert MAX_BODY_BYTES == 65536
    assert len(_body_of_size(MAX_BODY_BYTES)) == MAX_BODY_BYTES


def test_a_body_above_64_kib_is_refused_clearly() -> None:
    with pytest.raises(PayloadTooLargeError, match="65537 bytes, above the 65536-byte cap") as e:
        _body_of_size(MAX_BODY_BYTES + 1)
    assert e.value.size == MAX_BODY_BYTES + 1
    assert e.value.limit == MAX_BODY_BYTES


def test_the_cap_counts_utf8_bytes_not_characters() -> None:
    with pytest.raises(PayloadTooLargeError):
        build_body("project.updated", OCCURRED_AT, {"pad": "é" * 33_000})


@pytest.mark.parametrize(
    ("event_type", "occurred_at", "data", "message"),
    [
        ("Application", OCCURRED_AT, {}, "not an event type"),
        ("application.", OCCURRED_AT, {}, "not an event type"),
        ("application.submitted", NAIVE, {}, "timezone-aware"),
        ("application.submitted", OCCURRED_AT, {"x": float("nan")}, "Out of range float"),
    ],
)
def test_build_body_refuses_bad_input(
    event_type: str, occurred_at: datetime, data: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build_body(event_type, occurred_at, data)
