"""Queries over projects, scoped to what the principal may see."""

import uuid

from sqlalchemy import Select, exists, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications.models import Application
from shared.auth.models import Role
from shared.auth.principal import Principal
from shared.db.filters import TimeWindow, contains_pattern
from shared.db.pagination import SortKey
from shared.projects.enums import Priority, ProjectNature, ProjectStatus
from shared.projects.models import Project
from shared.tenancy import territory_condition

SORTS = {
    "created_at": SortKey("created_at", ((Project.created_at, False), (Project.id, False))),
    "-created_at": SortKey("-created_at", ((Project.created_at, True), (Project.id, True))),
    "updated_at": SortKey("updated_at", ((Project.updated_at, False), (Project.id, False))),
    "-updated_at": SortKey("-updated_at", ((Project.updated_at, True), (Project.id, True))),
    "title": SortKey("title", ((Project.title, False), (Project.id, False))),
    "-title": SortKey("-title", ((Project.title, True), (Project.id, True))),
}


def readable(principal: Principal) -> Select[Project]:
    """Projects the principal may see: admins all, territories theirs, operators those with
    an application submitted to one of their funds, observers none.
    """
    statement = select(Project)
    if principal.role is Role.OPERATOR:
        return statement.where(
            exists().where(
                Application.project_id == Project.id,
                Application.operator_id == principal.operator_id,
                Application.submitted_at.is_not(None),
            )
        )
    if principal.role is Role.OBSERVER:
        return statement.where(false())
    return statement.where(territory_condition(principal, Project.territory_id))


def filtered(
    statement: Select[Project],
    *,
    status: list[ProjectStatus] | None = None,
    territory_id: uuid.UUID | None = None,
    region: str | None = None,
    priority: Priority | None = None,
    nature: ProjectNature | None = None,
    q: str | None = None,
    window: TimeWindow = TimeWindow(),
) -> Select[Project]:
    """Apply the list filters (each one optional)."""
    if status:
        statement = statement.where(Project.status.in_(status))
    if territory_id is not None:
        statement = statement.where(Project.territory_id == territory_id)
    if region is not None:
        statement = statement.where(Project.site_region_code == region)
    if priority is not None:
        statement = statement.where(Project.priorities.contains([priority]))
    if nature is not None:
        statement = statement.where(Project.nature == nature)
    if q:
        statement = statement.where(Project.title.ilike(contains_pattern(q), escape="\\"))
    return window.apply(statement, Project.created_at, Project.updated_at)


async def get_readable(
    session: AsyncSession, principal: Principal, project_id: uuid.UUID, *, for_update: bool = False
) -> Project | None:
    """One project if the principal may see it (optionally locked for update)."""
    statement = readable(principal).where(Project.id == project_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)
