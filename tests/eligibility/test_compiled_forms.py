"""The engine's specialised closures (a path read in place, constant operands folded) give
the same value, missing inputs and inputs read as the general closures of the same operator.

An expression is forced onto the general path by hiding a field behind `if(true, field,
field)`: the value and the reads are those of the field, but the operator no longer sees a
bare path or a constant.
"""

from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from shared.eligibility.rules import EvaluationContext, EvaluationError, Expression, evaluate
from shared.eligibility.rules.functions import as_date, months_between
from shared.eligibility.rules.values import is_unknown
from tests.eligibility.contexts import ACCELERATION, SUBMITTED_AT, context

EXPR = TypeAdapter(Expression)

DATES = ["project.planned_start", "project.planned_end", "submitted_at"]
NUMBERS = [
    "application.requested_amount_cents",
    "application.eligible_expense_base_cents",
    "project.investment_total_cents",
    "project.jobs_created",
]
TEXTS = ["holder.kind", "project.nature", "site.region_code"]


def field(path: str) -> dict[str, Any]:
    return {"op": "field", "path": path}


def hidden(operand: Any) -> Any:
    """The same operand, out of reach of the specialised closures."""
    return {"op": "if", "cond": True, "then": operand, "else": operand}


def outcome(expr: dict[str, Any], ctx: EvaluationContext) -> tuple[Any, ...]:
    """Value (or the missing inputs), and the inputs read, in order; or the error raised."""
    try:
        result = evaluate(EXPR.validate_python(expr), ctx)
    except EvaluationError as error:
        return ("error", str(error))
    value = "unknown" if is_unknown(result.value) else result.value
    return (value, result.missing, list(result.reads.items()))


@st.composite
def contexts(draw: st.DrawFn) -> EvaluationContext:
    """The acceleration context with dates, amounts and texts moved or blanked."""
    day = st.integers(-400, 900).map(lambda days: SUBMITTED_AT.date() + timedelta(days=days))
    changes: dict[str, Any] = {
        "project.planned_start": draw(st.none() | day),
        "project.planned_end": draw(st.none() | day),
        "submitted_at": draw(st.none() | st.just(SUBMITTED_AT)),
        "project.nature": draw(st.none() | st.sampled_from(["creation", "training_platform"])),
        "site.region_code": draw(st.none() | st.sampled_from(["11", "53"])),
    }
    for path in NUMBERS:
        changes[path] = draw(st.none() | st.integers(0, 3) | st.integers(0, 10**9))
    return context(ACCELERATION, changes)


OPERATORS = ["eq", "ne", "lt", "lte", "gt", "gte", "add", "sub", "mul", "div"]
OPERANDS = st.sampled_from(DATES + NUMBERS + TEXTS).map(field) | st.sampled_from(
    [0, 1, 12, 2.5, "company", date(2026, 7, 1)]
).map(lambda value: value.isoformat() if isinstance(value, date) else value)


@settings(max_examples=400, deadline=None)
@given(contexts(), st.sampled_from(OPERATORS), OPERANDS, OPERANDS)
def test_binary_operators_agree_with_the_general_form(
    ctx: EvaluationContext, op: str, left: Any, right: Any
) -> None:
    expr = {"op": op, "left": left, "right": right}
    general = {"op": op, "left": hidden(left), "right": hidden(right)}
    assert outcome(expr, ctx) == outcome(general, ctx)


@settings(max_examples=200, deadline=None)
@given(contexts(), st.sampled_from(DATES), st.sampled_from(DATES))
def test_months_between_paths_agrees_with_the_general_form(
    ctx: EvaluationContext, start: str, end: str
) -> None:
    expr = {"op": "months_between", "start": field(start), "end": field(end)}
    general = {"op": "months_between", "start": hidden(field(start)), "end": field(end)}
    assert outcome(expr, ctx) == outcome(general, ctx)


@settings(max_examples=200, deadline=None)
@given(
    contexts(),
    st.lists(OPERANDS, min_size=1, max_size=4),
    st.sampled_from(["min", "max", "avg"]),
)
def test_aggregates_agree_with_the_general_form(
    ctx: EvaluationContext, args: list[Any], op: str
) -> None:
    numbers = [arg for arg in args if not isinstance(arg, str)]
    expr = {"op": op, "args": numbers or [1]}
    general = {"op": op, "args": [hidden(arg) for arg in numbers or [1]]}
    assert outcome(expr, ctx) == outcome(general, ctx)


@settings(max_examples=200, deadline=None)
@given(contexts(), st.sampled_from(TEXTS + NUMBERS), st.booleans(), st.sampled_from([0, 1, 0.5]))
def test_membership_and_choice_agree_with_the_general_form(
    ctx: EvaluationContext, path: str, negate: bool, otherwise: float
) -> None:
    op = "not_in" if negate else "in"
    options = ["company", "creation", "53", 0, 1]
    member = {"op": op, "value": hidden(field(path)), "options": options}
    general_member = {"op": op, "value": hidden(field(path)), "options": hidden(options)}
    assert outcome(member, ctx) == outcome(general_member, ctx)
    choice = {"op": "if", "cond": member, "then": 1, "else": otherwise}
    general_choice = {"op": "if", "cond": member, "then": hidden(1), "else": otherwise}
    assert outcome(choice, ctx) == outcome(general_choice, ctx)


def _months_by_calendar(start: date, end: date) -> float:
    """Months counted by stepping whole months with dates (the definition)."""
    start, end = as_date(start), as_date(end)
    if end < start:
        return -_months_by_calendar(end, start)

    def plus(months: int) -> date:
        index = start.month - 1 + months
        year, month = start.year + index // 12, index % 12 + 1
        for day in range(start.day, 0, -1):
            try:
                return date(year, month, day)
            except ValueError:
                continue
        raise AssertionError

    whole = (end.year - start.year) * 12 + end.month - start.month
    if plus(whole) > end:
        whole -= 1
    anchor = plus(whole)
    if anchor == end:
        return float(whole)
    return whole + (end - anchor).days / (plus(whole + 1) - anchor).days


@settings(max_examples=500, deadline=None)
@given(st.dates(date(2000, 1, 1), date(2100, 1, 1)), st.integers(-800, 800))
def test_months_between_counts_calendar_months(start: date, days: int) -> None:
    end = start + timedelta(days=days)
    assert months_between(start, end) == _months_by_calendar(start, end)
