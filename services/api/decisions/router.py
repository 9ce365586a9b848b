"""Review and decisions on applications: regional preselection, instruction, information
requests and answers, approval or rejection, agreement, payments, closing.

Who may call each: the region (its region's applications, funds with regional
preselection), the fund's operator, the application's territory; admins all. Every
action needs `If-Match` and answers the application as the caller now sees it.
"""

import uuid

from fastapi import APIRouter, Response

from services.api.acting import OperatorActs, OperatorCommits, RegionActs, TerritoryActs
from services.api.deps import AnyRole, RecordReader, SessionDep
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.applications import service as applications
from shared.applications.schemas import ApplicationRead
from shared.budgets import repository as budget_repository
from shared.budgets.schemas import PaymentList, PaymentRead
from shared.decisions.schemas import (
    REASON_LABELS,
    Agreement,
    Approval,
    Closing,
    InformationAnswer,
    InformationRequestCreate,
    PaymentCreate,
    Preselection,
    ReasonList,
    ReasonRead,
    Refusal,
    ReviewStart,
)

router = APIRouter(prefix="/v1", tags=["decisions"], route_class=TidiRoute)
_MOVE = problems(409, 412, 422, 428)


@router.post(
    "/applications/{application_id}/preselect",
    summary="Preselect an application",
    responses=_MOVE,
)
async def preselect_application(
    acting: RegionActs, response: Response, body: Preselection | None = None
) -> ApplicationRead:
    """The region (préfet de région and Région) retains an eligible application for
    instruction (`application.preselected`). Funds with regional preselection only."""
    return await acting.act(response, lambda d: d.preselect(body or Preselection()))


@router.post(
    "/applications/{application_id}/not_retained",
    summary="Do not retain an application",
    responses=_MOVE,
)
async def not_retain_application(
    acting: RegionActs, response: Response, body: Refusal
) -> ApplicationRead:
    """The region does not retain an eligible application, with a reason code from
    `GET /v1/decision-reasons` and a text (`application.not_retained`)."""
    return await acting.act(response, lambda d: d.not_retain(body))


@router.post(
    "/applications/{application_id}/start_review",
    summary="Start instructing an application",
    responses=_MOVE,
)
async def start_application_review(
    acting: OperatorActs, response: Response, body: ReviewStart
) -> ApplicationRead:
    """The fund's operator takes a preselected application (or an eligible one, for funds
    without regional preselection) into instruction (`application.under_review`)."""
    return await acting.act(response, lambda d: d.start_review(body))


@router.post(
    "/applications/{application_id}/request_information",
    summary="Request information",
    responses=_MOVE,
)
async def request_application_information(
    acting: OperatorActs, response: Response, body: InformationRequestCreate
) -> ApplicationRead:
    """The operator asks for information by a due date (`application.information_requested`).
    The territory may then PATCH the fields the request names, and answers with
    `POST …/answer`; past the due date the application is listed as overdue."""
    return await acting.act(response, lambda d: d.request_information(body))


@router.post(
    "/applications/{application_id}/answer",
    summary="Answer an information request",
    responses=_MOVE,
)
async def answer_information_request(
    acting: TerritoryActs, response: Response, body: InformationAnswer | None = None
) -> ApplicationRead:
    """The territory answers the operator's request: the application is back under review
    (`application.information_provided`)."""
    return await acting.act(response, lambda d: d.answer(body or InformationAnswer()))


@router.post(
    "/applications/{application_id}/approve",
    summary="Approve an application",
    responses=_MOVE,
)
async def approve_application(
    acting: OperatorCommits, response: Response, body: Approval
) -> ApplicationRead:
    """Award the aid (`application.approved`): the amount is committed on the fund's
    envelope that covers the application, in the same transaction. An envelope without
    room is a 409 (`envelope-exhausted`); no envelope, or several financers and none
    named, a 422 (`no-envelope`)."""
    return await acting.act(response, lambda d: d.approve(body))


@router.post(
    "/applications/{application_id}/reject",
    summary="Reject an application",
    responses=_MOVE,
)
async def reject_application(
    acting: OperatorActs, response: Response, body: Refusal
) -> ApplicationRead:
    """The operator rejects an application under instruction, with a reason code from
    `GET /v1/decision-reasons` and a text (`application.rejected`)."""
    return await acting.act(response, lambda d: d.reject(body))


@router.post(
    "/applications/{application_id}/sign_agreement",
    summary="Record the signed agreement",
    responses=_MOVE,
)
async def sign_application_agreement(
    acting: OperatorActs, response: Response, body: Agreement
) -> ApplicationRead:
    """The funding agreement of an approved application is signed: date (not in the
    future) and reference (`application.agreement_signed`)."""
    return await acting.act(response, lambda d: d.sign_agreement(body))


@router.post(
    "/applications/{application_id}/record_payment",
    summary="Record a payment",
    responses=_MOVE,
)
async def record_application_payment(
    acting: OperatorCommits, response: Response, body: PaymentCreate
) -> ApplicationRead:
    """A tranche paid against the award's commitment (`application.payment_recorded`):
    never more than committed in total (409 `payment-exceeds-commitment`)."""
    return await acting.act(response, lambda d: d.record_payment(body))


@router.post(
    "/applications/{application_id}/close",
    summary="Close an application",
    responses=_MOVE,
)
async def close_application(
    acting: OperatorActs, response: Response, body: Closing | None = None
) -> ApplicationRead:
    """Close a funded application's file (`application.closed`)."""
    return await acting.act(response, lambda d: d.close(body or Closing()))


@router.post(
    "/applications/{application_id}/cancel",
    summary="Cancel an award",
    responses=_MOVE,
)
async def cancel_application_award(
    acting: OperatorCommits, response: Response, body: Refusal
) -> ApplicationRead:
    """Cancel an approved award, before or after its agreement, with a reason code and a
    text (`application.cancelled`): the unpaid part of its commitment goes back to the
    envelope, and the State-aid register keeps only what was paid."""
    return await acting.act(response, lambda d: d.cancel(body))


@router.get("/applications/{application_id}/payments", summary="List an application's payments")
async def list_application_payments(
    principal: RecordReader, session: SessionDep, application_id: uuid.UUID
) -> PaymentList:
    """The tranches paid on the application's award, oldest first."""
    application = await applications.get(session, principal, application_id)
    payments = await budget_repository.payments_of(session, application.id)
    return PaymentList(items=[PaymentRead.model_validate(payment) for payment in payments])


@router.get("/decision-reasons", summary="List the decision reason codes")
async def list_decision_reasons(_: AnyRole) -> ReasonList:
    """The published reason codes of `not_retained` and `reject`, with their labels."""
    return ReasonList(
        items=[ReasonRead(code=code, label=label) for code, label in REASON_LABELS.items()]
    )
