"""Principals of recently seen keys, kept a few seconds by each API process.

A busy key then costs no query per request. A revocation must still bite at once: the
revoking transaction notes the key (`note_revoked`), and once it has committed the
adapter evicts it here and tells the other processes (`PrincipalCache.evict_key`). The
time to live bounds what a lost notice can leave: a revoked key keeps working at most
that long in a process that missed it. A key's expiry is checked on every hit.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.principal import Principal

_REVOKED = "tidi.revoked_keys"


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    key_expires_at: datetime | None
    fresh_until: float


class PrincipalCache:
    """Principal per key hash, for `ttl_seconds` (0 disables the cache)."""

    def __init__(self, ttl_seconds: float, *, max_entries: int = 10_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, _Entry] = {}
        self._evictions = 0

    @property
    def generation(self) -> int:
        """Bumped by every eviction: read it before a key's row, hand it to `put`."""
        return self._evictions

    def get(self, secret_hash: str, now: datetime) -> Principal | None:
        """The cached principal of a key, if still fresh and the key not expired."""
        entry = self._entries.get(secret_hash)
        if entry is None:
            return None
        if entry.fresh_until <= time.monotonic() or (
            entry.key_expires_at is not None and entry.key_expires_at <= now
        ):
            self._entries.pop(secret_hash, None)
            return None
        return entry.principal

    def put(
        self,
        secret_hash: str,
        principal: Principal,
        key_expires_at: datetime | None,
        *,
        generation: int,
    ) -> None:
        """Remember a key just checked against the database.

        Skipped if anything was evicted since `generation` was read: the row read may
        predate a revocation whose notice has already been applied.
        """
        if self.ttl_seconds <= 0 or generation != self._evictions:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()
        self._entries[secret_hash] = _Entry(
            principal, key_expires_at, time.monotonic() + self.ttl_seconds
        )

    def evict_key(self, key_id: uuid.UUID) -> None:
        """Forget a key (revoked): its next request is checked against the database."""
        self._evictions += 1
        for secret_hash in [h for h, e in self._entries.items() if e.principal.key_id == key_id]:
            self._entries.pop(secret_hash, None)

    def clear(self) -> None:
        """Forget every key (revocation notices may have been missed)."""
        self._evictions += 1
        self._entries.clear()


def note_revoked(session: AsyncSession, key_id: uuid.UUID) -> None:
    """Remember that `session`'s transaction revokes `key_id` (announced after commit)."""
    session.info.setdefault(_REVOKED, []).append(key_id)


def take_revoked(session: AsyncSession) -> list[uuid.UUID]:
    """The keys revoked by `session`'s transaction, forgetting them."""
    revoked: list[uuid.UUID] = session.info.pop(_REVOKED, [])
    return revoked
