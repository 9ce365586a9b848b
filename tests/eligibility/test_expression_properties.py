"""The rule language over generated trees: JSON round trip, and Kleene logic against a reference."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from shared.eligibility.rules import Expression, evaluate
from shared.eligibility.rules.context import KNOWN_PATHS
from shared.eligibility.rules.values import is_unknown
from tests.eligibility.contexts import ACCELERATION, context

EXPR = TypeAdapter(Expression)


def field(path: str) -> dict[str, Any]:
    return {"op": "field", "path": path}


def is_true(path: str) -> dict[str, Any]:
    return {"op": "eq", "left": field(path), "right": True}


# -- JSON round trip of arbitrary expression trees ------------------------------------------

SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)
LEAVES = st.one_of(
    st.one_of(SCALARS, st.lists(SCALARS, max_size=3)).map(lambda v: {"op": "lit", "value": v}),
    st.sampled_from(sorted(KNOWN_PATHS)).map(field),
    st.sampled_from(["threshold", "kinds"]).map(lambda n: {"op": "param", "name": n}),
    st.lists(st.sampled_from(["equipment", "land", "energy_environment"]), min_size=1).map(
        lambda c: {"op": "sum_expenses", "categories": c}
    ),
    st.lists(st.sampled_from(["TI", "QPV", "AFR_C"]), min_size=1).map(
        lambda k: {"op": "any_zoning", "kinds": k}
    ),
)


def _branches(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    many = st.lists(children, min_size=1, max_size=3)
    ops = st.sampled_from
    return st.one_of(
        st.builds(
            lambda o, a, b: {"op": o, "left": a, "right": b},
            ops(["eq", "lt", "gte", "div", "mul"]),
            children,
            children,
        ),
        st.builds(
            lambda o, a: {"op": o, "args": a},
            ops(["all", "any", "min", "max", "avg", "non_empty"]),
            many,
        ),
        st.builds(
            lambda o, a: {"op": o, "arg": a},
            ops(["not", "is_provided", "count", "naf_section", "valid_siret", "valid_commune"]),
            children,
        ),
        st.builds(
            lambda o, a, b: {"op": o, "value": a, "options": b},
            ops(["in", "not_in"]),
            children,
            children,
        ),
        st.builds(
            lambda o, a, b: {"op": o, "value": a, "prefixes": b},
            ops(["startswith_any", "not_startswith_any"]),
            children,
            children,
        ),
        st.builds(
            lambda a, b, c: {"op": "if", "cond": a, "then": b, "else": c},
            children,
            children,
            children,
        ),
        st.builds(
            lambda a, b, c: {"op": "between", "value": a, "low": b, "high": c},
            children,
            children,
            children,
        ),
        st.builds(lambda a, b: {"op": "months_between", "start": a, "end": b}, children, children),
        st.builds(lambda a: {"op": "param_by_region", "name": "minimum", "region": a}, children),
        st.builds(
            lambda a, cases, missing: {
                "op": "enum_map",
                "value": a,
                "cases": cases,
                "missing": missing,
            },
            children,
            st.dictionaries(st.text(max_size=5), st.floats(-1, 1), max_size=3),
            st.none() | st.floats(0, 1),
        ),
        st.builds(
            lambda a, b: {
                "op": "aid_ceiling",
                "base": a,
                "prior_aid": b,
                "size": a,
                "nature": b,
                "region": a,
                "deminimis_cap": 30_000_000,
            },
            children,
            children,
        ),
    )


EXPRESSIONS = st.recursive(LEAVES, _branches, max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(EXPRESSIONS)
def test_expressions_round_trip_through_json_unchanged(raw: Any) -> None:
    expr = EXPR.validate_python(raw)
    assert EXPR.validate_python(EXPR.dump_python(expr)) == expr
    assert EXPR.validate_json(EXPR.dump_json(expr)) == expr
    assert EXPR.dump_json(EXPR.validate_json(EXPR.dump_json(expr))) == EXPR.dump_json(expr)


# -- Kleene logic against a reference implementation ----------------------------------------

ATTESTATIONS = ["tax_social_ok", "not_started", "not_in_difficulty", "permits_obtained"]
ATOMS = st.sampled_from(ATTESTATIONS).map(lambda name: ("atom", name))
BOOLEAN_TREES = st.recursive(
    ATOMS,
    lambda children: st.one_of(
        children.map(lambda c: ("not", c)),
        st.tuples(st.sampled_from(["all", "any"]), st.lists(children, min_size=1, max_size=4)),
    ),
    max_leaves=10,
)


def _as_json(tree: Any) -> Any:
    kind, body = tree
    if kind == "atom":
        return is_true(f"application.attestations.{body}")
    if kind == "not":
        return {"op": "not", "arg": _as_json(body)}
    return {"op": kind, "args": [_as_json(child) for child in body]}


def _reference(tree: Any, values: dict[str, bool | None]) -> tuple[bool | None, set[str]]:
    kind, body = tree
    if kind == "atom":
        value = values[body]
        return value, (set() if value is not None else {f"application.attestations.{body}"})
    if kind == "not":
        value, missing = _reference(body, values)
        return (None if value is None else not value), missing
    results = [_reference(child, values) for child in body]
    decisive = kind == "any"
    if any(value is decisive for value, _ in results):
        return decisive, set()
    unknown = [missing for value, missing in results if value is None]
    if unknown:
        return None, set().union(*unknown)
    return not decisive, set()


@settings(max_examples=200, deadline=None)
@given(
    BOOLEAN_TREES,
    st.fixed_dictionaries({name: st.sampled_from([True, False, None]) for name in ATTESTATIONS}),
)
def test_boolean_logic_is_kleene_and_reports_exactly_the_relevant_missing_inputs(
    tree: Any, values: dict[str, bool | None]
) -> None:
    ctx = context(
        ACCELERATION, {f"application.attestations.{name}": v for name, v in values.items()}
    )
    result = evaluate(EXPR.validate_python(_as_json(tree)), ctx)
    expected, missing = _reference(tree, values)
    if expected is None:
        assert is_unknown(result.value)
    else:
        assert result.value is expected
    assert set(result.missing) == missing
