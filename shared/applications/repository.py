"""Queries over applications, scoped to what the principal may see."""

import uuid
from functools import lru_cache

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.db.filters import RecordFilters
from shared.db.pagination import SortKey
from shared.funds.models import Fund
from shared.principal import Principal, Role
from shared.projects import repository as project_repository
from shared.projects.models import Project
from shared.tenancy import territory_condition

SORTS = {
    "created_at": SortKey("created_at", ((Application.created_at, False), (Application.id, False))),
    "-created_at": SortKey("-created_at", ((Application.created_at, True), (Application.id, True))),
    "updated_at": SortKey("updated_at", ((Application.updated_at, False), (Application.id, False))),
    "-updated_at": SortKey("-updated_at", ((Application.updated_at, True), (Application.id, True))),
}


_WITH_FUND = select(Application).options(joinedload(Application.fund))
"""Applications with their fund (built once: loader options cost to build)."""


def _submitted_to(principal: Principal) -> tuple[ColumnElement[bool], ...] | None:
    """For an operator or a region key, the applications it may see: submitted to one of
    the operator's funds, or with their site in the region for a fund with regional
    preselection; None for the other roles."""
    submitted = Application.submitted_at.is_not(None)
    if principal.role is Role.OPERATOR:
        return (Application.operator_id == principal.operator_id, submitted)
    if principal.role is Role.REGION:
        preselecting = select(Fund.id).where(Fund.regional_preselection.is_(True))
        return (
            Application.region_code == principal.region_code,
            Application.fund_id.in_(preselecting),
            submitted,
        )
    return None


def projects_shown_to(principal: Principal) -> Select[uuid.UUID] | None:
    """For an operator or a region key, the ids of the projects it may read: those with an
    application it may see (`shared.projects.repository.readable`); else None."""
    conditions = _submitted_to(principal)
    if conditions is None:
        return None
    return select(Application.project_id).where(*conditions)


def readable(principal: Principal) -> Select[Application]:
    """Applications the principal may see: admins all, territories theirs, operators those
    submitted to their funds, regions those to preselect in their region, observers none.
    """
    statement = _WITH_FUND
    if (conditions := _submitted_to(principal)) is not None:
        return statement.where(*conditions)
    if principal.role is Role.OBSERVER:
        return statement.where(false())
    return statement.where(territory_condition(principal, Application.territory_id))


def filtered(
    statement: Select[Application],
    filters: RecordFilters,
    *,
    status: list[ApplicationStatus] | None = None,
    fund: str | None = None,
    project_id: uuid.UUID | None = None,
    information_overdue: bool | None = None,
) -> Select[Application]:
    """Apply the list filters (each one optional)."""
    if information_overdue is not None:
        overdue = and_(
            Application.status == ApplicationStatus.INFORMATION_REQUESTED,
            Application.information_due_on < func.current_date(),
        )
        statement = statement.where(overdue if information_overdue else not_(overdue))
    if status:
        statement = statement.where(Application.status.in_(status))
    if fund is not None:
        statement = statement.where(
            Application.fund_id.in_(select(Fund.id).where(Fund.code == fund))
        )
    if project_id is not None:
        statement = statement.where(Application.project_id == project_id)
    if filters.territory_id is not None:
        statement = statement.where(Application.territory_id == filters.territory_id)
    if filters.region is not None:
        statement = statement.where(Application.region_code == filters.region)
    if described := project_repository.described_by(filters):
        statement = statement.where(
            Application.project_id.in_(select(Project.id).where(*described))
        )
    return filters.window.apply(statement, Application.created_at, Application.updated_at)


async def get_readable(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    *,
    with_project: bool = False,
) -> Application | None:
    """One application if the principal may see it (with its project: same query)."""
    statement = _one_readable(principal, with_project=with_project)
    return await session.scalar(statement, {"application_id": application_id})


@lru_cache(maxsize=512)
def _one_readable(principal: Principal, *, with_project: bool) -> Select[Application]:
    """The statement reading one application as `principal`, built once per key (id bound)."""
    statement = readable(principal).where(Application.id == bindparam("application_id"))
    if with_project:
        statement = statement.options(joinedload(Application.project))
    return statement
