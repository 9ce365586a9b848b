"""Optimistic concurrency: versions as ETags, checked against If-Match."""

from typing import Final

from shared.errors import PreconditionFailed, PreconditionRequired

ANY_VERSION: Final = -1
"""`If-Match: *`: whatever version is current (RFC 9110)."""


def etag(version: int) -> str:
    """The strong ETag of a resource version."""
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version an `If-Match` header names (None if absent; `*`: `ANY_VERSION`)."""
    if header is None:
        return None
    value = header.strip()
    if value == "*":
        return ANY_VERSION
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise PreconditionFailed('If-Match must be an ETag returned by this API, e.g. "3"')
    return int(value)


def check_version(current: int, expected: int | None) -> None:
    """Refuse a write made without, or against a stale, version."""
    if expected is None:
        raise PreconditionRequired(
            "send If-Match with the ETag of the version you read (GET returns it)"
        )
    if expected not in (current, ANY_VERSION):
        raise PreconditionFailed(
            f"the resource changed: you sent version {expected}, it is now {current}",
            current_etag=etag(current),
        )
