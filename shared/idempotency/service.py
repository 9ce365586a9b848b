"""Claiming an idempotency key inside the creating transaction, and replaying its response.

The claim is an INSERT … ON CONFLICT DO NOTHING on (api key, Idempotency-Key):
PostgreSQL makes a concurrent duplicate wait until the first transaction ends.
If it committed, the duplicate replays the stored response; if it rolled back,
the duplicate's own INSERT succeeds and it creates the resource itself. Twenty
concurrent retries therefore create exactly one resource.
"""

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import Unprocessable
from shared.idempotency.models import IdempotencyRecord

RETENTION = timedelta(hours=24)


class IdempotencyKeyReused(Unprocessable):
    """The key was already used for a different request."""

    type_slug = "idempotency-key-reused"
    title = "Idempotency key reused"


@dataclass(frozen=True)
class StoredResponse:
    """A response to replay."""

    status_code: int
    body: dict[str, Any]
    headers: dict[str, str]


def fingerprint(method: str, path: str, body: Any) -> str:
    """A digest of what the request asks for (canonical JSON of the parsed body)."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


async def claim(
    session: AsyncSession, api_key_id: uuid.UUID, key: str, request_fingerprint: str
) -> StoredResponse | None:
    """Claim `key` for this request; returns the earlier response if it was already used.

    Raises `IdempotencyKeyReused` when the earlier request was a different one.
    """
    now = datetime.now(UTC)
    await session.execute(
        delete(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id,
            IdempotencyRecord.key == key,
            IdempotencyRecord.expires_at <= now,
        )
    )
    claimed = await session.scalar(
        insert(IdempotencyRecord)
        .values(
            api_key_id=api_key_id,
            key=key,
            fingerprint=request_fingerprint,
            created_at=now,
            expires_at=now + RETENTION,
        )
        .on_conflict_do_nothing()
        .returning(IdempotencyRecord.key)
    )
    if claimed is not None:
        return None
    record = await session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
        )
    )
    if record is None or record.status_code is None or record.body is None:
        raise IdempotencyKeyReused("this Idempotency-Key is in use by a request still running")
    if record.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was used for a different request in the last 24 hours"
        )
    return StoredResponse(record.status_code, record.body, dict(record.headers or {}))


async def remember(
    session: AsyncSession,
    api_key_id: uuid.UUID,
    key: str,
    response: StoredResponse,
) -> None:
    """Store the response of a claimed key (same transaction as the creation)."""
    await session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key)
        .values(status_code=response.status_code, body=response.body, headers=response.headers)
    )


async def purge_expired(session: AsyncSession) -> int:
    """Delete records past their 24 hours; returns how many."""
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= datetime.now(UTC))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
