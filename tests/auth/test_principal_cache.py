"""Cached principals: revocation still bites at once in every API process, expiry on time."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.main import create_app
from shared.auth.cache import PrincipalCache
from shared.auth.models import ApiKey
from shared.principal import Principal, Role
from shared.settings import Settings
from tests.fixtures.api import auth
from tests.fixtures.builders import Key, MakeKey


@pytest.fixture
async def other_process(test_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second API instance: its own cache and Redis subscription, like another process."""
    app = create_app(test_settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b") as client,
    ):
        yield client


@pytest.fixture
async def short_lived_cache(test_settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(test_settings.model_copy(update={"API_KEY_CACHE_SECONDS": 0.3}))
    async with app.router.lifespan_context(app):
        yield app


async def _status_within(
    client: httpx.AsyncClient, secret: str, status: int, seconds: float
) -> int:
    """Call `/v1/me` until it answers `status` or `seconds` pass; the last status."""
    deadline = time.monotonic() + seconds
    while True:
        answered = (await client.get("/v1/me", headers=auth(secret))).status_code
        if answered == status or time.monotonic() > deadline:
            return answered
        await asyncio.sleep(0.05)


class TestRevocationReachesEveryProcess:
    async def test_a_key_revoked_through_one_process_is_refused_by_another_at_once(
        self,
        client: httpx.AsyncClient,
        other_process: httpx.AsyncClient,
        admin_key: Key,
        make_key: MakeKey,
    ) -> None:
        victim = await make_key(Role.OBSERVER)
        assert (await other_process.get("/v1/me", headers=auth(victim.secret))).status_code == 200

        revoked = await client.post(
            f"/v1/api-keys/{victim.id}/revoke", headers=auth(admin_key.secret)
        )
        assert revoked.status_code == 200, revoked.text

        # Well within the 5 s the other process would otherwise trust its cached entry.
        assert await _status_within(other_process, victim.secret, 401, seconds=2) == 401

    async def test_without_a_notice_the_cache_trusts_a_key_no_longer_than_its_ttl(
        self,
        short_lived_cache: FastAPI,
        make_key: MakeKey,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        victim = await make_key(Role.OBSERVER)
        transport = httpx.ASGITransport(app=short_lived_cache)
        async with httpx.AsyncClient(transport=transport, base_url="http://c") as client:
            assert (await client.get("/v1/me", headers=auth(victim.secret))).status_code == 200
            async with sessionmaker() as session:  # revoked behind the API's back
                await session.execute(
                    update(ApiKey)
                    .where(ApiKey.id == victim.id)
                    .values(revoked_at=datetime.now(UTC))
                )
                await session.commit()

            assert await _status_within(client, victim.secret, 401, seconds=2) == 401


class TestExpiry:
    async def test_a_cached_key_is_refused_once_it_expires(
        self, client: httpx.AsyncClient, make_key: MakeKey
    ) -> None:
        key = await make_key(Role.OBSERVER, expires_at=datetime.now(UTC) + timedelta(seconds=1))
        assert (await client.get("/v1/me", headers=auth(key.secret))).status_code == 200

        await asyncio.sleep(1.1)

        refused = await client.get("/v1/me", headers=auth(key.secret))
        assert refused.status_code == 401
        assert "expired" in refused.json()["detail"]


class TestPrincipalCache:
    def _principal(self) -> Principal:
        return Principal(key_id=uuid.uuid4(), role=Role.OBSERVER, name="k")

    def test_hit_evict_and_clear(self) -> None:
        cache = PrincipalCache(60)
        now = datetime.now(UTC)
        principal = self._principal()
        cache.put("h1", principal, None, generation=cache.generation)
        assert cache.get("h1", now) == principal
        cache.evict_key(principal.key_id)  # type: ignore[arg-type]
        assert cache.get("h1", now) is None
        cache.put("h2", principal, None, generation=cache.generation)
        cache.clear()
        assert cache.get("h2", now) is None

    def test_zero_ttl_caches_nothing(self) -> None:
        cache = PrincipalCache(0)
        cache.put("h", self._principal(), None, generation=cache.generation)
        assert cache.get("h", datetime.now(UTC)) is None

    def test_a_row_read_before_an_eviction_is_not_cached(self) -> None:
        cache = PrincipalCache(60)
        principal = self._principal()
        before = cache.generation
        cache.evict_key(principal.key_id)  # type: ignore[arg-type]  # a notice arrives
        cache.put("h", principal, None, generation=before)
        assert cache.get("h", datetime.now(UTC)) is None

    def test_the_key_expiry_is_checked_on_every_hit(self) -> None:
        cache = PrincipalCache(60)
        now = datetime.now(UTC)
        cache.put("h", self._principal(), now + timedelta(seconds=1), generation=0)
        assert cache.get("h", now) is not None
        assert cache.get("h", now + timedelta(seconds=1)) is None
