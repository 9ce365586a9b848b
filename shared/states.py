"""Explicit state machines: a table of allowed transitions and who may trigger each."""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from shared.errors import Conflict

S = TypeVar("S", bound=StrEnum)


class Actor(StrEnum):
    """Who triggers a transition."""

    APPLICANT = "applicant"  # the territory team (or an admin) acting for the holder
    TERRITORY = "territory"  # the territory's lead, reviewing a project
    REGIONAL_REVIEW = "regional_review"  # préfet de région + Région
    OPERATOR = "operator"  # the fund's instructing operator
    SYSTEM = "system"  # workers and crons


class InvalidTransition(Conflict):
    """The transition is not allowed from the current state."""

    type_slug = "invalid-transition"
    title = "Invalid transition"


@dataclass(frozen=True)
class Transition(Generic[S]):
    """One allowed move, named by the action that performs it."""

    action: str
    source: S
    target: S
    actors: frozenset[Actor]


class StateMachine(Generic[S]):
    """A transition table; `check` refuses anything not in it with a 409 naming what is allowed."""

    def __init__(self, name: str, transitions: list[Transition[S]]) -> None:
        self.name = name
        self.transitions = transitions
        self._by_key: Mapping[tuple[S, str], Transition[S]] = {
            (t.source, t.action): t for t in transitions
        }
        self._allowed: dict[S, tuple[str, ...]] = {}

    def allowed_actions(self, state: S) -> list[str]:
        """Actions a caller of the API may perform from `state` (system moves excluded)."""
        allowed = self._allowed.get(state)
        if allowed is None:
            allowed = self._allowed[state] = tuple(
                sorted(
                    {
                        t.action
                        for t in self.transitions
                        if t.source == state and t.actors != frozenset({Actor.SYSTEM})
                    }
                )
            )
        return list(allowed)

    def find(self, state: S, action: str) -> Transition[S] | None:
        """The transition `action` performs from `state`, if the table has one."""
        return self._by_key.get((state, action))

    def check(self, state: S, action: str, actor: Actor) -> Transition[S]:
        """The transition `action` performs from `state`, or `InvalidTransition`."""
        transition = self._by_key.get((state, action))
        if transition is None or actor not in transition.actors:
            raise self.refusal(state, action, self.allowed_actions(state))
        return transition

    def refusal(self, state: S, action: str, allowed: list[str]) -> InvalidTransition:
        """The 409 refusing `action` from `state`, naming what the caller may do instead."""
        return InvalidTransition(
            f"cannot {action} a {self.name} that is {state.value}; "
            f"allowed from {state.value}: {', '.join(allowed) or 'none'}",
            current_status=state.value,
            allowed_actions=allowed,
        )
