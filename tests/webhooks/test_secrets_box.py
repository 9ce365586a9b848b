import base64
import re

import pytest
from pydantic import SecretStr

from shared.settings import Environment, Settings
from shared.webhooks.secrets_box import SecretBox, SecretBoxError
from shared.webhooks.signing import generate_secret

KEY = "a-long-random-secret-key-for-tests-only-7c1f0e9a"
OTHER_KEY = "another-long-random-secret-key-for-tests-3b8d2a"


def _flip(token: str, position: int) -> str:
    prefix, payload = token.rsplit(".", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[position] ^= 0x01
    return f"{prefix}.{base64.urlsafe_b64encode(bytes(raw)).rstrip(b'=').decode()}"


def test_round_trip() -> None:
    box = SecretBox(KEY)
    secret = generate_secret()
    token = box.encrypt(secret)
    assert box.decrypt(token) == secret
    assert secret not in token
    assert secret.removeprefix("whsec_") not in token


def test_stored_form_names_its_key() -> None:
    box = SecretBox(KEY)
    token = box.encrypt(generate_secret())
    assert re.fullmatch(r"v1\.[0-9a-f]{12}\.[A-Za-z0-9_-]+", token)
    assert token.split(".")[1] == box.key_id
    assert SecretBox(KEY).key_id == box.key_id
    assert SecretBox(OTHER_KEY).key_id != box.key_id
    assert box.key_id not in KEY


def test_each_encryption_uses_a_fresh_nonce() -> None:
    box = SecretBox(KEY)
    secret = generate_secret()
    tokens = {box.encrypt(secret) for _ in range(50)}
    assert len(tokens) == 50
    assert {box.decrypt(token) for token in tokens} == {secret}


def test_any_altered_byte_fails() -> None:
    box = SecretBox(KEY)
    token = box.encrypt(generate_secret())
    payload_length = len(base64.urlsafe_b64decode(token.rsplit(".", 1)[1] + "=="))
    for position in range(payload_length):
        with pytest.raises(SecretBoxError, match="failed authentication"):
            box.decrypt(_flip(token, position))


def test_the_context_is_bound() -> None:
    box = SecretBox(KEY)
    secret = generate_secret()
    token = box.encrypt(secret, context="endpoint:1")
    assert box.decrypt(token, context="endpoint:1") == secret
    with pytest.raises(SecretBoxError, match="another context"):
        box.decrypt(token, context="endpoint:2")
    with pytest.raises(SecretBoxError):
        box.decrypt(token)


def test_another_secret_key_cannot_decrypt() -> None:
    token = SecretBox(KEY).encrypt(generate_secret())
    with pytest.raises(SecretBoxError, match="unknown key"):
        SecretBox(OTHER_KEY).decrypt(token)


def test_a_relabelled_key_id_fails() -> None:
    old, new = SecretBox(OTHER_KEY), SecretBox(KEY, previous_keys=[OTHER_KEY])
    token = new.encrypt(generate_secret())
    relabelled = token.replace(new.key_id, old.key_id, 1)
    with pytest.raises(SecretBoxError, match="failed authentication"):
        new.decrypt(relabelled)


def test_previous_keys_still_decrypt_for_a_later_rotation() -> None:
    secret = generate_secret()
    old_token = SecretBox(OTHER_KEY).encrypt(secret)
    box = SecretBox(KEY, previous_keys=[SecretStr(OTHER_KEY)])
    assert box.decrypt(old_token) == secret
    new_token = box.encrypt(box.decrypt(old_token))
    assert box.decrypt(new_token) == secret


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "format"),
        ("whsec_abc", "format"),
        ("v2.abcdef012345.AAAA", "format"),
        ("v1..AAAA", "format"),
        ("v1.abcdef012345.", "format"),
        ("v1.a.b.c", "format"),
        ("v1.{kid}.AAAA", "truncated"),
        ("v1.{kid}.%%%%", "base64url|truncated"),
    ],
)
def test_malformed_values_are_refused(token: str, message: str) -> None:
    box = SecretBox(KEY)
    with pytest.raises(SecretBoxError, match=message):
        box.decrypt(token.replace("{kid}", box.key_id))


def test_the_key_comes_from_settings() -> None:
    settings = Settings(ENVIRONMENT=Environment.TEST, SECRET_KEY=SecretStr(KEY))
    box = SecretBox.from_settings(settings)
    assert box.key_id == SecretBox(KEY).key_id
    assert SecretBox(KEY).decrypt(box.encrypt("whsec_x")) == "whsec_x"


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        SecretBox("")
