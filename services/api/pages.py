"""Turning a keyset page of ORM rows into the API's `Page[T]`."""

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import PageParams
from shared.audit import repository as audit_repository
from shared.audit.schemas import AuditEntryRead
from shared.db.pagination import SortKey, paginate
from shared.schemas import Page

ReadT = TypeVar("ReadT", bound=BaseModel)


async def page_of(
    session: AsyncSession,
    statement: Select[Any],
    *,
    sort: SortKey,
    page: PageParams,
    read: type[ReadT],
    convert: Callable[[Any], ReadT] | None = None,
) -> Page[ReadT]:
    """One page of `statement` in `sort` order, each row converted to `read`."""
    result = await paginate(session, statement, sort=sort, limit=page.limit, cursor=page.cursor)
    to_read = convert or read.model_validate
    return Page[read](  # type: ignore[valid-type]
        items=[to_read(row) for row in result.items], next_cursor=result.next_cursor
    )


async def history_page(
    session: AsyncSession, subject_type: str, subject_id: object, page: PageParams
) -> Page[AuditEntryRead]:
    """The audit entries of one record, newest first (the caller checked it may see it)."""
    statement = audit_repository.list_statement(
        subject_type=subject_type, subject_id=str(subject_id), action=None, since=None
    )
    return await page_of(
        session, statement, sort=audit_repository.NEWEST_FIRST, page=page, read=AuditEntryRead
    )
