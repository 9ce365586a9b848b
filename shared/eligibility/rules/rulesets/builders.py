"""Shorthands that write rule-language JSON, so shipped rulesets read like their specification.

Each function returns the plain JSON object of one node; nothing here evaluates anything.
The rulesets built from them are validated by `Ruleset.model_validate`.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from shared.zonings.kinds import ZoningKind

Json = dict[str, Any]
Operand = Json | bool | int | float | str | list[Any]


def field(path: str) -> Json:
    """A context path."""
    return {"op": "field", "path": path}


def param(name: str) -> Json:
    """A ruleset parameter."""
    return {"op": "param", "name": name}


def param_by_region(name: str, region: Operand) -> Json:
    """A regional parameter for the given region code."""
    return {"op": "param_by_region", "name": name, "region": region}


def _compare(op: str, left: Operand, right: Operand) -> Json:
    return {"op": op, "left": left, "right": right}


def eq(left: Operand, right: Operand) -> Json:
    """Equality: left = right."""
    return _compare("eq", left, right)


def lte(left: Operand, right: Operand) -> Json:
    """Comparison: left ≤ right."""
    return _compare("lte", left, right)


def gt(left: Operand, right: Operand) -> Json:
    """Comparison: left > right."""
    return _compare("gt", left, right)


def gte(left: Operand, right: Operand) -> Json:
    """Comparison: left ≥ right."""
    return _compare("gte", left, right)


def all_of(*args: Operand) -> Json:
    """Kleene conjunction."""
    return {"op": "all", "args": list(args)}


def any_of(*args: Operand) -> Json:
    """Kleene disjunction."""
    return {"op": "any", "args": list(args)}


def in_(value: Operand, options: Operand) -> Json:
    """Membership: value ∈ options."""
    return {"op": "in", "value": value, "options": options}


def not_in(value: Operand, options: Operand) -> Json:
    """Exclusion: value ∉ options."""
    return {"op": "not_in", "value": value, "options": options}


def not_startswith_any(value: Operand, prefixes: Operand) -> Json:
    """Whether the value starts with none of the prefixes."""
    return {"op": "not_startswith_any", "value": value, "prefixes": prefixes}


def sub(left: Operand, right: Operand) -> Json:
    """Difference: left − right."""
    return _compare("sub", left, right)


def mul(left: Operand, right: Operand) -> Json:
    """Product: left × right."""
    return _compare("mul", left, right)


def div(left: Operand, right: Operand) -> Json:
    """Quotient: left ÷ right (unknown when right is 0)."""
    return _compare("div", left, right)


def min_of(*args: Operand) -> Json:
    """The smallest."""
    return {"op": "min", "args": list(args)}


def max_of(*args: Operand) -> Json:
    """The largest."""
    return {"op": "max", "args": list(args)}


def avg(*args: Operand) -> Json:
    """The mean."""
    return {"op": "avg", "args": list(args)}


def capped_ratio(value: Operand, full: Operand) -> Json:
    """min(1, value ÷ full): a score that is full at `full`."""
    return min_of(1, div(value, full))


def if_(cond: Operand, then: Operand, otherwise: Operand) -> Json:
    """Choice: `then` if cond else `otherwise`."""
    return {"op": "if", "cond": cond, "then": then, "else": otherwise}


def flag(cond: Operand, otherwise: float = 0) -> Json:
    """1 if cond else `otherwise`."""
    return if_(cond, 1, otherwise)


def is_true(path: str) -> Json:
    """The boolean at a path is true (unknown when absent)."""
    return eq(field(path), True)


def non_empty(*args: Operand) -> Json:
    """Every argument is a non-empty list or text."""
    return {"op": "non_empty", "args": list(args)}


def count(value: Operand) -> Json:
    """The length of a list."""
    return {"op": "count", "arg": value}


def naf_section(code: Operand) -> Json:
    """The NAF section letter of a code."""
    return {"op": "naf_section", "arg": code}


def months_between(start: Operand, end: Operand) -> Json:
    """Calendar months from start to end."""
    return {"op": "months_between", "start": start, "end": end}


def sum_expenses(*categories: str) -> Json:
    """The total of the expense lines in these categories."""
    return {"op": "sum_expenses", "categories": list(categories)}


def any_zoning(*kinds: str) -> Json:
    """The site is in one of these zonings."""
    return {"op": "any_zoning", "kinds": list(kinds)}


def valid_siret(value: Operand) -> Json:
    """A well-formed SIRET."""
    return {"op": "valid_siret", "arg": value}


def valid_commune(value: Operand) -> Json:
    """A commune code of France."""
    return {"op": "valid_commune", "arg": value}


def enum_map(
    value: Operand, cases: dict[str, float], default: float = 0, missing: float | None = None
) -> Json:
    """A number per value."""
    return {
        "op": "enum_map",
        "value": value,
        "cases": cases,
        "default": default,
        "missing": missing,
    }


def aid_ceiling(deminimis_cap: Operand) -> Json:
    """The indicative state-aid ceiling of the application."""
    return {
        "op": "aid_ceiling",
        "base": field("application.eligible_expense_base_cents"),
        "prior_aid": field("application.prior_deminimis_cents"),
        "size": field("holder.eu_size"),
        "nature": field("project.nature"),
        "region": field("site.region_code"),
        "deminimis_cap": deminimis_cap,
    }


def zoning_names(kinds: Iterable[ZoningKind]) -> str:
    """The kinds as the programme's documents name them: « FRR, FRR+, QPV, ACV »."""
    return ", ".join(kind.short_label for kind in kinds)


def revised(criteria: Sequence[Json], *replacements: Json) -> list[Json]:
    """`criteria` in order, each replacement standing for the criterion of its id."""
    by_id = {replacement["id"]: replacement for replacement in replacements}
    unknown = by_id.keys() - {criterion["id"] for criterion in criteria}
    if unknown:
        raise ValueError(f"no criterion to replace for {sorted(unknown)}")
    return [by_id.get(criterion["id"], criterion) for criterion in criteria]


def gate(
    criterion_id: str,
    label_fr: str,
    expr: Json,
    *,
    source: list[int] | str,
    explanation: str,
    when: Json | None = None,
    note: str = "",
) -> Json:
    """A gate criterion."""
    return {
        "id": criterion_id,
        "label_fr": label_fr,
        "kind": "gate",
        "source": source,
        "source_note": note,
        "when": when,
        "expr": expr,
        "explanation": explanation,
    }


def score(
    criterion_id: str,
    label_fr: str,
    points: int,
    expr: Json,
    *,
    source: list[int] | str,
    explanation: str,
    when: Json | None = None,
    note: str = "",
) -> Json:
    """A score criterion worth `points` when `expr` is 1."""
    return {
        **gate(
            criterion_id,
            label_fr,
            expr,
            source=source,
            explanation=explanation,
            when=when,
            note=note,
        ),
        "kind": "score",
        "points": points,
    }
