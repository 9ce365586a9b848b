"""Submitting, withdrawing, reopening and expiring applications.

Each action writes the status, an audit entry and an outbox event (with its webhook
deliveries) in one statement, if the row is still at the version read. Submission also
snapshots the project and defers the scoring job, enqueued only after commit under a
deterministic id.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import LoaderCallableStatus, joinedload

from shared.applications import permissions, service
from shared.applications.enums import ApplicationStatus
from shared.applications.errors import IncompleteApplication, OutsideWindow
from shared.applications.models import Application
from shared.applications.schemas import Completeness, ProjectSnapshot
from shared.applications.states import APPLICATION_MACHINE
from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.events import service as event_service
from shared.events.catalogue import ApplicationEventData, EventType
from shared.funds.models import Fund
from shared.jobs import JobRequest, defer_job
from shared.outbox.service import record_change
from shared.principal import SYSTEM, Principal
from shared.projects.models import Project
from shared.states import Actor

SCORE_JOB = "eligibility.score_application"
APPLICATION_URL = "/v1/applications/{id}"
_EVENTS = {
    "submit": EventType.APPLICATION_SUBMITTED,
    "withdraw": EventType.APPLICATION_WITHDRAWN,
    "expire": EventType.APPLICATION_EXPIRED,
}
_SNAPSHOT_COLUMNS = tuple(name for name in ProjectSnapshot.model_fields if name != "project_id")


def score_job(application: Application) -> JobRequest:
    """The scoring job of this submission: one id per application and submission."""
    return JobRequest(
        SCORE_JOB,
        job_id=f"score:{application.id}:{application.submission_no}",
        kwargs={"application_id": str(application.id)},
    )


async def submit(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    *,
    if_match: int | None,
    report: Completeness,
    frozen: dict[str, object],
    now: datetime | None = None,
) -> Application:
    """Submit a draft inside the fund's window when `report` (its completeness, computed by
    the caller from the fund's rules) leaves nothing required, with `frozen`, its project's
    scoring inputs (`snapshot`).
    """
    service.require_writer(principal, application.territory_id)
    check_version(application.version, if_match)
    permissions.check(application, "submit", principal)
    now = now or datetime.now(UTC)
    fund = application.fund
    if not fund.is_open_at(now):
        raise OutsideWindow(
            f"{fund.code} takes submissions {_window(fund)}; now is {now.isoformat()}",
            opens_at=fund.opens_at.isoformat() if fund.opens_at else None,
            closes_at=fund.closes_at.isoformat() if fund.closes_at else None,
        )
    if not report.complete:
        required = [item for item in report.missing if item.required]
        raise IncompleteApplication(
            f"{len(required)} item(s) missing before submission",
            missing=[item.model_dump() for item in required],
        )
    application = await _move(
        session,
        principal,
        application,
        "submit",
        reason=None,
        values={
            "project_snapshot": frozen,
            "submission_no": application.submission_no + 1,
            "submitted_at": now,
        },
    )
    defer_job(session, score_job(application))
    return application


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    *,
    reason: str | None,
    if_match: int | None,
) -> Application:
    """Withdraw an application at any stage before approval."""
    service.require_writer(principal, application.territory_id)
    check_version(application.version, if_match)
    return await _move(session, principal, application, "withdraw", reason=reason)


async def reopen(
    session: AsyncSession, principal: Principal, application: Application, *, if_match: int | None
) -> Application:
    """Send an undetermined application back to draft so missing inputs can be completed."""
    service.require_writer(principal, application.territory_id)
    check_version(application.version, if_match)
    return await _move(session, principal, application, "reopen", reason=None)


async def expire_due_drafts(session: AsyncSession, *, now: datetime | None = None) -> int:
    """Expire the drafts of funds whose window has closed; returns how many."""
    now = now or datetime.now(UTC)
    due = await session.scalars(
        select(Application)
        .join(Fund, Fund.id == Application.fund_id)
        .options(joinedload(Application.fund))
        .where(Application.status == ApplicationStatus.DRAFT, Fund.closes_at <= now)
        .with_for_update(of=Application, skip_locked=True)
        .limit(500)
    )
    expired = 0
    for application in list(due):
        await _move(session, SYSTEM, application, "expire", reason="the fund's window closed")
        expired += 1
    return expired


async def project_of(session: AsyncSession, application: Application) -> Project:
    """The application's project, as loaded with it (or read now).

    No lock is needed for the snapshot: it is the project's row as this transaction reads
    it, whole; an edit of the (active) project commits before or after it, never inside.
    """
    if inspect(application).attrs.project.loaded_value is LoaderCallableStatus.NO_VALUE:
        return await session.get_one(Project, application.project_id)
    return application.project


async def _move(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    action: str,
    *,
    reason: str | None,
    values: dict[str, Any] | None = None,
) -> Application:
    """Perform `action`: status (and `values`), audit entry and event in one statement."""
    if principal is SYSTEM and action == "expire":
        step = APPLICATION_MACHINE.check(application.status, action, Actor.SYSTEM)
    else:
        step = permissions.check(application, action, principal)
    previous = application.status
    await record_change(
        session,
        application,
        {"status": step.target, **(values or {})},
        audit_service.entry_values(
            principal,
            action=f"application.{action}",
            subject_type="application",
            subject_id=application.id,
            changes={"status": {"from": previous.value, "to": step.target.value}},
            reason=reason,
        ),
        event=_event(application, _EVENTS[action], step.target, previous=previous)
        if action in _EVENTS
        else None,
    )
    return application


def _event(
    application: Application,
    event: EventType,
    status: ApplicationStatus,
    *,
    previous: ApplicationStatus,
) -> event_service.NewEvent:
    """The event announcing the move to `status` (stamped by the statement that writes it)."""
    data = ApplicationEventData(**event_fields(application, status, previous=previous))
    return application_event(application, event, data)


def event_fields(
    application: Application, status: ApplicationStatus, *, previous: ApplicationStatus
) -> dict[str, Any]:
    """What every application event says of a move to `status` (its sequence and instant
    are stamped by the statement that writes the move)."""
    return {
        "id": application.id,
        "url": APPLICATION_URL.format(id=application.id),
        "status": status.value,
        "previous_status": previous.value,
        "occurred_at": application.updated_at,
        "sequence": application.version + 1,
        "project_id": application.project_id,
        "fund_code": application.fund.code,
        "territory_id": application.territory_id,
        "region_code": application.region_code,
        "requested_amount_cents": application.requested_amount_cents,
        "eligible_expense_base_cents": application.eligible_expense_base_cents,
    }


def application_event(
    application: Application, event: EventType, data: ApplicationEventData
) -> event_service.NewEvent:
    """The outbox event `event` of `application`'s next version, addressed to its tenants:
    the fund's operator, its territory, and the Region preselecting it (if the fund has
    regional preselection). Its fund must be loaded."""
    return event_service.new_event(
        event,
        data,
        subject_type="application",
        subject_id=application.id,
        sequence=application.version + 1,
        fund_id=application.fund_id,
        operator_id=application.operator_id,
        territory_id=application.territory_id,
        deciding_region=application.region_code if application.fund.regional_preselection else None,
    )


def snapshot(project: Project) -> dict[str, object]:
    """The project's scoring inputs as stored JSON (validated like the project's API view)."""
    fields = {name: getattr(project, name) for name in _SNAPSHOT_COLUMNS}
    snapshot = ProjectSnapshot.model_validate({**fields, "project_id": project.id})
    return snapshot.model_dump(mode="json")


def _window(fund: Fund) -> str:
    opens = fund.opens_at.isoformat() if fund.opens_at else "any time"
    closes = fund.closes_at.isoformat() if fund.closes_at else "no closing date"
    return f"from {opens} until {closes}"
