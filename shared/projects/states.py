"""The project lifecycle as a transition table (domain.md)."""

from shared.projects.enums import ProjectStatus as P
from shared.states import Actor, StateMachine, Transition

_TEAM = frozenset({Actor.APPLICANT, Actor.TERRITORY})
_NON_TERMINAL = (P.DRAFT, P.SUBMITTED, P.ACTIVE)

PROJECT_MACHINE: StateMachine[P] = StateMachine(
    "project",
    [
        Transition("submit", P.DRAFT, P.SUBMITTED, frozenset({Actor.APPLICANT})),
        Transition("return", P.SUBMITTED, P.DRAFT, frozenset({Actor.TERRITORY})),
        Transition("accept", P.SUBMITTED, P.ACTIVE, frozenset({Actor.TERRITORY})),
        Transition("reject", P.SUBMITTED, P.REJECTED, frozenset({Actor.TERRITORY})),
        Transition("complete", P.ACTIVE, P.COMPLETED, _TEAM),
        Transition("abandon", P.ACTIVE, P.ABANDONED, _TEAM),
        *(Transition("withdraw", state, P.WITHDRAWN, _TEAM) for state in _NON_TERMINAL),
    ],
)
"""draft → submitted → active → completed; submitted → draft (changes requested) or rejected;
withdrawn from any non-terminal state; active → abandoned."""

EDITABLE_STATUSES = frozenset({P.DRAFT, P.ACTIVE})
"""A project's content changes while it is a draft, and once active (its territory
completes what a fund's rules ask; submitted applications keep the snapshot they were
assessed on). Under the territory's review, and once closed, it is frozen."""

TERRITORY_REVIEW = frozenset({"accept", "return", "reject"})
"""Actions of the territory reviewing a submitted project."""

REASON_REQUIRED = frozenset({"return", "reject", "withdraw", "abandon"})
"""Actions that must say why."""
