"""An API instance sized like a deployment, for the concurrency and idempotency tests."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from services.api.main import create_app
from shared.settings import Settings


@pytest.fixture(scope="session")
async def deployed_app(engine: AsyncEngine, test_settings: Settings) -> AsyncIterator[FastAPI]:
    """The API with the default connection pool (10 + 10 overflow), as deployed.

    Dozens of simultaneous requests then queue for a connection instead of opening
    one each, which keeps the parallel test workers within PostgreSQL's limit.
    """
    settings = test_settings.model_copy(
        update={"DATABASE_POOL_SIZE": 10, "DATABASE_MAX_OVERFLOW": 10}
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def deployed_client(deployed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `deployed_app`; concurrent requests share it."""
    transport = httpx.ASGITransport(app=deployed_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tidi.test") as client:
        yield client
