"""Review and decisions: regional preselection, instruction, information requests, approval
or rejection, agreement, payments, closing.

Each action is one transition (`shared.applications.permissions.check`: who may, from which
status, for which fund), written with its audit entry and outbox event in one statement
(`record_change`) if the row is still at the version the caller read (If-Match, checked
first: nothing is written for a stale version). Approval commits the award on its
envelope in the same transaction; payments draw on that commitment, never past it.
"""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from shared.applications import permissions
from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.applications.submission import application_event, event_fields
from shared.audit import service as audit_service
from shared.budgets import service as budgets
from shared.concurrency import check_version
from shared.decisions import ceilings
from shared.decisions.schemas import (
    Agreement,
    Approval,
    Closing,
    InformationAnswer,
    InformationRequestCreate,
    PaymentCreate,
    Preselection,
    Refusal,
    ReviewStart,
)
from shared.errors import DateOutOfRange, Unprocessable
from shared.events.catalogue import ApplicationDecisionData, EventType
from shared.outbox.service import record_change
from shared.principal import SYSTEM, Principal
from shared.stateaid import service as register

EVENTS = {
    "preselect": EventType.APPLICATION_PRESELECTED,
    "not_retained": EventType.APPLICATION_NOT_RETAINED,
    "start_review": EventType.APPLICATION_UNDER_REVIEW,
    "request_information": EventType.APPLICATION_INFORMATION_REQUESTED,
    "answer": EventType.APPLICATION_INFORMATION_PROVIDED,
    "approve": EventType.APPLICATION_APPROVED,
    "reject": EventType.APPLICATION_REJECTED,
    "sign_agreement": EventType.APPLICATION_AGREEMENT_SIGNED,
    "record_payment": EventType.APPLICATION_PAYMENT_RECORDED,
    "close": EventType.APPLICATION_CLOSED,
    "cancel": EventType.APPLICATION_CANCELLED,
}
"""The event each action emits."""


class Decisions:
    """The actions of one caller on one application, as read at `if_match`."""

    def __init__(
        self,
        session: AsyncSession,
        principal: Principal,
        application: Application,
        *,
        if_match: int | None,
        today: date | None = None,
    ) -> None:
        check_version(application.version, if_match)
        self.session = session
        self.principal = principal
        self.application = application
        self.today = today or datetime.now(UTC).date()

    async def preselect(self, body: Preselection) -> Application:
        """The region retains the application for instruction."""
        decision = _decision("preselected", comment=body.comment)
        return await self._move("preselect", {"decision": decision}, reason=body.comment)

    async def not_retain(self, body: Refusal) -> Application:
        """The region does not retain it (reason code and text)."""
        return await self._refuse("not_retained", body)

    async def start_review(self, body: ReviewStart) -> Application:
        """The operator takes it into instruction, with an assignee."""
        return await self._move("start_review", {"assignee": body.assignee})

    async def request_information(self, body: InformationRequestCreate) -> Application:
        """The operator asks for information by a due date; the territory may then PATCH
        the fields named, and answers."""
        permissions.check(self.application, "request_information", self.principal)
        if body.due_on <= self.today:
            raise DateOutOfRange("due_on must be after today", pointer="/body/due_on")
        request = {**body.model_dump(mode="json"), "requested_at": _now()}
        return await self._move(
            "request_information",
            {
                "information_request": request,
                "information_due_on": body.due_on,
                "information_overdue_notified": False,
            },
            event={"information_items": body.items, "information_due_on": body.due_on},
        )

    async def answer(self, body: InformationAnswer) -> Application:
        """The territory answers: the application is back under review."""
        request = self.application.information_request
        if request is not None:
            request = {**request, "answered_at": _now(), "answer": body.message}
        return await self._move(
            "answer", {"information_request": request, "information_due_on": None}
        )

    async def approve(self, body: Approval) -> Application:
        """Award the aid: the amount is committed on its envelope in this transaction."""
        application = self.application
        permissions.check(application, "approve", self.principal)  # before any envelope
        fund = application.fund
        if body.aid_form not in fund.aid_forms:
            offered = ", ".join(a.value for a in fund.aid_forms)
            raise Unprocessable(f"{fund.code} offers: {offered}", pointer="/body/aid_form")
        equivalent = _gross_grant_equivalent(body)
        ceiling = await ceilings.check(
            self.session, application, body.regime, equivalent, self.today
        )
        await budgets.commit_award(
            self.session,
            application_id=application.id,
            fund=fund,
            region_code=application.region_code,
            amount_cents=body.amount_cents,
            financer=body.financer,
            on=self.today,
        )
        await register.record_award(
            self.session,
            self.principal,
            application_id=application.id,
            siren=application.applicant_siren,
            granted_on=self.today,
            regime=body.regime,
            nominal_cents=body.amount_cents,
            gross_grant_equivalent_cents=equivalent,
            granted_by=fund.name,
        )
        decision = _decision(
            "approved",
            amount_cents=body.amount_cents,
            aid_form=body.aid_form,
            regime=body.regime.value,
            gross_grant_equivalent_cents=equivalent,
            conditions=body.conditions,
            financer=body.financer.value if body.financer else None,
            ceiling=ceiling,
        )
        return await self._move(
            "approve",
            {"decision": decision, "awarded_cents": body.amount_cents},
            event={
                "awarded_cents": body.amount_cents,
                "aid_form": body.aid_form,
                "regime": body.regime.value,
            },
        )

    async def reject(self, body: Refusal) -> Application:
        """The operator rejects it after instruction (reason code and text)."""
        return await self._refuse("reject", body)

    async def sign_agreement(self, body: Agreement) -> Application:
        """The funding agreement is signed (date, reference)."""
        permissions.check(self.application, "sign_agreement", self.principal)
        self._not_in_future(body.signed_on, "/body/signed_on")
        return await self._move(
            "sign_agreement",
            {"agreement": body.model_dump(mode="json")},
            event={"agreement_reference": body.reference},
        )

    async def record_payment(self, body: PaymentCreate) -> Application:
        """A tranche is paid against the commitment (never past it)."""
        permissions.check(self.application, "record_payment", self.principal)
        self._not_in_future(body.paid_on, "/body/paid_on")
        paid = await budgets.record_payment(
            self.session,
            self.principal,
            self.application.id,
            amount_cents=body.amount_cents,
            paid_on=body.paid_on,
            reference=body.reference,
        )
        return await self._move(
            "record_payment",
            {},
            event={"payment_cents": body.amount_cents, "paid_cents": paid},
            changes={"payment": {"amount_cents": body.amount_cents, "paid_on": str(body.paid_on)}},
        )

    async def close(self, body: Closing) -> Application:
        """The file is closed once paid."""
        return await self._move("close", {}, reason=body.comment)

    async def cancel(self, body: Refusal) -> Application:
        """Cancel an award (before or after its agreement): the unpaid part of its
        commitment goes back to the envelope, and the register keeps only what was paid."""
        application = self.application
        permissions.check(application, "cancel", self.principal)
        released, paid = await budgets.release_award(self.session, application.id)
        await register.reduce_award(self.session, application.id, paid)
        decision = _decision("cancelled", **body.model_dump(mode="json"))
        return await self._move(
            "cancel",
            {"decision": decision},
            reason=body.reason_text,
            event={
                "reason_code": body.reason_code.value,
                "released_cents": released,
                "paid_cents": paid,
            },
            changes={"released_cents": released, "paid_cents": paid},
        )

    async def _refuse(self, action: str, body: Refusal) -> Application:
        kind = "not_retained" if action == "not_retained" else "rejected"
        return await self._move(
            action,
            {"decision": _decision(kind, **body.model_dump(mode="json"))},
            reason=body.reason_text,
            event={"reason_code": body.reason_code.value},
        )

    def _not_in_future(self, day: date, pointer: str) -> None:
        if day > self.today:
            raise DateOutOfRange(f"{day} is in the future", pointer=pointer)

    async def _move(
        self,
        action: str,
        values: dict[str, Any],
        *,
        reason: str | None = None,
        event: dict[str, Any] | None = None,
        changes: dict[str, Any] | None = None,
    ) -> Application:
        """Perform `action`: status and `values`, audit entry and event in one statement."""
        application = self.application
        step = permissions.check(application, action, self.principal)
        previous = application.status
        data = ApplicationDecisionData(
            **event_fields(application, step.target, previous=previous), **(event or {})
        )
        await record_change(
            self.session,
            application,
            {"status": step.target, **values},
            audit_service.entry_values(
                self.principal,
                action=f"application.{action}",
                subject_type="application",
                subject_id=application.id,
                changes={"status": {"from": previous.value, "to": step.target.value}}
                | (changes or {}),
                reason=reason,
            ),
            event=application_event(application, EVENTS[action], data),
        )
        return application


async def announce_overdue(session: AsyncSession, *, today: date, limit: int = 500) -> int:
    """Announce the information requests whose due date has passed unanswered, once each
    (`application.information_overdue`, audited as the system); how many."""
    due = await session.scalars(
        select(Application)
        .options(joinedload(Application.fund))
        .where(
            Application.status == ApplicationStatus.INFORMATION_REQUESTED,
            Application.information_due_on < today,
            Application.information_overdue_notified.is_(False),
        )
        .order_by(Application.information_due_on)
        .with_for_update(of=Application, skip_locked=True)
        .limit(limit)
    )
    announced = 0
    for application in list(due):
        data = ApplicationDecisionData(
            **event_fields(application, application.status, previous=application.status),
            information_due_on=application.information_due_on,
        )
        await record_change(
            session,
            application,
            {"information_overdue_notified": True},
            audit_service.entry_values(
                SYSTEM,
                action="application.information_overdue",
                subject_type="application",
                subject_id=application.id,
                changes={"information_due_on": str(application.information_due_on)},
            ),
            event=application_event(application, EventType.APPLICATION_INFORMATION_OVERDUE, data),
        )
        announced += 1
    return announced


def _gross_grant_equivalent(body: Approval) -> int:
    """A subsidy's is its amount; a repayable advance's must be given, at most its amount."""
    equivalent = body.gross_grant_equivalent_cents
    if body.aid_form == "subsidy":
        if equivalent not in (None, body.amount_cents):
            raise Unprocessable(
                "a subsidy's gross grant equivalent is its amount",
                pointer="/body/gross_grant_equivalent_cents",
            )
        return body.amount_cents
    if equivalent is None or equivalent > body.amount_cents:
        raise Unprocessable(
            "give the repayable advance's gross grant equivalent (at most its amount)",
            pointer="/body/gross_grant_equivalent_cents",
        )
    return equivalent


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _decision(kind: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "decided_at": _now(), **fields}
