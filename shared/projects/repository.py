"""Queries over projects, scoped to what the principal may see."""

import uuid
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

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


def readable(
    principal: Principal, *, operator_projects: Select[Any] | None = None
) -> Select[Project]:
    """Projects the principal may see: admins all, territories theirs, observers none, and
    operators the ids `operator_projects` selects — those that applied to their funds, which
    the applications domain knows (`shared.applications.repository.projects_shown_to`);
    without it, an operator sees none.
    """
    statement = select(Project)
    if principal.role is Role.OPERATOR:
        if operator_projects is None:
            return statement.where(false())
        return statement.where(Project.id.in_(operator_projects))
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
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    *,
    for_update: bool = False,
    operator_projects: Select[Any] | None = None,
) -> Project | None:
    """One project if the principal may see it (optionally locked for update)."""
    statement = readable(principal, operator_projects=operator_projects)
    statement = statement.where(Project.id == project_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)
