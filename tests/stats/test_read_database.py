"""Statistics read from `DATABASE_READ_URL` when it is set (a replica: here the same
database under another connection name), from the primary otherwise; read-only either way."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.main import create_app
from shared.settings import Settings
from tests.fixtures.api import auth
from tests.fixtures.builders import MakeKey

READERS = text(
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND application_name = 'tidi-read'"
)


@pytest.fixture
async def replica_app(test_settings: Settings) -> AsyncIterator[FastAPI]:
    """The API with `DATABASE_READ_URL` pointing at the test database."""
    url = SecretStr(test_settings.database_url())
    application = create_app(test_settings.model_copy(update={"DATABASE_READ_URL": url}))
    async with application.router.lifespan_context(application):
        yield application


async def _readers(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(READERS) or 0)


async def test_statistics_use_the_read_url_when_set(
    replica_app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession], make_key: MakeKey
) -> None:
    key = await make_key("observer")
    transport = httpx.ASGITransport(app=replica_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tidi.test") as client:
        response = await client.get("/v1/stats/programme", headers=auth(key.secret))
    assert response.status_code == 200, response.text
    # The pool keeps the connection the statistics were read through.
    assert await _readers(sessionmaker) >= 1
    async with replica_app.state.read_sessionmaker() as session:
        name = await session.scalar(text("SELECT current_setting('application_name')"))
        assert name == "tidi-read"


async def test_statistics_use_the_primary_when_unset(
    app: FastAPI,
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_key: MakeKey,
) -> None:
    key = await make_key("observer")
    before = await _readers(sessionmaker)  # another test's replica pool may still be closing
    response = await client.get("/v1/stats/programme/regions", headers=auth(key.secret))
    assert response.status_code == 200, response.text
    assert await _readers(sessionmaker) <= before
    async with app.state.read_sessionmaker() as session:
        assert await session.scalar(text("SELECT current_setting('application_name')")) == "tidi"


@pytest.mark.parametrize("replica", [True, False])
async def test_the_read_session_cannot_write(
    replica: bool, replica_app: FastAPI, app: FastAPI
) -> None:
    chosen = replica_app if replica else app
    async with chosen.state.read_sessionmaker() as session:
        assert await session.scalar(text("SHOW transaction_read_only")) == "on"
        with pytest.raises(DBAPIError, match="read-only transaction"):
            await session.execute(text("UPDATE funds SET name = name"))
