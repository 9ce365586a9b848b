"""Submitting, withdrawing, reopening and expiring applications.

Each action writes the status, an audit entry and an outbox event in the caller's
transaction; submission also snapshots the project and defers the scoring job,
enqueued only after commit under a deterministic id.
"""

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from shared.applications import service
from shared.applications.enums import ApplicationStatus
from shared.applications.errors import IncompleteApplication, OutsideWindow
from shared.applications.models import Application
from shared.applications.schemas import ProjectSnapshot
from shared.applications.states import APPLICATION_MACHINE
from shared.audit import service as audit_service
from shared.auth.principal import SYSTEM, Principal
from shared.concurrency import check_version
from shared.events import service as event_service
from shared.events.catalogue import ApplicationEventData, EventType
from shared.funds.models import Fund
from shared.jobs import JobRequest, defer_job
from shared.projects.models import Project
from shared.projects.schemas import ProjectRead
from shared.projects.service import to_read as project_to_read
from shared.states import Actor

SCORE_JOB = "eligibility.score_application"
APPLICATION_URL = "/v1/applications/{id}"
_EVENTS = {
    "submit": EventType.APPLICATION_SUBMITTED,
    "withdraw": EventType.APPLICATION_WITHDRAWN,
    "expire": EventType.APPLICATION_EXPIRED,
}


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
    now: datetime | None = None,
) -> Application:
    """Submit a complete draft inside the fund's window; snapshots the project's scoring inputs."""
    service.require_writer(principal, application.territory_id)
    check_version(application.version, if_match)
    APPLICATION_MACHINE.check(application.status, "submit", Actor.APPLICANT)
    now = now or datetime.now(UTC)
    fund = application.fund
    if not fund.is_open_at(now):
        raise OutsideWindow(
            f"{fund.code} takes submissions {_window(fund)}; now is {now.isoformat()}",
            opens_at=fund.opens_at.isoformat() if fund.opens_at else None,
            closes_at=fund.closes_at.isoformat() if fund.closes_at else None,
        )
    report = service.completeness(application, now=now)
    if not report.complete:
        raise IncompleteApplication(
            f"{len(report.missing)} item(s) missing before submission",
            missing=[m.model_dump() for m in report.missing],
        )
    project = await session.get_one(Project, application.project_id, with_for_update=True)
    application.project_snapshot = _snapshot(project_to_read(project))
    application.submission_no += 1
    application.submitted_at = now
    application = await _move(session, principal, application, "submit", reason=None)
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


async def _move(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    action: str,
    *,
    reason: str | None,
) -> Application:
    actor = Actor.SYSTEM if principal is SYSTEM and action == "expire" else Actor.APPLICANT
    step = APPLICATION_MACHINE.check(application.status, action, actor)
    previous = application.status
    application.status = step.target
    application.updated_at = func.now()
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action=f"application.{action}",
        subject_type="application",
        subject_id=application.id,
        changes={"status": {"from": previous.value, "to": step.target.value}},
        reason=reason,
    )
    if action in _EVENTS:
        await _announce(session, application, _EVENTS[action], previous=previous)
    return application


async def _announce(
    session: AsyncSession,
    application: Application,
    event: EventType,
    *,
    previous: ApplicationStatus,
) -> None:
    await event_service.record_event(
        session,
        event,
        ApplicationEventData(
            id=application.id,
            url=APPLICATION_URL.format(id=application.id),
            status=application.status.value,
            previous_status=previous.value,
            occurred_at=application.updated_at,
            sequence=application.version,
            project_id=application.project_id,
            fund_code=application.fund.code,
            territory_id=application.territory_id,
            region_code=application.region_code,
            requested_amount_cents=application.requested_amount_cents,
            eligible_expense_base_cents=application.eligible_expense_base_cents,
        ),
        subject_type="application",
        subject_id=application.id,
        sequence=application.version,
        fund_id=application.fund_id,
        operator_id=application.operator_id,
        territory_id=application.territory_id,
    )


def _snapshot(project: ProjectRead) -> dict[str, object]:
    snapshot = ProjectSnapshot.model_validate({**project.model_dump(), "project_id": project.id})
    return snapshot.model_dump(mode="json")


def _window(fund: Fund) -> str:
    opens = fund.opens_at.isoformat() if fund.opens_at else "any time"
    closes = fund.closes_at.isoformat() if fund.closes_at else "no closing date"
    return f"from {opens} until {closes}"
