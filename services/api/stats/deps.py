"""The session statistics read through: the replica when `DATABASE_READ_URL` is set."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A read-only session on the reporting database (`DATABASE_READ_URL`, else the
    primary): one REPEATABLE READ transaction, so a report's statements see one snapshot."""
    async with request.app.state.read_sessionmaker() as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
