"""The session statistics read through: the replica when `DATABASE_READ_URL` is set."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.sessions import SessionKind, open_session


async def get_read_session(request: Request) -> AsyncSession:
    """A read-only session on the reporting database (`DATABASE_READ_URL`, else the
    primary): one REPEATABLE READ transaction, so a report's statements see one snapshot."""
    return open_session(request, SessionKind.REPORT)


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


async def get_streaming_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A reporting session like `get_read_session`'s, kept open until the response has
    been sent: a streamed file reads its rows as it sends them."""
    async with request.app.state.read_sessionmaker() as session:
        yield session
