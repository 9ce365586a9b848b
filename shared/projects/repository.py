"""Queries over projects, scoped to what the principal may see."""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.filters import RecordFilters, contains_pattern
from shared.db.pagination import SortKey
from shared.principal import Principal, Role
from shared.projects.enums import ProjectStatus
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
    operators and regions the ids `operator_projects` selects — those with an application
    they may see, which the applications domain knows
    (`shared.applications.repository.projects_shown_to`); without it, they see none.
    """
    statement = select(Project)
    if principal.role in (Role.OPERATOR, Role.REGION):
        if operator_projects is None:
            return statement.where(false())
        return statement.where(Project.id.in_(operator_projects))
    if principal.role is Role.OBSERVER:
        return statement.where(false())
    return statement.where(territory_condition(principal, Project.territory_id))


def filtered(
    statement: Select[Project],
    filters: RecordFilters,
    *,
    status: list[ProjectStatus] | None = None,
) -> Select[Project]:
    """Apply the list filters (each one optional)."""
    if status:
        statement = statement.where(Project.status.in_(status))
    if filters.territory_id is not None:
        statement = statement.where(Project.territory_id == filters.territory_id)
    if filters.region is not None:
        statement = statement.where(Project.site_region_code == filters.region)
    statement = statement.where(*described_by(filters))
    return filters.window.apply(statement, Project.created_at, Project.updated_at)


def described_by(filters: RecordFilters) -> list[ColumnElement[bool]]:
    """Conditions on a project's classification and title (also used by application lists)."""
    conditions = []
    if filters.priority is not None:
        conditions.append(Project.priorities.contains([filters.priority]))
    if filters.nature is not None:
        conditions.append(Project.nature == filters.nature)
    if filters.q:
        conditions.append(Project.title.ilike(contains_pattern(filters.q), escape="\\"))
    return conditions


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
