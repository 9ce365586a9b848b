"""Two connections reading one snapshot, so that a report's statements run at once.

A report session (`engine.create_read_sessionmaker`) is a REPEATABLE READ transaction: its
statements see one snapshot of the data. `same_snapshot` opens a second such session, on
its own connection, whose transaction imports that snapshot (PostgreSQL's
`pg_export_snapshot()` and `SET TRANSACTION SNAPSHOT`, documented under "Snapshot
Synchronization Functions"; on a hot standby too, since PostgreSQL 10). Each connection is
served by its own server process: two heavy statements, one on each, take the time of the
longer instead of the sum, and still add up figures of the same data.

A report holding one connection never waits for a second (reports waiting for each other's
connections could exhaust the pool): `both` runs the two statements at once only while
fewer reports than half the pool hold a second connection, else one after the other.
"""

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.pool import Pool, QueuePool

from shared.db.engine import ReportSession

T = TypeVar("T")
U = TypeVar("U")
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")
"""What `pg_export_snapshot()` returns (e.g. `00000003-0000001B-1`)."""
_SECOND_CONNECTIONS: "WeakKeyDictionary[Pool, int]" = WeakKeyDictionary()
"""Per pool, the reports holding a second connection now (one event loop: no lock)."""


async def both(
    session: AsyncSession,
    first: Callable[[AsyncSession], Awaitable[T]],
    second: Callable[[AsyncSession], Awaitable[U]],
) -> tuple[T, U]:
    """`first(session)` and `second` on a session of the same snapshot: at once on a
    second connection when the pool can spare one, else one after the other on `session`."""
    pool = _pool(session)
    held = _SECOND_CONNECTIONS.get(pool, 0)
    if isinstance(pool, QueuePool) and held >= pool.size() // 2:
        return await first(session), await second(session)
    _SECOND_CONNECTIONS[pool] = held + 1
    try:
        async with same_snapshot(session) as other:
            return await asyncio.gather(first(session), second(other))
    finally:
        _SECOND_CONNECTIONS[pool] -= 1


@asynccontextmanager
async def same_snapshot(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """A read-only session on another connection of `session`'s engine, seeing exactly
    what `session` (a report session) sees, until both end."""
    snapshot = await session.scalar(select(func.pg_export_snapshot()))
    if not isinstance(snapshot, str) or not _SNAPSHOT_ID.fullmatch(snapshot):
        raise RuntimeError(f"unexpected snapshot id from the server: {snapshot!r}")
    async with AsyncSession(
        bind=session.bind,
        sync_session_class=ReportSession,
        expire_on_commit=False,
        autoflush=False,
    ) as other:
        # A utility statement takes no parameter; the id was checked above. It must be the
        # transaction's first query (the session's `after_begin` runs only a SET before it).
        await other.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
        yield other


def _pool(session: AsyncSession) -> Pool:
    bind = session.bind
    if bind is None:
        raise RuntimeError("a report session is bound to its engine")
    return bind.sync_engine.pool
