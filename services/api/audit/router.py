"""The audit log (admin)."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from services.api.deps import AdminOnly, PageDep, SessionDep
from services.api.pages import page_of
from services.api.routing import TidiRoute
from shared.audit import repository
from shared.audit.schemas import AuditEntryRead
from shared.schemas import Page

router = APIRouter(prefix="/v1/audit", tags=["audit"], route_class=TidiRoute)


@router.get("", summary="List audit entries")
async def list_audit_entries(
    _: AdminOnly,
    session: SessionDep,
    page: PageDep,
    subject_type: Annotated[str | None, Query(max_length=50, examples=["territory"])] = None,
    subject_id: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=100, examples=["territory.updated"])] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="Entries at or after this moment.")
    ] = None,
) -> Page[AuditEntryRead]:
    """Every recorded change, newest first."""
    return await page_of(
        session,
        repository.list_statement(
            subject_type=subject_type, subject_id=subject_id, action=action, since=since
        ),
        sort=repository.NEWEST_FIRST,
        page=page,
        read=AuditEntryRead,
    )
