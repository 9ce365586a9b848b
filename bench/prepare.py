"""A bench database ready for tidi's requests: migrated, seeded, a territory key, drafts.

The funds' windows are opened; one complete draft (with its accepted project) is made
through tidi's API, in process, then cloned in SQL, each clone with its own project. Then
one submit and one `GET /v1/funds` are captured: the statements and parameters tidi sends
to PostgreSQL for them (SQLAlchemy's `before_cursor_execute` event), which the benchmarks
compare with the bare app's (`bench/tidi_statements.py`).

`_tidi` is the one place that imports tidi's internals: adapt it when they move.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.harness import Failed, dsn, recreate, sqlalchemy_url

Captured = list[tuple[str, tuple[Any, ...]]]
OPEN_FUNDS = (
    "UPDATE funds SET opens_at = now() - interval '30 days', "
    "closes_at = now() + interval '365 days'"
)


@dataclass(frozen=True)
class Prepared:
    """A prepared database: its key, its unused drafts, and what tidi sent for one submit
    (of `captured_id`) and one funds page."""

    secret: str
    key_id: uuid.UUID
    territory_id: uuid.UUID
    drafts: list[str]
    captured: dict[str, Captured]
    captured_id: str


def _tidi() -> SimpleNamespace:
    """tidi's internals the preparation calls (the one place to adapt when they move)."""
    from migrations.commands import upgrade
    from services.api.main import create_app
    from shared.auth import service as auth_service
    from shared.auth.schemas import ApiKeyCreate
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.principal import SYSTEM, Role
    from shared.seeding.service import seed_geography, seed_programme
    from shared.settings import Settings
    from shared.territories import service as territory_service
    from shared.territories.schemas import TerritoryCreate
    from tests.fixtures.bodies import application_body, project_body

    return SimpleNamespace(
        create_app=create_app,
        auth_service=auth_service,
        Role=Role,
        SYSTEM=SYSTEM,
        ApiKeyCreate=ApiKeyCreate,
        create_engine=create_engine,
        create_sessionmaker=create_sessionmaker,
        upgrade=upgrade,
        seed_geography=seed_geography,
        seed_programme=seed_programme,
        Settings=Settings,
        territory_service=territory_service,
        TerritoryCreate=TerritoryCreate,
        application_body=application_body,
        project_body=project_body,
    )


def prepare(database: str, redis: str, drafts: int) -> Prepared:
    """Recreate `database` and fill it as described above, with `drafts` unused drafts."""
    asyncio.run(recreate(database))
    tidi = _tidi()
    tidi.upgrade(sqlalchemy_url(database))  # Alembic runs its own event loop
    return asyncio.run(_prepare(tidi, database, redis, drafts))


async def _prepare(tidi: SimpleNamespace, database: str, redis: str, drafts: int) -> Prepared:
    settings = tidi.Settings(
        DATABASE_URL=sqlalchemy_url(database),
        REDIS_URL=redis,
        DATABASE_POOL_SIZE=2,  # the requests in process come one at a time
        _env_file=None,
    )
    key, secret = await _seed(tidi, settings)
    await _execute(database, OPEN_FUNDS)
    async with in_process_client(tidi.create_app(settings), secret) as client:
        ids = await _clone(database, await _template_draft(tidi, client), drafts + 2)

        def submit(application_id: str) -> Awaitable[httpx.Response]:
            return client.post(
                f"/v1/applications/{application_id}/submit", headers={"If-Match": '"1"'}
            )

        # The first of each warms the caches (key, compiled statements); the second is kept.
        await _captured(lambda: submit(ids[0]))
        await _captured(lambda: client.get("/v1/funds"))
        captured = {
            "submit": await _captured(lambda: submit(ids[1])),
            "funds": await _captured(lambda: client.get("/v1/funds")),
        }
    return Prepared(secret, key.id, key.territory_id, ids[2:], captured, ids[1])


@asynccontextmanager
async def in_process_client(app: Any, secret: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `app` in this process (its lifespan run), sending `secret` as its key."""
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://bench",
            headers={"Authorization": f"Bearer {secret}"},
        ) as client,
    ):
        yield client


async def _seed(tidi: SimpleNamespace, settings: Any) -> tuple[Any, str]:
    """Geography, operators, funds, one territory and its key."""
    engine = tidi.create_engine(settings)
    try:
        async with tidi.create_sessionmaker(engine)() as session:
            await tidi.seed_geography(session)
            await tidi.seed_programme(session)
            territory = await tidi.territory_service.create(
                session,
                tidi.SYSTEM,
                tidi.TerritoryCreate(
                    code="ti-bench", name="Bench", region_code="53", epci_sirens=["245614433"]
                ),
            )
            key, secret = await tidi.auth_service.create_key(
                session,
                tidi.SYSTEM,
                tidi.ApiKeyCreate(
                    name="bench", role=tidi.Role.TERRITORY, territory_id=territory.id
                ),
            )
            await session.commit()
    finally:
        await engine.dispose()
    return key, secret


async def _template_draft(tidi: SimpleNamespace, client: httpx.AsyncClient) -> str:
    """A complete draft application of an accepted project, made through the API."""
    project = await _json(client.post("/v1/projects", json=tidi.project_body()))
    for action in ("submit", "accept"):
        project = await _json(
            client.post(
                f"/v1/projects/{project['id']}/{action}",
                headers={"If-Match": f'"{project["version"]}"'},
            )
        )
    draft = await _json(client.post("/v1/applications", json=tidi.application_body(project["id"])))
    return str(draft["id"])


async def _json(request: Awaitable[httpx.Response]) -> dict[str, Any]:
    response = await request
    if response.is_error:
        raise Failed(f"{response.request.url}: {response.status_code} {response.text[:500]}")
    body: dict[str, Any] = response.json()
    return body


async def _clone(database: str, template: str, count: int) -> list[str]:
    """`count` copies of the template draft, each with a copy of its project; their ids."""
    connection = await asyncpg.connect(dsn(database))
    try:
        await connection.execute(
            "CREATE TEMP TABLE clones AS SELECT n, gen_random_uuid() AS project_id, "
            f"gen_random_uuid() AS application_id FROM generate_series(1, {int(count)}) AS n"
        )
        for table, alias, replaced in (
            ("projects", "p", {"id": "c.project_id"}),
            ("applications", "a", {"id": "c.application_id", "project_id": "c.project_id"}),
        ):
            names = [
                row["column_name"]
                for row in await connection.fetch(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position",
                    table,
                )
            ]
            values = ", ".join(replaced.get(name, f"{alias}.{name}") for name in names)
            await connection.execute(
                f"INSERT INTO {table} ({', '.join(names)}) SELECT {values} FROM clones c, "
                "applications a JOIN projects p ON p.id = a.project_id WHERE a.id = $1",
                uuid.UUID(template),
            )
        rows = await connection.fetch("SELECT application_id FROM clones ORDER BY n")
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return [str(row["application_id"]) for row in rows]


async def _execute(database: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn(database))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def _captured(send: Callable[[], Awaitable[httpx.Response]]) -> Captured:
    """The statements and parameters tidi sends to PostgreSQL while answering one request."""
    statements: Captured = []

    def record(*args: Any) -> None:
        # (connection, cursor, statement, parameters, context, executemany)
        statements.append((args[2], tuple(args[3] or ())))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        await _json(send())
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return statements
