"""Revoked keys leave the principal cache of every API process, through Redis pub/sub."""

import asyncio
import logging
import uuid
from collections.abc import Sequence

from redis.asyncio import Redis

from shared.auth.cache import PrincipalCache

logger = logging.getLogger("tidi.api")


class Revocations:
    """Announces this process's revocations and applies everyone's to its cache."""

    def __init__(self, redis: Redis, cache: PrincipalCache, *, channel: str) -> None:
        self.redis = redis
        self.cache = cache
        self.channel = channel

    async def announce(self, key_ids: Sequence[uuid.UUID]) -> None:
        """Evict committed revocations here, then tell the other processes."""
        for key_id in key_ids:
            self.cache.evict_key(key_id)
        try:
            for key_id in key_ids:
                await self.redis.publish(self.channel, str(key_id))
        except Exception:  # Redis down: the other processes forget the key within the TTL
            logger.warning("revocation notice not sent", extra={"key_ids": [*map(str, key_ids)]})

    async def listen(self) -> None:
        """Evict the keys any process revokes, until cancelled.

        The cache is cleared whenever the subscription (re)starts: notices sent while
        it was down are lost, so nothing cached before can be trusted.
        """
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.cache.clear()
                    async for message in pubsub.listen():
                        if message["type"] == "message":
                            self._evict(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:  # Redis lost: retry; entries expire meanwhile
                logger.warning("revocation listener lost Redis; retrying", exc_info=True)
                self.cache.clear()
                await asyncio.sleep(1)

    def _evict(self, data: bytes) -> None:
        try:
            key_id = uuid.UUID(data.decode())
        except ValueError:  # not a notice of ours: forget everything rather than guess
            self.cache.clear()
            return
        self.cache.evict_key(key_id)
