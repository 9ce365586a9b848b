"""The request's database sessions: opened by its dependencies, ended by its route.

A dependency opens a session with `open_session` (`deps.get_session`, the application
actions of `acting`, the reports' `stats.deps`); `TidiRoute` ends every session its request
opened once the endpoint has answered: it commits a transaction, refuses what an
autocommit session left pending in the ORM, releases a report's snapshot, closes them all,
then enqueues the jobs the services deferred and announces the keys they revoked. On any
exception it closes them (closing rolls back) and drops the jobs and the notices.

The route ends them rather than generator dependencies: FastAPI runs each generator
dependency in an exit stack with a shielded exit, which cost `GET /v1/funds` a tenth of
its instructions (bench/instructions.py).
"""

from enum import Enum

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth.cache import take_revoked
from shared.db.engine import refuse_pending_changes
from shared.jobs import enqueue_logged, take_deferred_jobs

_OPENED = "tidi.sessions"
"""The ASGI scope key of the sessions a request opened (set by its route)."""


class SessionKind(Enum):
    """How a request's session ends."""

    TRANSACTION = "transaction"
    """Committed after the endpoint: the change writes several statements."""
    AUTOCOMMIT = "autocommit"
    """Each statement commits itself (a read; a change written in one statement): no
    BEGIN and COMMIT round trips; ORM changes left pending are refused."""
    REPORT = "report"
    """A read-only snapshot on the reporting database, released at the end."""


def open_session(request: Request, kind: SessionKind) -> AsyncSession:
    """A new session of `kind` for this request, ended by its route."""
    state = request.app.state
    if kind is SessionKind.AUTOCOMMIT:
        session: AsyncSession = state.statement_sessionmaker()
    elif kind is SessionKind.TRANSACTION:
        session = state.sessionmaker()
    else:
        session = state.read_sessionmaker()
    request.scope[_OPENED].append((session, kind))  # KeyError: not under a TidiRoute
    return session


def own_sessions(request: Request) -> None:
    """Let the request's dependencies open sessions (its route ends them)."""
    request.scope[_OPENED] = []


async def end_sessions(request: Request, *, failed: bool) -> None:
    """End the sessions the request opened, as the module says; a commit that fails
    closes them all and raises."""
    opened: list[tuple[AsyncSession, SessionKind]] = request.scope.pop(_OPENED, [])
    try:
        if not failed:
            for session, kind in opened:
                await _conclude(session, kind)
    finally:
        for session, _ in opened:
            await session.close()
    if not failed:
        for session, _ in opened:
            await _after_commit(request, session)


async def _conclude(session: AsyncSession, kind: SessionKind) -> None:
    if kind is SessionKind.TRANSACTION:
        await session.commit()
    elif kind is SessionKind.AUTOCOMMIT:
        refuse_pending_changes(session.sync_session)


async def _after_commit(request: Request, session: AsyncSession) -> None:
    """Announce the keys `session` revoked and enqueue the jobs it deferred."""
    state = request.app.state
    revoked = take_revoked(session)
    if revoked:
        await state.revocations.announce(revoked)
    jobs = take_deferred_jobs(session)
    if jobs:
        await enqueue_logged(state.arq, jobs, base_queue=state.settings.WORKER_QUEUE_NAME)
