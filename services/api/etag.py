"""Setting ETag (and Location) headers on responses."""

from fastapi import Response

from shared.concurrency import etag


def with_etag(response: Response, version: int, *, location: str | None = None) -> None:
    """Expose the version as a strong ETag (and the new resource's URL)."""
    response.headers["ETag"] = etag(version)
    if location is not None:
        response.headers["Location"] = location
