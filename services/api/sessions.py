"""The request's database sessions: opened by its dependencies, ended by its route.

Dependencies open sessions with `open_session`; `TidiRoute` ends them once the endpoint has
answered: it commits a transaction, refuses what an autocommit session left pending in the
ORM, closes them all, then enqueues the jobs the services deferred and announces the keys
they revoked. On any exception it closes them (closing rolls back) and drops both.
The route ends them, not generator dependencies: FastAPI's exit stack with a shielded
exit cost `GET /v1/funds` 4 % of its instructions (bench/instructions.py). The reports'
read-only session stays one (`stats/deps.py`): an export streams after the endpoint returns.
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

    TRANSACTION = "sessionmaker"
    """Committed after the endpoint: the change writes several statements."""
    AUTOCOMMIT = "statement_sessionmaker"
    """Each statement commits itself (a read, or a change written in one statement): no
    BEGIN and COMMIT round trips; ORM changes left pending are refused."""


def open_session(request: Request, kind: SessionKind) -> AsyncSession:
    """A new session of `kind` (named by its sessionmaker in the app's state), ended by
    the request's route."""
    session: AsyncSession = getattr(request.app.state, kind.value)()
    request.scope[_OPENED].append((session, kind))  # KeyError: not under a TidiRoute
    return session


def own_sessions(request: Request) -> None:
    """Let the request's dependencies open sessions (its route ends them)."""
    request.scope[_OPENED] = []


async def end_sessions(request: Request, *, failed: bool) -> None:
    """End the sessions the request opened; a commit that fails closes them all and raises."""
    opened: list[tuple[AsyncSession, SessionKind]] = request.scope.pop(_OPENED, [])
    concluded = [] if failed else opened
    try:
        for session, kind in concluded:
            if kind is SessionKind.TRANSACTION:
                await session.commit()
            elif kind is SessionKind.AUTOCOMMIT:
                refuse_pending_changes(session.sync_session)
    finally:
        for session, _ in opened:
            await session.close()
    state = request.app.state
    for session, _ in concluded:
        if revoked := take_revoked(session):
            await state.revocations.announce(revoked)
        if jobs := take_deferred_jobs(session):
            await enqueue_logged(state.arq, jobs, base_queue=state.settings.WORKER_QUEUE_NAME)
