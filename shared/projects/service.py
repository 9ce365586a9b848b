"""Project behaviour: create, edit drafts, lifecycle actions; each change audited and announced."""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.errors import Forbidden, Unprocessable
from shared.events.catalogue import EventType, ProjectEventData
from shared.events.service import new_event
from shared.geography.models import Commune
from shared.outbox import service as outbox_service
from shared.principal import Principal, Role
from shared.projects import repository
from shared.projects.enums import ProjectStatus
from shared.projects.errors import ProjectNotEditable, ProjectNotFound, ReasonRequired
from shared.projects.models import Project
from shared.projects.schemas import ProjectCreate, ProjectRead, ProjectUpdate, Site
from shared.projects.states import (
    EDITABLE_STATUSES,
    PROJECT_MACHINE,
    REASON_REQUIRED,
)
from shared.states import Actor
from shared.territories import repository as territory_repository
from shared.territories.errors import UnknownReference

PROJECT_URL = "/v1/projects/{id}"


def to_read(project: Project) -> ProjectRead:
    """The API view of a project."""
    return ProjectRead.model_validate(
        {
            **{c.key: getattr(project, c.key) for c in Project.__table__.columns},
            "allowed_actions": PROJECT_MACHINE.allowed_actions(project.status),
        }
    )


async def get(
    session: AsyncSession,
    principal: Principal,
    project_id: uuid.UUID,
    *,
    for_update: bool = False,
    operator_projects: Select[Any] | None = None,
) -> Project:
    """A project the principal may see, or `ProjectNotFound` (never another tenant's);
    `operator_projects` as in `repository.readable`."""
    project = await repository.get_readable(
        session, principal, project_id, for_update=for_update, operator_projects=operator_projects
    )
    if project is None:
        raise ProjectNotFound(f"no project with id {project_id}")
    return project


async def create(session: AsyncSession, principal: Principal, data: ProjectCreate) -> Project:
    """Register a draft project in the principal's territory (admins: any, or none)."""
    territory_id = await _territory_for(session, principal, data.territory_id)
    site = await _site_document(session, data.site, pointer="/body/site/commune_insee")
    project = Project(
        id=uuid.uuid4(),
        territory_id=territory_id,
        status=PROJECT_MACHINE.transitions[0].source,
        title=data.title,
        description=data.description,
        nature=data.nature,
        priorities=list(data.priorities),
        holder=data.holder.model_dump(mode="json"),
        holder_siren=data.holder.siren,
        site=site,
        site_region_code=site["region_code"],
        investment_total_cents=data.investment_total_cents,
        planned_start=data.planned_start,
        planned_end=data.planned_end,
        jobs_created=data.jobs_created,
        jobs_maintained=data.jobs_maintained,
        relocation=data.relocation.model_dump(mode="json"),
        is_collective=data.is_collective,
        contacts=[c.model_dump(mode="json") for c in data.contacts],
        created_by_key_id=principal.key_id,
    )
    session.add(project)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="project.created",
        subject_type="project",
        subject_id=project.id,
        changes=data.model_dump(mode="json", exclude={"contacts"}),
    )
    return project


async def update(
    session: AsyncSession,
    principal: Principal,
    project: Project,
    data: ProjectUpdate,
    *,
    if_match: int | None,
) -> Project:
    """Change a draft or active project (If-Match required); emits `project.updated`.

    An active project keeps its holder's SIREN: its applications are made in that name.
    """
    _require_writer(principal, project)
    check_version(project.version, if_match)
    if project.status not in EDITABLE_STATUSES:
        raise ProjectNotEditable(
            f"a {project.status.value} project cannot be edited; only draft and active "
            "ones can (a submitted one once returned to draft)"
        )
    changes: dict[str, Any] = data.model_dump(mode="json", exclude_unset=True)
    if (
        project.status is not ProjectStatus.DRAFT
        and "holder" in changes
        and changes["holder"]["siren"] != project.holder_siren
    ):
        raise ProjectNotEditable(
            "an active project's holder keeps its SIREN: its applications are made in that name",
            pointer="/body/holder/siren",
        )
    start = data.planned_start if "planned_start" in changes else project.planned_start
    end = data.planned_end if "planned_end" in changes else project.planned_end
    if start and end and end < start:
        raise Unprocessable(
            "planned_end must not be before planned_start", pointer="/body/planned_end"
        )
    for field, value in changes.items():
        if field == "site":
            site = await _site_document(session, Site.model_validate(value), pointer="/body/site")
            project.site, project.site_region_code = site, site["region_code"]
        elif field == "holder":
            project.holder, project.holder_siren = value, value["siren"]
        elif field in {"planned_start", "planned_end", "nature", "priorities"}:
            # Typed values (dates, enum members), not their JSON forms.
            setattr(project, field, getattr(data, field))
        else:
            setattr(project, field, value)
    project.updated_at = func.now()
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="project.updated",
        subject_type="project",
        subject_id=project.id,
        changes={k: v for k, v in changes.items() if k != "contacts"},
    )
    await _announce(session, project, EventType.PROJECT_UPDATED, previous=None)
    return project


async def transition(
    session: AsyncSession,
    principal: Principal,
    project: Project,
    action: str,
    *,
    reason: str | None,
    if_match: int | None,
) -> Project:
    """Perform a lifecycle action (submit, accept, return…) with actor and reason recorded."""
    _require_writer(principal, project)
    check_version(project.version, if_match)
    actor = (
        Actor.APPLICANT
        if action in {"submit", "withdraw", "complete", "abandon"}
        else Actor.TERRITORY
    )
    step = PROJECT_MACHINE.check(project.status, action, actor)
    if action in REASON_REQUIRED and not reason:
        raise ReasonRequired(f"say why you {action} this project", pointer="/body/reason")
    previous = project.status
    project.status = step.target
    if action == "submit":
        project.submitted_at = datetime.now(UTC)
    project.updated_at = func.now()
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action=f"project.{action}",
        subject_type="project",
        subject_id=project.id,
        changes={"status": {"from": previous.value, "to": step.target.value}},
        reason=reason,
    )
    event = EventType.PROJECT_SUBMITTED if action == "submit" else EventType.PROJECT_STATUS_CHANGED
    await _announce(session, project, event, previous=previous.value)
    return project


async def _announce(
    session: AsyncSession, project: Project, event: EventType, *, previous: str | None
) -> None:
    data = ProjectEventData(
        id=project.id,
        url=PROJECT_URL.format(id=project.id),
        status=project.status.value,
        previous_status=previous,
        occurred_at=project.updated_at,
        sequence=project.version,
        territory_id=project.territory_id,
        region_code=project.site_region_code,
        nature=project.nature.value,
        priorities=[p.value for p in project.priorities],
        investment_total_cents=project.investment_total_cents,
    )
    announced = new_event(
        event,
        data,
        subject_type="project",
        subject_id=project.id,
        sequence=project.version,
        territory_id=project.territory_id,
    )
    await outbox_service.record_event(
        session,
        announced,
        route_tags=[
            f"nature:{project.nature.value}",
            *(f"priority:{priority.value}" for priority in project.priorities),
        ],
    )


def _require_writer(principal: Principal, project: Project) -> None:
    if principal.is_admin:
        return
    if principal.role is Role.TERRITORY and principal.territory_id == project.territory_id:
        return
    raise Forbidden("only admins and the project's territory may change it")


async def _territory_for(
    session: AsyncSession, principal: Principal, requested: uuid.UUID | None
) -> uuid.UUID | None:
    if principal.role is Role.TERRITORY:
        if requested is not None and requested != principal.territory_id:
            raise Forbidden(
                "territory keys create projects in their own territory only",
                pointer="/body/territory_id",
            )
        return principal.territory_id
    if requested is not None:
        territory = await territory_repository.get_by_id(session, requested)
        if territory is None:
            raise UnknownReference(
                f"no territory with id {requested}", pointer="/body/territory_id"
            )
    return requested


async def _site_document(session: AsyncSession, site: Site, *, pointer: str) -> dict[str, Any]:
    region_code = None
    if site.commune_insee is not None:
        commune = await session.get(Commune, site.commune_insee)
        if commune is None:
            raise UnknownReference(
                f"no commune with INSEE code {site.commune_insee}", pointer=pointer
            )
        region_code = commune.region_code
    return {**site.model_dump(mode="json"), "region_code": region_code}
