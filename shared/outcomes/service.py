"""Outcome reports: what a funded project achieved, reported by its territory (or an admin)
once the agreement is signed; each report is kept, audited and announced
(`outcome.reported`) in the caller's transaction."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications import permissions
from shared.applications import service as applications
from shared.applications.enums import ApplicationStatus
from shared.applications.errors import ApplicationNotFound
from shared.applications.models import Application
from shared.audit import service as audit_service
from shared.errors import DateOutOfRange, Forbidden
from shared.events.catalogue import EventType, OutcomeReportedData
from shared.events.service import NewEvent, new_event
from shared.outbox.service import record_event
from shared.outcomes import repository
from shared.outcomes.errors import OutcomeNotFound, OutcomesNotOpen
from shared.outcomes.models import Outcome
from shared.outcomes.schemas import OutcomeReportCreate, PlannedFigures
from shared.principal import SYSTEM, Principal
from shared.states import Actor

OPEN_STATUSES = (
    ApplicationStatus.AGREEMENT_SIGNED,
    ApplicationStatus.FUNDED,
    ApplicationStatus.CLOSED,
)
"""Where outcomes are reported: from the signed agreement on."""

OUTCOME_URL = "/v1/outcomes/{id}"


async def report(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    data: OutcomeReportCreate,
    *,
    today: date | None = None,
) -> Outcome:
    """Record a report on `application` (its fund loaded), with its audit entry and event.

    Raises:
        OutcomesNotOpen: the agreement is not signed (or the award was cancelled).
        DateOutOfRange: `reported_on` is in the future or before the agreement's signature.
    """
    if Actor.APPLICANT not in permissions.actors_of(principal):
        raise Forbidden("only the project's territory (or an admin) reports its outcomes")
    if application.status not in OPEN_STATUSES:
        allowed = ", ".join(status.value for status in OPEN_STATUSES)
        raise OutcomesNotOpen(
            f"the application is {application.status.value}; outcomes are reported once its "
            f"agreement is signed ({allowed})",
            application_status=application.status.value,
        )
    _check_date(application, data.reported_on, today or datetime.now(UTC).date())
    outcome = Outcome(
        id=uuid.uuid4(),
        application_id=application.id,
        **data.model_dump(),
        reported_by_role="system" if principal is SYSTEM else principal.role.value,
        reported_by_key_id=principal.key_id,
    )
    session.add(outcome)
    await session.flush()
    figures = data.model_dump(mode="json", exclude={"comment"})
    await audit_service.record(
        session,
        principal,
        action="application.outcome_reported",
        subject_type="application",
        subject_id=application.id,
        changes={"outcome_id": str(outcome.id), **figures},
        reason=data.comment,
    )
    await record_event(session, _event(application, outcome))
    return outcome


async def get(session: AsyncSession, principal: Principal, outcome_id: uuid.UUID) -> Outcome:
    """A report whose application the caller may read, or `OutcomeNotFound` (never another
    tenant's: its application is read through the caller's scope)."""
    outcome = await repository.get(session, outcome_id)
    if outcome is not None:
        try:
            await applications.get(session, principal, outcome.application_id)
        except ApplicationNotFound:
            outcome = None
    if outcome is None:
        raise OutcomeNotFound(f"no outcome report with id {outcome_id}")
    return outcome


def planned(application: Application) -> PlannedFigures | None:
    """The planned figures of the application's project snapshot (None before submission)."""
    snapshot: dict[str, Any] | None = application.project_snapshot
    if snapshot is None:
        return None
    return PlannedFigures(
        jobs_created=int(snapshot.get("jobs_created") or 0),
        jobs_maintained=int(snapshot.get("jobs_maintained") or 0),
        investment_cents=int(snapshot.get("investment_total_cents") or 0),
    )


def _check_date(application: Application, reported_on: date, today: date) -> None:
    if reported_on > today:
        raise DateOutOfRange(f"{reported_on} is in the future", pointer="/body/reported_on")
    signed = (application.agreement or {}).get("signed_on")
    if signed is not None and reported_on < date.fromisoformat(signed):
        raise DateOutOfRange(
            f"{reported_on} is before the agreement was signed ({signed})",
            pointer="/body/reported_on",
        )


def _event(application: Application, outcome: Outcome) -> NewEvent:
    data = OutcomeReportedData(
        id=outcome.id,
        url=OUTCOME_URL.format(id=outcome.id),
        occurred_at=outcome.created_at,
        sequence=1,
        application_id=application.id,
        project_id=application.project_id,
        fund_code=application.fund.code,
        territory_id=application.territory_id,
        region_code=application.region_code,
        reported_on=outcome.reported_on,
        jobs_created=outcome.jobs_created,
        jobs_maintained=outcome.jobs_maintained,
        investment_cents=outcome.investment_cents,
    )
    return new_event(
        EventType.OUTCOME_REPORTED,
        data,
        subject_type="outcome",
        subject_id=outcome.id,
        sequence=1,
        fund_id=application.fund_id,
        operator_id=application.operator_id,
        territory_id=application.territory_id,
        deciding_region=application.region_code if application.fund.regional_preselection else None,
    )
