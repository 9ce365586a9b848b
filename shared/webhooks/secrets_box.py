"""Webhook secrets at rest: AES-256-GCM under a key derived from SECRET_KEY, tagged by key id."""

import base64
import binascii
import os
from collections.abc import Sequence
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import SecretStr

from shared.settings import Settings

FORMAT_VERSION: Final = "v1"
_SALT: Final = b"tidi/webhook-secrets"
_KEY_INFO: Final = b"tidi webhook secrets: AES-256-GCM key v1"
_KEY_ID_INFO: Final = b"tidi webhook secrets: key id v1"
_KEY_ID_BYTES: Final = 6
_NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16


class SecretBoxError(ValueError):
    """A stored secret cannot be decrypted: malformed, unknown key, wrong context or tampered."""


def _derive(master: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT, info=info).derive(master)


def _master_bytes(secret_key: str | SecretStr) -> bytes:
    value = secret_key.get_secret_value() if isinstance(secret_key, SecretStr) else secret_key
    if not value:
        raise ValueError("SECRET_KEY is empty")
    return value.encode("utf-8")


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Key:
    __slots__ = ("aead", "key_id")

    def __init__(self, secret_key: str | SecretStr) -> None:
        master = _master_bytes(secret_key)
        self.aead = AESGCM(_derive(master, _KEY_INFO, 32))
        self.key_id = _derive(master, _KEY_ID_INFO, _KEY_ID_BYTES).hex()


class SecretBox:
    """Encrypts endpoint secrets for storage and decrypts them to sign.

    Secrets are encrypted, never hashed: we must sign with them. A stored value reads
    `v1.<key id>.<base64url(nonce | ciphertext | tag)>`. The key id names the SECRET_KEY it
    was made under (derived through HKDF apart from the encryption key, so it reveals nothing
    of it), which lets a later rotation keep old keys for decryption and re-encrypt lazily.
    The optional `context` (e.g. the endpoint id) is authenticated, so a ciphertext copied to
    another row does not decrypt there.
    """

    def __init__(
        self,
        secret_key: str | SecretStr,
        *,
        previous_keys: Sequence[str | SecretStr] = (),
    ) -> None:
        """Derive the keys.

        Args:
            secret_key: The current SECRET_KEY: new values are encrypted under it.
            previous_keys: Older SECRET_KEYs still accepted for decryption.

        Raises:
            ValueError: An empty key.
        """
        self._current = _Key(secret_key)
        self._keys = {self._current.key_id: self._current}
        for old in previous_keys:
            key = _Key(old)
            self._keys.setdefault(key.key_id, key)

    @classmethod
    def from_settings(cls, settings: Settings) -> "SecretBox":
        """The box of the configured SECRET_KEY.

        Args:
            settings: The runtime settings.

        Returns:
            A box encrypting under `settings.SECRET_KEY`.
        """
        return cls(settings.SECRET_KEY)

    @property
    def key_id(self) -> str:
        """The id of the key new values are encrypted under."""
        return self._current.key_id

    def _aad(self, key_id: str, context: str) -> bytes:
        return f"tidi-webhook-secret\x00{FORMAT_VERSION}\x00{key_id}\x00{context}".encode()

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        """Encrypt a secret under the current key, with a fresh random nonce.

        Args:
            plaintext: The secret (`whsec_...`).
            context: Bound to the ciphertext; the same value must be given to decrypt.

        Returns:
            The stored form, `v1.<key id>.<base64url>` (ASCII).
        """
        key = self._current
        nonce = os.urandom(_NONCE_BYTES)
        sealed = key.aead.encrypt(nonce, plaintext.encode("utf-8"), self._aad(key.key_id, context))
        return f"{FORMAT_VERSION}.{key.key_id}.{_b64encode(nonce + sealed)}"

    def decrypt(self, token: str, *, context: str = "") -> str:
        """Decrypt a stored secret.

        Args:
            token: A value made by `encrypt`.
            context: The context it was encrypted with.

        Returns:
            The secret.

        Raises:
            SecretBoxError: Malformed, made under an unknown key, another context, or altered.
        """
        _, key_id, payload = self._split(token)
        key = self._keys.get(key_id)
        if key is None:
            raise SecretBoxError(f"stored secret was encrypted under unknown key {key_id}")
        try:
            raw = _b64decode(payload)
        except (binascii.Error, ValueError):
            raise SecretBoxError("stored secret is not valid base64url") from None
        if len(raw) < _NONCE_BYTES + _TAG_BYTES:
            raise SecretBoxError("stored secret is truncated")
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        try:
            plaintext = key.aead.decrypt(nonce, sealed, self._aad(key_id, context))
        except InvalidTag:
            raise SecretBoxError(
                "stored secret failed authentication (altered, or another context)"
            ) from None
        return plaintext.decode("utf-8")

    @staticmethod
    def _split(token: str) -> tuple[str, str, str]:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != FORMAT_VERSION or not parts[1] or not parts[2]:
            raise SecretBoxError(f"stored secret is not in the {FORMAT_VERSION} format")
        return parts[0], parts[1], parts[2]
