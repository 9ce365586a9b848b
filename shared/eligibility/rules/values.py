"""Values of the three-valued evaluation: the Unknown value and the evaluation state."""

from collections.abc import Callable
from datetime import date
from typing import Any, Final, TypeGuard

from shared.eligibility.rules.aid import AidCeiling
from shared.eligibility.rules.context import EvaluationContext
from shared.eligibility.rules.functions import as_date


class Unknown:
    """The unknown value; `missing` holds the context paths whose absence made it unknown.

    `at_least`, when set, is a number the value is known not to be below (the aid ceiling
    is at least the de minimis room, whatever the missing inputs say): a comparison that
    this bound decides is decided (`operators.bounded`); any other operation drops it.
    """

    __slots__ = ("at_least", "missing")

    def __init__(self, missing: frozenset[str] = frozenset(), at_least: int | None = None) -> None:
        self.missing = missing
        self.at_least = at_least

    def __repr__(self) -> str:
        return f"UNKNOWN({', '.join(sorted(self.missing))})"

    def __bool__(self) -> bool:
        raise TypeError("UNKNOWN has no truth value; test it with is_unknown()")


UNKNOWN: Final = Unknown()
"""Unknown for a reason other than a missing input (division by zero, invalid code)."""


def is_unknown(value: object) -> TypeGuard[Unknown]:
    """Whether a value is unknown."""
    return type(value) is Unknown


def merge_unknown(*values: object) -> Unknown:
    """One Unknown whose missing paths are those of all the unknown values given (at least
    one of them must be unknown).
    """
    unknowns: list[Unknown] = [value for value in values if type(value) is Unknown]
    if len(unknowns) == 1 and unknowns[0].at_least is None:
        return unknowns[0]
    missing = frozenset().union(*(unknown.missing for unknown in unknowns))
    return Unknown(missing) if missing else UNKNOWN


class EvaluationError(ValueError):
    """A rule met values of a type it cannot handle: a defect of the ruleset, not of the data."""


def wrong_types(op: str, *values: Any) -> EvaluationError:
    """The error for an operator applied to values of the wrong types."""
    kinds = ", ".join(type(value).__name__ for value in values)
    return EvaluationError(f"'{op}' cannot apply to {kinds}")


def align(left: Any, right: Any) -> tuple[Any, Any]:
    """Two operands made comparable: a date and a datetime compare by calendar date."""
    if isinstance(left, date) and isinstance(right, date):
        return as_date(left), as_date(right)
    return left, right


class State:
    """What one evaluation reads and writes: the context, the reads, the aid ceiling met."""

    __slots__ = ("aid_ceiling", "context", "reads")

    def __init__(self, context: EvaluationContext) -> None:
        self.context = context
        self.reads: dict[str, Any] = {}
        self.aid_ceiling: AidCeiling | None = None


Compiled = Callable[[State], Any]
"""A compiled expression: a closure from the evaluation state to a value or an Unknown."""


def apply_operator(apply: Callable[[Any, Any], Any], a: Any, b: Any, op: str) -> Any:
    """`apply(a, b)` on two known operands, a date and a datetime compared by date."""
    try:
        if type(a) is not type(b) and isinstance(a, date):
            return apply(*align(a, b))
        return apply(a, b)
    except TypeError:
        raise wrong_types(op, a, b) from None
