"""PostgreSQL refusing or losing connections is a 503 with `Retry-After`, never a 500; a
job that meets it is retried, not lost.

The refusals are real: a role with a `CONNECTION LIMIT` (PostgreSQL answers SQLSTATE
53300 "too many connections", as a full server does), a port nothing listens on, and the
role's backends terminated as a server restart would.
"""

import asyncio
import secrets
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from arq import ArqRedis, Retry, create_pool
from arq.connections import RedisSettings
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.main import create_app
from services.worker.jobs import applications as jobs
from shared.db.engine import create_engine, create_sessionmaker
from shared.eligibility.models import Assessment
from shared.operators.models import Operator
from shared.settings import Settings
from tests.eligibility.flows import submitted
from tests.fixtures.api import auth
from tests.fixtures.bodies import friche_application
from tests.fixtures.builders import Key, MakeKey, MakeTerritory
from tests.fixtures.database import ADMIN_URL
from tests.fixtures.http import assert_problem

CONNECTION_LIMIT = 2
BURST = 40


@dataclass(frozen=True)
class LimitedRole:
    """A login role of the test database allowed `CONNECTION_LIMIT` connections."""

    name: str
    settings: Settings

    async def hold(self) -> asyncpg.Connection:
        """One of the role's connections, opened outside any pool."""
        return await asyncpg.connect(_plain(self.settings.database_url()))

    async def terminate_backends(self) -> None:
        """End the role's server processes, as a restart does, and wait until they are gone."""
        admin = await asyncpg.connect(ADMIN_URL)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1",
                self.name,
            )
            for _ in range(500):
                alive = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE usename = $1", self.name
                )
                if alive == 0:
                    return
                await asyncio.sleep(0.01)
            raise AssertionError(f"{alive} backends of {self.name} still running")
        finally:
            await admin.close()


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


@pytest.fixture
async def limited_role(test_settings: Settings, database_name: str) -> AsyncIterator[LimitedRole]:
    """A role limited to a few connections, reading and writing the test database."""
    name = f"{database_name}_limited"[:63]
    password = secrets.token_urlsafe(16)
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        await admin.execute(
            f"CREATE ROLE \"{name}\" LOGIN PASSWORD '{password}' "
            f"CONNECTION LIMIT {CONNECTION_LIMIT} IN ROLE pg_read_all_data, pg_write_all_data"
        )
        url = make_url(test_settings.database_url()).set(username=name, password=password)
        settings = test_settings.model_copy(
            update={
                "DATABASE_URL": SecretStr(url.render_as_string(hide_password=False)),
                "DATABASE_POOL_SIZE": CONNECTION_LIMIT,
                "DATABASE_MAX_OVERFLOW": 3,  # beyond the limit: refused
                "API_KEY_CACHE_SECONDS": 0,  # every request reads the database
            }
        )
        role = LimitedRole(name, settings)
        yield role
        await role.terminate_backends()
        await admin.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        await admin.close()


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The API on `settings`, started and stopped around the block."""
    app: FastAPI = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://tidi.test") as client,
    ):
        yield client


def assert_unavailable(response: httpx.Response) -> None:
    body = assert_problem(response, 503)
    assert response.headers["retry-after"].isdigit(), response.headers
    assert body["type"].endswith("/unavailable"), body


def closed_port_settings(settings: Settings) -> Settings:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = make_url(settings.database_url()).set(host="127.0.0.1", port=port)
    return settings.model_copy(
        update={"DATABASE_URL": SecretStr(url.render_as_string(hide_password=False))}
    )


async def operators_named(sessionmaker: async_sessionmaker[AsyncSession], prefix: str) -> int:
    async with sessionmaker() as session:
        count = await session.scalar(
            select(func.count()).select_from(Operator).where(Operator.code.startswith(prefix))
        )
    return int(count or 0)


class TestTooManyConnections:
    async def test_a_burst_beyond_the_server_limit_is_2xx_or_503_never_500(
        self,
        limited_role: LimitedRole,
        admin_key: Key,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        headers = auth(admin_key.secret)
        async with serving(limited_role.settings) as client:
            reads = [client.get("/v1/funds", headers=headers) for _ in range(BURST)]
            writes = [
                client.post(
                    "/v1/operators",
                    json={"code": f"op-burst-{n}", "name": f"Burst {n}", "kind": "state"},
                    headers=headers,
                )
                for n in range(BURST // 2)
            ]
            answers = await asyncio.gather(*reads, *writes)
            after = await client.get("/v1/funds", headers=headers)

        statuses = sorted({r.status_code for r in answers})
        assert set(statuses) <= {200, 201, 503}, [r.text for r in answers if r.status_code >= 500]
        refused = [r for r in answers if r.status_code == 503]
        assert refused, "the burst never went beyond the role's connection limit"
        for response in refused:
            assert_unavailable(response)
        assert any(r.status_code == 200 for r in answers), "nothing served during the burst"
        assert after.status_code == 200, after.text
        created = sum(r.status_code == 201 for r in answers)
        assert await operators_named(sessionmaker, "op-burst-") == created

    async def test_every_connection_taken_elsewhere_is_503(
        self, limited_role: LimitedRole, admin_key: Key
    ) -> None:
        held = [await limited_role.hold() for _ in range(CONNECTION_LIMIT)]
        try:
            async with serving(limited_role.settings) as client:
                refused = await client.get("/v1/funds", headers=auth(admin_key.secret))
        finally:
            for connection in held:
                await connection.close()
        assert_unavailable(refused)


class TestServerDown:
    async def test_connection_refused_is_503_for_reads_and_writes(
        self, test_settings: Settings, admin_key: Key
    ) -> None:
        headers = auth(admin_key.secret)
        async with serving(closed_port_settings(test_settings)) as client:
            read = await client.get("/v1/funds", headers=headers)
            write = await client.post(
                "/v1/operators", json={"code": "op-down", "name": "Down", "kind": "state"},
                headers=headers,
            )  # fmt: skip
        assert_unavailable(read)
        assert_unavailable(write)

    async def test_connections_lost_under_the_pool_are_503_then_the_service_resumes(
        self, limited_role: LimitedRole, admin_key: Key
    ) -> None:
        headers = auth(admin_key.secret)
        async with serving(limited_role.settings) as client:
            assert (await client.get("/v1/funds", headers=headers)).status_code == 200
            await limited_role.terminate_backends()
            lost = await client.get("/v1/funds", headers=headers)
            resumed = await client.get("/v1/funds", headers=headers)
        assert_unavailable(lost)
        assert resumed.status_code == 200, resumed.text


@pytest.fixture
async def arq_pool(test_settings: Settings) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(test_settings.redis_url()))
    yield pool
    await pool.aclose()


@pytest.mark.usefixtures("open_fund_windows")
class TestWorker:
    async def test_a_scoring_job_refused_a_connection_is_retried_then_scores(
        self,
        limited_role: LimitedRole,
        portal: Any,
        make_territory: MakeTerritory,
        make_key: MakeKey,
        arq_pool: ArqRedis,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        territory = await make_territory("ti-pontivy")
        key = await make_key("territory", territory_id=territory.id)
        application = await submitted(portal(key.secret), **friche_application())
        engine = create_engine(limited_role.settings)
        ctx: Any = {"sessionmaker": create_sessionmaker(engine), "redis": arq_pool}
        held = [await limited_role.hold() for _ in range(CONNECTION_LIMIT)]
        try:
            with pytest.raises(Retry):
                await jobs.score_application(ctx, application["id"])
            assert await assessments(sessionmaker, application["id"]) == 0
        finally:
            for connection in held:
                await connection.close()
        try:
            assert await jobs.score_application(ctx, application["id"]) == "eligible"
        finally:
            await engine.dispose()
        assert await assessments(sessionmaker, application["id"]) > 0


async def assessments(sessionmaker: async_sessionmaker[AsyncSession], app_id: str) -> int:
    async with sessionmaker() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Assessment)
            .where(Assessment.application_id == uuid.UUID(app_id))
        )
    return int(count or 0)
