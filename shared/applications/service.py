"""Draft applications: create, edit, read, and the completeness check."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications import permissions, repository
from shared.applications.enums import CLOSED_STATUSES, ApplicationStatus
from shared.applications.errors import (
    AmountNotAllowed,
    ApplicationNotEditable,
    ApplicationNotFound,
    ContradictoryDeclarations,
    DuplicateApplication,
    FundNotAccepting,
    ProjectNotActive,
)
from shared.applications.models import Application
from shared.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    ApplicationUpdate,
    Completeness,
    FundWindow,
    MissingItem,
    ProgrammeDataItem,
)
from shared.applications.states import APPLICATION_MACHINE, EDITABLE_STATUSES
from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.errors import Forbidden, Unprocessable
from shared.funds import repository as fund_repository
from shared.funds.models import Fund, FundKind, FundStatus
from shared.funds.questions import answer_errors
from shared.principal import Principal, Role
from shared.projects import service as project_service
from shared.projects.enums import ProjectStatus
from shared.projects.models import Project

_FIRST_STATUS = APPLICATION_MACHINE.transitions[0].source


def to_read(
    application: Application, principal: Principal, *, today: date | None = None
) -> ApplicationRead:
    """The API view of an application as `principal` sees it (its fund must be loaded)."""
    return ApplicationRead.model_validate(
        {
            **columns_of(application),
            "fund_code": application.fund.code,
            "allowed_actions": permissions.allowed_actions(application, principal),
            "information_overdue": information_overdue(application, today),
        }
    )


def columns_of(application: Application) -> dict[str, Any]:
    """Its mapped columns by name (the table also holds columns the statistics read)."""
    return {c.key: getattr(application, c.key) for c in Application.__mapper__.column_attrs}


def information_overdue(application: Application, today: date | None = None) -> bool:
    """Whether the application waits on information past its due date."""
    due = application.information_due_on
    waiting = application.status is ApplicationStatus.INFORMATION_REQUESTED
    return waiting and due is not None and due < (today or datetime.now(UTC).date())


async def get(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    *,
    with_project: bool = False,
) -> Application:
    """An application the principal may see, or `ApplicationNotFound` (never another tenant's).

    `with_project` loads its project in the same query (submission snapshots it).
    """
    application = await repository.get_readable(
        session, principal, application_id, with_project=with_project
    )
    if application is None:
        raise ApplicationNotFound(f"no application with id {application_id}")
    return application


async def create(
    session: AsyncSession, principal: Principal, data: ApplicationCreate
) -> Application:
    """Open a draft application of an active project to a fund that takes applications."""
    project = await project_service.get(session, principal, data.project_id, for_update=True)
    require_writer(principal, project.territory_id)
    if project.status is not ProjectStatus.ACTIVE:
        raise ProjectNotActive(
            f"the project is {project.status.value}; only an active project can apply to a fund"
        )
    fund = await fund_repository.get_by_code(session, data.fund_code)
    if fund is None:
        raise Unprocessable(f"no fund with code {data.fund_code!r}", pointer="/body/fund_code")
    _check_fund_accepts(fund)
    if await _open_application_exists(session, project.id, fund.id):
        raise DuplicateApplication(
            f"the project already has an open application to {fund.code}; "
            "withdraw it before applying again"
        )
    values = data.model_dump(mode="json", exclude={"project_id", "fund_code", "applicant_siren"})
    _check_content(fund, data.model_dump(exclude_unset=True), values, partial=True)
    check_declarations(project.holder, values["attestations"])
    application = Application(
        id=uuid.uuid4(),
        project_id=project.id,
        fund_id=fund.id,
        territory_id=project.territory_id,
        operator_id=fund.operator_id,
        region_code=project.site_region_code,
        fund=fund,
        status=_FIRST_STATUS,
        applicant_siren=data.applicant_siren or project.holder_siren,
        created_by_key_id=principal.key_id,
        **values,
    )
    session.add(application)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="application.created",
        subject_type="application",
        subject_id=application.id,
        changes={"project_id": str(project.id), "fund_code": fund.code},
    )
    return application


async def update(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    data: ApplicationUpdate,
    *,
    if_match: int | None,
) -> Application:
    """Change a draft (If-Match required)."""
    require_writer(principal, application.territory_id)
    check_version(application.version, if_match)
    changes = data.model_dump(mode="json", exclude_unset=True)
    _check_editable(application, changes)
    merged = {
        "requested_amount_cents": application.requested_amount_cents,
        "eligible_expense_base_cents": application.eligible_expense_base_cents,
        "aid_form": application.aid_form,
        "answers": application.answers,
    } | changes
    _check_content(application.fund, changes, merged, partial=True)
    if "attestations" in changes:
        project = await session.get_one(Project, application.project_id)
        check_declarations(project.holder, changes["attestations"])
    for field, value in changes.items():
        setattr(application, field, value)
    application.updated_at = func.now()
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="application.updated",
        subject_type="application",
        subject_id=application.id,
        changes=changes,
    )
    return application


def completeness(
    application: Application,
    missing: list[MissingItem],
    *,
    now: datetime | None = None,
    programme_data_missing: list[ProgrammeDataItem] | None = None,
    ruleset_version: int | None = None,
) -> Completeness:
    """The completeness report of `application` given what is missing, with its fund's
    window; complete when no required item is left.
    """
    fund = application.fund
    now = now or datetime.now(UTC)
    return Completeness(
        complete=not any(item.required for item in missing),
        missing=missing,
        programme_data_missing=programme_data_missing or [],
        ruleset_version=ruleset_version,
        window=FundWindow(
            opens_at=fund.opens_at, closes_at=fund.closes_at, open_now=fund.is_open_at(now)
        ),
    )


def form_requirements(application: Application) -> list[MissingItem]:
    """What the fund's form asks, whatever its rules.

    The amount and aid form to decide on, at least one planned expense, and valid answers
    to the fund's questions; what the eligibility rules need is derived from the rules
    themselves, in `shared.eligibility.completeness`.
    """
    return [MissingItem(pointer=p, detail=d) for p, d in _missing(application)]


def requested_fields(application: Application) -> frozenset[str]:
    """The fields an open information request lets the territory change: those its JSON
    pointers name, and `attachments` when it asks for documents."""
    items = (application.information_request or {}).get("items", [])
    return frozenset(
        "attachments" if item.startswith("document:") else item.split("/")[1] for item in items
    )


def contradiction(
    holder: dict[str, Any] | None, attestations: dict[str, Any] | None
) -> tuple[str, str] | None:
    """(JSON pointer, why) of an attestation contradicting the project's declarations."""
    if (holder or {}).get("in_difficulty") is True and (attestations or {}).get(
        "not_in_difficulty"
    ) is True:
        return (
            "/attestations/not_in_difficulty",
            "the project declares its holder in difficulty; the attestation "
            "not_in_difficulty contradicts it (correct one of them)",
        )
    return None


def check_declarations(holder: dict[str, Any] | None, attestations: dict[str, Any] | None) -> None:
    """Refuse declarations that contradict each other (422 naming the attestation)."""
    found = contradiction(holder, attestations)
    if found is not None:
        pointer, detail = found
        raise ContradictoryDeclarations(detail, pointer=f"/body{pointer}")


def _check_editable(application: Application, changes: dict[str, Any]) -> None:
    """Drafts change freely; an application waiting on information, in the fields asked."""
    if application.status in EDITABLE_STATUSES:
        return
    if application.status is ApplicationStatus.INFORMATION_REQUESTED:
        named = requested_fields(application)
        if outside := sorted(set(changes) - named):
            raise ApplicationNotEditable(
                f"the information request names {', '.join(sorted(named))}; "
                f"{', '.join(outside)} cannot change",
                pointer=f"/body/{outside[0]}",
            )
        return
    raise ApplicationNotEditable(
        f"a {application.status.value} application cannot be edited; only drafts can "
        "(and, while information is requested, the fields it names)"
    )


def require_writer(principal: Principal, territory_id: uuid.UUID | None) -> None:
    """Only admins and the application's territory write it."""
    if principal.is_admin:
        return
    if principal.role is Role.TERRITORY and principal.territory_id == territory_id:
        return
    raise Forbidden("only admins and the project's territory may change its applications")


def _check_fund_accepts(fund: Fund) -> None:
    if fund.kind is FundKind.LABEL_CATALOGUE:
        raise FundNotAccepting(f"{fund.code} is a catalogue of labels, not an aid to apply to")
    if fund.status is not FundStatus.OPEN:
        raise FundNotAccepting(f"{fund.code} is {fund.status.value}; it takes no applications")


async def _open_application_exists(
    session: AsyncSession, project_id: uuid.UUID, fund_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(Application.id).where(
            Application.project_id == project_id,
            Application.fund_id == fund_id,
            Application.status.not_in(CLOSED_STATUSES),
        )
    )
    return found is not None


def _check_content(
    fund: Fund, sent: dict[str, Any], merged: dict[str, Any], *, partial: bool
) -> None:
    """Amounts within the fund's cap and the base, aid form offered, answers valid."""
    requested, base = (
        merged.get("requested_amount_cents"),
        merged.get("eligible_expense_base_cents"),
    )
    if requested is not None and base is not None and requested > base:
        raise AmountNotAllowed(
            "requested_amount_cents cannot exceed eligible_expense_base_cents",
            pointer="/body/requested_amount_cents",
        )
    if (
        requested is not None
        and fund.max_award_cents is not None
        and requested > fund.max_award_cents
    ):
        raise AmountNotAllowed(
            f"{fund.code} awards at most {fund.max_award_cents} cents per application",
            pointer="/body/requested_amount_cents",
        )
    aid_form = merged.get("aid_form")
    if "aid_form" in sent and aid_form is not None and aid_form not in fund.aid_forms:
        offered = ", ".join(a.value for a in fund.aid_forms)
        raise Unprocessable(f"{fund.code} offers: {offered}", pointer="/body/aid_form")
    if "answers" in sent:
        problems = answer_errors(fund.question_schema, merged.get("answers") or {}, partial=partial)
        if problems:
            pointer, message = problems[0]
            raise Unprocessable(
                f"{len(problems)} invalid answer(s): {message}", pointer=f"/body{pointer}"
            )


def _missing(application: Application) -> list[tuple[str, str]]:
    fund = application.fund
    missing: list[tuple[str, str]] = [
        (f"/{field}", f"give {label}")
        for field, label in (
            ("requested_amount_cents", "the amount requested"),
            ("aid_form", "the aid form"),
        )
        if getattr(application, field) is None
    ]
    if not application.expense_lines:
        missing.append(("/expense_lines", "list at least one planned expense"))
    missing.extend(answer_errors(fund.question_schema, application.answers or {}, partial=False))
    return missing
