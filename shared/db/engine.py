"""Engine and session factory: one of each per process."""

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import Executable, Result, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from shared.settings import Settings

# SQLSTATEs of a server that cannot serve now: connection exceptions (class 08),
# insufficient resources (class 53: too many connections, out of memory, disk full), and
# shutdown or start-up in progress (57P01 admin_shutdown, 57P02 crash_shutdown,
# 57P03 cannot_connect_now).
_UNAVAILABLE_CLASSES = ("08", "53")
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})


def create_engine(settings: Settings, *, pool_size: int | None = None) -> AsyncEngine:
    """An asyncpg engine for the configured database."""
    return _engine(settings, settings.database_url(), {"application_name": "tidi"}, pool_size)


def create_read_engine(settings: Settings) -> AsyncEngine | None:
    """An engine on `DATABASE_READ_URL` (a streaming replica) for reporting, whose
    transactions are read-only (`tidi-read` in `pg_stat_activity`); None when unset."""
    url = settings.database_read_url()
    if url is None:
        return None
    server = {"application_name": "tidi-read", "default_transaction_read_only": "on"}
    return _engine(settings, url, server, None)


def _engine(
    settings: Settings, url: str, server_settings: dict[str, str], pool_size: int | None
) -> AsyncEngine:
    engine = create_async_engine(
        url,
        pool_size=pool_size or settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_MAX_OVERFLOW,
        pool_timeout=settings.DATABASE_POOL_TIMEOUT_SECONDS,
        pool_recycle=1800,
        # The most recently used connection first: it holds the statements this process
        # prepared last (asyncpg's cache is per connection), where a FIFO pool hands out
        # the one idle longest, cold for every statement until each has seen it.
        pool_use_lifo=True,
        connect_args={"server_settings": server_settings},
        json_serializer=json_text,
        json_deserializer=orjson.loads,
    )
    event.listen(engine.sync_engine, "handle_error", _unavailable_as_operational)
    return engine


def json_text(value: Any) -> str:
    """A JSON(B) column's document as text: orjson, several times faster than `json`
    (non-string keys written as strings, as `json.dumps` does); `json` for an integer
    beyond 64 bits, which orjson does not write (the API refuses them in documents)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def _unavailable_as_operational(context: ExceptionContext) -> OperationalError | None:
    """Raise a server that cannot serve now as PEP 249's `OperationalError`, as psycopg does
    (the asyncpg dialect leaves it a bare `DBAPIError`): the API answers it 503 and the
    worker retries the job.
    """
    error = context.sqlalchemy_exception
    if error is None or isinstance(error, OperationalError):
        return None
    sqlstate = str(getattr(context.original_exception, "sqlstate", None) or "")
    unavailable = sqlstate.startswith(_UNAVAILABLE_CLASSES) or sqlstate in _UNAVAILABLE_STATES
    if not (unavailable or context.is_disconnect):
        return None
    return OperationalError(
        context.statement,
        context.parameters,
        context.original_exception,
        connection_invalidated=context.is_disconnect,
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (responses read them)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def create_statement_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose statements each commit on their own: no BEGIN and COMMIT round trips.

    For operations that read, then write everything in ONE statement (a state change by
    `update_audited`), which is atomic by itself; the version check of that statement
    stands in for the transaction's isolation. Such a session refuses an ORM flush, which
    could write in several statements.
    """
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=StatementSession,
    )


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for reports: each a read-only REPEATABLE READ transaction, so the several
    statements of one report see one snapshot of the data (and can write nothing).

    On the primary's engine it shares the primary's pool; on `create_read_engine`'s, the
    replica's.
    """
    return async_sessionmaker(
        engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True),
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=ReportSession,
    )


class ReportSession(Session):
    """A reporting session (see `create_read_sessionmaker`): read-only, without JIT."""


@event.listens_for(ReportSession, "after_begin")
def _without_jit(_session: Session, _transaction: Any, connection: Any) -> None:
    # A report's aggregates run for a fraction of a second to a few seconds: compiling them
    # (PostgreSQL's JIT, chosen by their estimated cost) takes longer than it saves.
    connection.exec_driver_sql("SET LOCAL jit = off")


class StatementSession(Session):
    """An autocommit session (see `create_statement_sessionmaker`): writes by statement only."""


@event.listens_for(StatementSession, "before_flush")
def refuse_pending_changes(session: Session, *_: Any) -> None:
    """Refuse ORM changes in an autocommit session: they would be written by a flush of
    several statements, outside any transaction."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError(
            "an autocommit session writes in one statement; this change needs a transaction"
        )


async def execute_rows(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any]
) -> Result[Any]:
    """Execute a statement that returns plain rows (no ORM entity) on the session's
    connection, in its transaction, without the ORM's execution path (entity handling that
    rows do not use: 2 % of a submit's instructions for its two rule reads). Sessions
    here do not autoflush, so nothing is skipped."""
    connection = await session.connection()
    return await connection.execute(statement, params)


async def open_connections(engine: AsyncEngine, count: int) -> None:
    """Open `count` pooled connections now (each set up once), not under the first load."""

    async def touch() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    await asyncio.gather(*(touch() for _ in range(count)))
