"""Generation and hashing of API key secrets."""

import hashlib
import secrets

KEY_PREFIX = "tidi_"
_DISPLAY_PREFIX_LENGTH = len(KEY_PREFIX) + 6


def generate_api_key() -> str:
    """A new key: `tidi_` + 43 URL-safe characters (256 random bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """SHA-256 hex digest; keys carry 256 random bits, so no slow hash is needed."""
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """The first characters of a key, kept to recognise it in listings."""
    return key[:_DISPLAY_PREFIX_LENGTH]


def looks_like_api_key(key: str) -> bool:
    """Cheap shape check before touching the database."""
    return key.startswith(KEY_PREFIX) and 20 <= len(key) <= 100
