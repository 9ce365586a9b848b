"""The site lifecycle as a transition table: territories propose, the State labels."""

from shared.sites.enums import SiteStatus as S
from shared.states import Actor, StateMachine, Transition

_PROPOSER = frozenset({Actor.APPLICANT})
_STATE = frozenset({Actor.OPERATOR})
"""The labelling authority: the State (DGE) instructs the scheme, through admin keys."""

SITE_MACHINE: StateMachine[S] = StateMachine(
    "site",
    [
        Transition("propose", S.DRAFT, S.PROPOSED, _PROPOSER),
        Transition("propose", S.REFUSED, S.PROPOSED, _PROPOSER),
        Transition("withdraw", S.PROPOSED, S.DRAFT, _PROPOSER),
        Transition("label", S.PROPOSED, S.LABELLED, _STATE),
        Transition("refuse", S.PROPOSED, S.REFUSED, _STATE),
    ],
)
"""draft → proposed → labelled or refused; a proposal goes back to draft when withdrawn, a
refused site is proposed again once changed."""

EDITABLE_STATUSES = frozenset({S.DRAFT, S.PROPOSED, S.REFUSED})
"""A site's content changes until it is labelled (the label covers what was reviewed)."""

PROPOSER_ACTIONS = frozenset({"propose", "withdraw"})
"""Actions of the proposing territory (or an admin acting for it)."""
