"""Two connections reading one snapshot, so that a report's statements run at once.

A report session (`engine.create_read_sessionmaker`) is a REPEATABLE READ transaction: its
statements see one snapshot of the data. `same_snapshot` opens a second such session, on
its own connection, whose transaction imports that snapshot (PostgreSQL's
`pg_export_snapshot()` and `SET TRANSACTION SNAPSHOT`, documented under "Snapshot
Synchronization Functions"; on a hot standby too, since PostgreSQL 10). Each connection is
served by its own server process: two heavy statements, one on each, take the time of the
longer instead of the sum, and still add up figures of the same data.
"""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.engine import ReportSession

_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")
"""What `pg_export_snapshot()` returns (e.g. `00000003-0000001B-1`)."""


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
