"""Fixtures of the delivery tests: keys, endpoints through the API, running workers."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from services.worker.runner import build_workers, close_workers, run_workers
from shared.settings import Settings
from tests.fixtures.api import auth
from tests.fixtures.builders import Key, MakeKey, MakeTerritory

pytestmark = pytest.mark.filterwarnings(
    "ignore:Call to deprecated close:DeprecationWarning:arq.worker"
)


@pytest.fixture
async def operator_key(make_key: MakeKey) -> Key:
    """A Bpifrance key (the operator of the fonds d'accélération)."""
    return await make_key("operator", operator_code="bpifrance")


@pytest.fixture
async def territory_key(make_territory: MakeTerritory, make_key: MakeKey) -> tuple[Any, Key]:
    territory = await make_territory("ti-pontivy")
    key = await make_key("territory", territory_id=territory.id)
    return territory, key


async def create_endpoint(
    client: httpx.AsyncClient, key: Key, url: str, **fields: Any
) -> dict[str, Any]:
    """An endpoint created through the API (with its secret)."""
    response = await client.post(
        "/v1/webhook-endpoints", json={"url": url, **fields}, headers=auth(key.secret)
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@asynccontextmanager
async def running_workers(settings: Settings, **overrides: Any) -> AsyncIterator[None]:
    """The three workers of a `tidi worker` process, running in this event loop."""
    workers = build_workers(settings, **({"poll_delay": 0.01} | overrides))
    task = asyncio.create_task(run_workers(workers))
    try:
        yield
    finally:
        await close_workers(workers)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.fixture
def workers(test_settings: Settings) -> Callable[..., Any]:
    """`async with workers(): ...` runs the worker processes' workers meanwhile."""
    return lambda settings=None, **kw: running_workers(settings or test_settings, **kw)


async def scalar(sessionmaker: Any, sql: str, **params: Any) -> Any:
    async with sessionmaker() as session:
        return await session.scalar(text(sql), params)
