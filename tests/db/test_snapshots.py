"""`same_snapshot`: a second report session, on its own connection, that sees exactly what
the first sees — not what was committed after it began, nor anything it may write; `both`:
two statements at once on two connections while the pool can spare one, never waiting."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db.engine import create_engine, create_read_sessionmaker
from shared.db.snapshots import both, same_snapshot
from shared.settings import Settings

COUNT = text("SELECT count(*) FROM snapshot_probe")
PID = text("SELECT pg_backend_pid()")


@pytest.fixture
async def probe(engine: AsyncEngine) -> AsyncIterator[None]:
    """A table of one row, dropped after the test."""
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE snapshot_probe (n int)"))
        await connection.execute(text("INSERT INTO snapshot_probe VALUES (1)"))
    yield
    async with engine.begin() as connection:
        await connection.execute(text("DROP TABLE snapshot_probe"))


@pytest.fixture
def reports(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_read_sessionmaker(engine)


async def _insert(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("INSERT INTO snapshot_probe VALUES (2)"))


async def test_the_second_session_sees_the_first_ones_snapshot(
    probe: None, engine: AsyncEngine, reports: async_sessionmaker[AsyncSession]
) -> None:
    async with reports() as session:
        assert await session.scalar(COUNT) == 1
        await _insert(engine)  # committed after the report's snapshot was taken
        assert await session.scalar(COUNT) == 1
        async with same_snapshot(session) as other:
            assert await other.scalar(COUNT) == 1
            assert await other.scalar(PID) != await session.scalar(PID)
    async with reports() as later:
        assert await later.scalar(COUNT) == 2


async def test_what_was_committed_before_is_seen(
    probe: None, engine: AsyncEngine, reports: async_sessionmaker[AsyncSession]
) -> None:
    await _insert(engine)
    async with reports() as session, same_snapshot(session) as other:
        assert await other.scalar(COUNT) == 2


async def test_the_second_session_is_read_only(
    probe: None, reports: async_sessionmaker[AsyncSession]
) -> None:
    async with reports() as session, same_snapshot(session) as other:
        with pytest.raises(DBAPIError, match="read-only transaction"):
            await other.execute(text("INSERT INTO snapshot_probe VALUES (3)"))


async def test_both_run_at_once_while_the_pool_can_spare_a_connection(
    test_settings: Settings, migrated_database: str
) -> None:
    """A pool of 3 spares one second connection: the first report gets it, and a report
    running meanwhile runs its two statements one after the other on its own session,
    without waiting for a connection."""
    engine = create_engine(test_settings, pool_size=3)
    reports = create_read_sessionmaker(engine)
    held, release = asyncio.Event(), asyncio.Event()
    seen: dict[str, list[int]] = {"first": [], "second": []}

    async def pid(session: AsyncSession) -> int:
        return int(await session.scalar(PID) or 0)

    async def holding(session: AsyncSession) -> int:
        held.set()
        await release.wait()
        return await pid(session)

    async def report(name: str, second: Callable[[AsyncSession], Awaitable[int]]) -> None:
        async with reports() as session:
            seen[name] = [await pid(session), *await both(session, pid, second)]

    try:
        first = asyncio.create_task(report("first", holding))
        await held.wait()
        await asyncio.wait_for(report("second", pid), timeout=10)
        release.set()
        await first
    finally:
        await engine.dispose()
    own, *at_once = seen["first"]
    assert at_once[0] == own
    assert at_once[1] != own  # the second statement on another connection
    assert len(set(seen["second"])) == 1  # both on the report's own connection
