"""Compiled reads of the context: a path alone, or fused with the constant it is tested
against (the most frequent shape of a rule, so one closure call instead of two).
"""

import operator
from collections.abc import Callable
from typing import Any

from shared.eligibility.rules.values import (
    Compiled,
    State,
    Unknown,
    apply_operator,
    merge_unknown,
    wrong_types,
)

ANSWERS = "answers"


def _is_answer(path: str) -> bool:
    return path == ANSWERS or path.startswith(f"{ANSWERS}.")


def field(path: str) -> Compiled:
    """Read a context path and record it; UNKNOWN (naming the path) when absent or None."""
    unknown = Unknown(frozenset((path,)))
    if _is_answer(path):
        return _answer(path, unknown)
    getter = operator.attrgetter(path)

    def run(state: State) -> Any:
        try:
            value = getter(state.context)
        except AttributeError:
            value = None
        state.reads[path] = value
        return unknown if value is None else value

    return run


def _answer(path: str, unknown: Unknown) -> Compiled:
    keys = path.split(".")[1:]

    def run(state: State) -> Any:
        value: Any = state.context.answers
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        state.reads[path] = value
        return unknown if value is None else value

    return run


def field_against_constant(
    path: str, apply: Callable[[Any, Any], Any], constant: Any, op: str
) -> Compiled:
    """`apply(value at path, constant)`, unknown when the value is missing."""
    read = field(path) if _is_answer(path) else None
    getter, unknown, b = operator.attrgetter(path), Unknown(frozenset((path,))), constant

    def run(state: State) -> Any:
        if read is not None:
            a = read(state)
            if type(a) is Unknown:
                return a
        else:
            try:
                a = getter(state.context)
            except AttributeError:
                a = None
            state.reads[path] = a
            if a is None:
                return unknown
        return apply_operator(apply, a, b, op)

    return run


def is_attribute(path: str) -> bool:
    """Whether a path is read as attributes of the context (not under `answers`)."""
    return not _is_answer(path)


def fields_pair(first: str, second: str, combine: Callable[[Any, Any], Any]) -> Compiled:
    """`combine(a, b)` of the values at two attribute paths, read and recorded in order;
    unknown (naming the missing paths) when one is absent or None.
    """
    get_a, get_b = operator.attrgetter(first), operator.attrgetter(second)
    unknown_a, unknown_b = Unknown(frozenset((first,))), Unknown(frozenset((second,)))

    def run(state: State) -> Any:
        context, reads = state.context, state.reads
        try:
            a = get_a(context)
        except AttributeError:
            a = None
        reads[first] = a
        try:
            b = get_b(context)
        except AttributeError:
            b = None
        reads[second] = b
        if a is None or b is None:
            return merge_unknown(unknown_a if a is None else a, unknown_b if b is None else b)
        return combine(a, b)

    return run


def field_in_constant(path: str, options: Any, test: str, negate: bool) -> Compiled | None:
    """Membership (`in`) or prefix (`startswith`) of the value at a path among constant
    options; None when the shape does not allow fusing (answers, options not a list).
    """
    if _is_answer(path) or not isinstance(options, tuple):
        return None
    getter, unknown, is_prefix = (
        operator.attrgetter(path),
        Unknown(frozenset((path,))),
        test == "startswith",
    )

    def run(state: State) -> Any:
        try:
            value = getter(state.context)
        except AttributeError:
            value = None
        state.reads[path] = value
        if value is None:
            return unknown
        if is_prefix:
            if not isinstance(value, str):
                raise wrong_types("startswith_any", value, options)
            return value.startswith(options) is not negate
        return (value in options) is not negate

    return run
