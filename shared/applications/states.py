"""The application lifecycle as a transition table (domain.md).

draft → submitted → screening → eligible → preselected → under_review ⇄ information_requested
→ approved → agreement_signed → funded (payments) → closed; screening may end ineligible,
undetermined (back to draft for completion) or screening_error (rescored by an admin);
eligible → rejected (not retained by the region); under review → rejected; funds without
regional preselection go from eligible to under_review; draft → expired when the window
closes; withdrawn from any state before approval; an award cancelled (approved, signed or
funded → cancelled) gives back what is unpaid.
"""

from shared.applications.enums import ApplicationStatus as A
from shared.states import Actor, StateMachine, Transition

_APPLICANT = frozenset({Actor.APPLICANT})
_SYSTEM = frozenset({Actor.SYSTEM})
_REVIEW = frozenset({Actor.REGIONAL_REVIEW})
_OPERATOR = frozenset({Actor.OPERATOR})

WITHDRAWABLE = (
    A.DRAFT,
    A.SUBMITTED,
    A.SCREENING,
    A.ELIGIBLE,
    A.UNDETERMINED,
    A.SCREENING_ERROR,
    A.PRESELECTED,
    A.UNDER_REVIEW,
    A.INFORMATION_REQUESTED,
)
CANCELLABLE = (A.APPROVED, A.AGREEMENT_SIGNED, A.FUNDED)
"""An award can be cancelled until its file is closed."""
RESCORABLE = (A.SUBMITTED, A.ELIGIBLE, A.INELIGIBLE, A.UNDETERMINED, A.SCREENING_ERROR)
"""Rescoring may change the status only before pre-selection."""

APPLICATION_MACHINE: StateMachine[A] = StateMachine(
    "application",
    [
        Transition("submit", A.DRAFT, A.SUBMITTED, _APPLICANT),
        Transition("expire", A.DRAFT, A.EXPIRED, _SYSTEM),
        Transition("reopen", A.UNDETERMINED, A.DRAFT, _APPLICANT),
        *(Transition("screen", s, A.SCREENING, _SYSTEM) for s in RESCORABLE),
        Transition("mark_eligible", A.SCREENING, A.ELIGIBLE, _SYSTEM),
        Transition("mark_ineligible", A.SCREENING, A.INELIGIBLE, _SYSTEM),
        Transition("mark_undetermined", A.SCREENING, A.UNDETERMINED, _SYSTEM),
        Transition("mark_screening_error", A.SCREENING, A.SCREENING_ERROR, _SYSTEM),
        # Regional preselection (funds configured with it: `PRESELECTION_ONLY`).
        Transition("preselect", A.ELIGIBLE, A.PRESELECTED, _REVIEW),
        Transition("not_retained", A.ELIGIBLE, A.REJECTED, _REVIEW),
        Transition("start_review", A.PRESELECTED, A.UNDER_REVIEW, _OPERATOR),
        # Funds without regional preselection go straight from eligible to instruction.
        Transition("start_review", A.ELIGIBLE, A.UNDER_REVIEW, _OPERATOR),
        Transition("request_information", A.UNDER_REVIEW, A.INFORMATION_REQUESTED, _OPERATOR),
        Transition("answer", A.INFORMATION_REQUESTED, A.UNDER_REVIEW, _APPLICANT),
        Transition("approve", A.UNDER_REVIEW, A.APPROVED, _OPERATOR),
        Transition("reject", A.UNDER_REVIEW, A.REJECTED, _OPERATOR),
        Transition("reject", A.INFORMATION_REQUESTED, A.REJECTED, _OPERATOR),
        Transition("sign_agreement", A.APPROVED, A.AGREEMENT_SIGNED, _OPERATOR),
        Transition("record_payment", A.AGREEMENT_SIGNED, A.FUNDED, _OPERATOR),
        Transition("record_payment", A.FUNDED, A.FUNDED, _OPERATOR),  # a further tranche
        Transition("close", A.FUNDED, A.CLOSED, _OPERATOR),
        # An award cancelled before or after its agreement: what is unpaid goes back.
        *(Transition("cancel", s, A.CANCELLED, _OPERATOR) for s in CANCELLABLE),
        *(Transition("withdraw", s, A.WITHDRAWN, _APPLICANT) for s in WITHDRAWABLE),
    ],
)

EDITABLE_STATUSES = frozenset({A.DRAFT})
"""An application's content changes only while it is a draft (and, while information is
requested, the fields the request names)."""

PRESELECTION_ONLY = frozenset({("preselect", A.ELIGIBLE), ("not_retained", A.ELIGIBLE)})
"""Moves that exist only for funds with regional preselection."""
DIRECT_REVIEW_ONLY = frozenset({("start_review", A.ELIGIBLE)})
"""Moves that exist only for funds without it."""
