"""Compiled forms of the value operators: comparisons, arithmetic, choices, membership, pairs.

Each factory takes compiled operands (or the constants folded in their place) and returns
the closure the compiler uses, with specialised forms for a constant on either side.
"""

import operator
from collections.abc import Callable
from datetime import date
from typing import Any

from shared.eligibility.rules.values import (
    UNKNOWN,
    Compiled,
    State,
    Unknown,
    align,
    apply_operator,
    merge_unknown,
    wrong_types,
)

Op = Callable[[Any, Any], Any]
Operand = tuple[Compiled | None, Any]
"""A compiled operand: (closure, None), or (None, value) for a constant."""

COMPARE: dict[str, Op] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
}
ARITH: dict[str, Op] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
}


def known_binary(apply: Op, op: str) -> Op:
    """`apply(a, b)` for two known values (a date and a datetime compare by date)."""

    def run(a: Any, b: Any) -> Any:
        if type(a) is not type(b) and isinstance(a, date):
            a, b = align(a, b)
        try:
            return apply(a, b)
        except TypeError:
            raise wrong_types(op, a, b) from None

    return run


def bounded(op: str, a: Any, b: Any) -> bool | None:
    """True when a lower bound of an unknown operand decides the comparison (`x <= c` with
    c at least x); None otherwise (the comparison stays unknown)."""
    if op in ("lte", "lt") and type(b) is Unknown and type(a) is not Unknown:
        bound, value, strict = b.at_least, a, op == "lt"
    elif op in ("gte", "gt") and type(a) is Unknown and type(b) is not Unknown:
        bound, value, strict = a.at_least, b, op == "gt"
    else:
        return None
    if bound is None or not isinstance(value, int | float) or isinstance(value, bool):
        return None
    return True if (value < bound if strict else value <= bound) else None


def binary(left: Operand, right: Operand, apply: Op, op: str) -> Compiled:
    """`apply(a, b)` for any two operands (a date and a datetime compare by date)."""
    (left_of, a_const), (right_of, b_const) = left, right

    def run(state: State) -> Any:
        a = a_const if left_of is None else left_of(state)
        b = b_const if right_of is None else right_of(state)
        if type(a) is Unknown or type(b) is Unknown:
            decided = bounded(op, a, b)
            return merge_unknown(a, b) if decided is None else decided
        if type(a) is not type(b) and isinstance(a, date):
            a, b = align(a, b)
        try:
            return apply(a, b)
        except TypeError:
            raise wrong_types(op, a, b) from None

    return run


def against_constant(left: Compiled, apply: Op, b: Any, op: str) -> Compiled:
    """`apply(a, b)` for a computed left operand and a constant right one."""

    def run(state: State) -> Any:
        a = left(state)
        if type(a) is Unknown:
            decided = bounded(op, a, b)
            return merge_unknown(a) if decided is None else decided
        return apply_operator(apply, a, b, op)

    return run


def constant_against(a: Any, apply: Op, right: Compiled, op: str) -> Compiled:
    """`apply(a, b)` for a constant left operand and a computed right one."""

    def run(state: State) -> Any:
        b = right(state)
        if type(b) is Unknown:
            decided = bounded(op, a, b)
            return merge_unknown(b) if decided is None else decided
        return apply_operator(apply, a, b, op)

    return run


def divide(a: Any, b: Any) -> Any:
    """The quotient; UNKNOWN when the divisor is zero."""
    return UNKNOWN if b == 0 else a / b


def pair(first: Operand, second: Operand, smallest: bool) -> Compiled:
    """The smaller or larger of two operands, as in the min(1, ratio) of a capped score."""
    (first_of, first_c), (second_of, second_c) = first, second

    def run(state: State) -> Any:
        a = first_c if first_of is None else first_of(state)
        b = second_c if second_of is None else second_of(state)
        if type(a) is Unknown or type(b) is Unknown:
            return merge_unknown(a, b)
        try:
            return (a if a <= b else b) if smallest else (a if a >= b else b)
        except TypeError:
            raise wrong_types("min" if smallest else "max", a, b) from None

    return run


def choice(cond_of: Compiled, then: Any, other: Any) -> Compiled:
    """if/then/else between two constants, as in a score's flag (1 if cond else 0)."""
    agree = then == other

    def run(state: State) -> Any:
        cond = cond_of(state)
        if type(cond) is not Unknown:
            return then if cond else other
        return then if agree else cond

    return run


def in_constant(value_of: Compiled, options: tuple[Any, ...], negate: bool) -> Compiled:
    """Membership of a computed value in constant options."""

    def run(state: State) -> Any:
        value = value_of(state)
        if type(value) is Unknown:
            return value
        return (value in options) is not negate

    return run


def starts_with(prefixes: Any, value: Any) -> bool:
    """Whether a text starts with one of the prefixes (a list of texts)."""
    if not isinstance(value, str):
        raise wrong_types("startswith_any", value, prefixes)
    return value.startswith(tuple(prefixes))
