"""The rule language: validation and three-valued evaluation of each operator."""

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from shared.eligibility.rules import EvaluationContext, EvaluationError, Expression, evaluate
from shared.eligibility.rules.expressions import RegionalParam
from shared.eligibility.rules.values import is_unknown
from tests.eligibility.contexts import ACCELERATION, context

EXPR = TypeAdapter(Expression)
FULL = context(ACCELERATION)
PARAMS: dict[str, Any] = {
    "threshold": 10,
    "kinds": ("company", "association"),
    "minimum": RegionalParam(default=20_000_000, by_region={"11": 40_000_000}),
}


def run(expr: Any, ctx: EvaluationContext = FULL) -> Any:
    """The value of an expression given as JSON."""
    return evaluate(EXPR.validate_python(expr), ctx, PARAMS).value


def field(path: str) -> dict[str, Any]:
    return {"op": "field", "path": path}


def is_true(path: str) -> dict[str, Any]:
    return {"op": "eq", "left": field(path), "right": True}


MISSING = context(
    ACCELERATION,
    {"application.attestations.tax_social_ok": None, "project.planned_start": None},
)
TAX = "application.attestations.tax_social_ok"
START = "project.planned_start"


class TestValidation:
    def test_bare_scalars_and_lists_are_literals(self) -> None:
        expr = EXPR.validate_python({"op": "in", "value": "A", "options": ["A", "B"]})
        assert EXPR.dump_python(expr)["options"] == {"op": "lit", "value": ("A", "B")}

    def test_unknown_operator_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            EXPR.validate_python({"op": "eval", "arg": "__import__('os')"})

    def test_unknown_keys_are_refused(self) -> None:
        with pytest.raises(ValidationError):
            EXPR.validate_python({"op": "field", "path": "project.nature", "default": 1})

    def test_zoning_kinds_and_expense_categories_are_checked(self) -> None:
        with pytest.raises(ValidationError):
            EXPR.validate_python({"op": "any_zoning", "kinds": ["ZRR"]})
        with pytest.raises(ValidationError):
            EXPR.validate_python({"op": "sum_expenses", "categories": ["furniture"]})

    def test_non_finite_numbers_are_refused(self) -> None:
        with pytest.raises(ValidationError):
            EXPR.validate_python({"op": "lit", "value": float("nan")})

    def test_if_serialises_else_by_its_name(self) -> None:
        expr = EXPR.validate_python({"op": "if", "cond": True, "then": 1, "else": 0})
        assert "else" in EXPR.dump_python(expr)
        assert "else" in EXPR.dump_json(expr).decode()


class TestFieldsAndMissing:
    def test_a_present_value_is_read_and_recorded(self) -> None:
        result = evaluate(EXPR.validate_python(field("project.jobs_created")), FULL)
        assert result.value == 60
        assert result.reads == {"project.jobs_created": 60}

    def test_none_is_unknown_and_recorded_as_missing(self) -> None:
        result = evaluate(EXPR.validate_python(field(TAX)), MISSING)
        assert is_unknown(result.value)
        assert result.missing == (TAX,)
        assert result.reads == {TAX: None}

    def test_a_path_under_an_absent_object_is_missing(self) -> None:
        ctx = context(ACCELERATION, {"territory": None})
        assert evaluate(EXPR.validate_python(field("territory.name")), ctx).missing == (
            "territory.name",
        )

    def test_answers_are_read_by_key(self) -> None:
        ctx = context(ACCELERATION, {"answers": {"site": {"area_ha": 4.5}}})
        assert run(field("answers.site.area_ha"), ctx) == 4.5
        assert evaluate(EXPR.validate_python(field("answers.site.depth")), ctx).missing == (
            "answers.site.depth",
        )

    def test_is_provided_is_never_unknown(self) -> None:
        assert run({"op": "is_provided", "arg": field(TAX)}, MISSING) is False
        assert run({"op": "is_provided", "arg": field(TAX)}) is True


class TestKleene:
    @pytest.mark.parametrize(
        ("op", "known", "expected"),
        [("any", True, True), ("any", False, None), ("all", False, False), ("all", True, None)],
    )
    def test_unknown_matters_only_when_it_could_change_the_answer(
        self, op: str, known: bool, expected: bool | None
    ) -> None:
        result = evaluate(
            EXPR.validate_python({"op": op, "args": [field(TAX), known]}), MISSING, PARAMS
        )
        if expected is None:
            assert is_unknown(result.value)
            assert result.missing == (TAX,)
        else:
            assert result.value is expected
            assert result.missing == ()

    def test_all_arguments_are_read_even_after_a_decisive_one(self) -> None:
        expr = {"op": "all", "args": [False, is_true(TAX), field("project.jobs_created")]}
        result = evaluate(EXPR.validate_python(expr), MISSING)
        assert result.value is False
        assert set(result.reads) == {TAX, "project.jobs_created"}

    def test_not_keeps_unknown(self) -> None:
        assert is_unknown(run({"op": "not", "arg": is_true(TAX)}, MISSING))
        assert run({"op": "not", "arg": is_true(TAX)}) is False

    def test_if_with_an_unknown_condition_and_equal_branches_is_known(self) -> None:
        assert run({"op": "if", "cond": is_true(TAX), "then": 1, "else": 1}, MISSING) == 1
        result = evaluate(
            EXPR.validate_python(
                {"op": "if", "cond": is_true(TAX), "then": field(START), "else": 0}
            ),
            MISSING,
        )
        assert result.missing == (TAX, START)


class TestOperators:
    @pytest.mark.parametrize(
        ("op", "expected"),
        [("eq", False), ("ne", True), ("lt", False), ("lte", False), ("gt", True), ("gte", True)],
    )
    def test_comparisons(self, op: str, expected: bool) -> None:
        assert run({"op": op, "left": field("project.jobs_created"), "right": 50}) is expected

    def test_dates_compare_with_datetimes_by_calendar_date(self) -> None:
        expr = {"op": "gt", "left": field(START), "right": field("submitted_at")}
        assert run(expr) is True
        same_day = context(ACCELERATION, {"submitted_at": datetime(2026, 7, 1, 23, tzinfo=UTC)})
        assert run(expr, same_day) is False

    def test_membership_and_prefixes(self) -> None:
        assert run({"op": "in", "value": field("holder.kind"), "options": ["company"]}) is True
        assert run({"op": "not_in", "value": "x", "options": {"op": "param", "name": "kinds"}})
        naf = field("site.naf_code")
        assert run({"op": "startswith_any", "value": naf, "prefixes": ["24", "25"]}) is True
        assert run({"op": "not_startswith_any", "value": naf, "prefixes": ["01"]}) is True

    def test_between_is_inclusive(self) -> None:
        assert run({"op": "between", "value": 60, "low": 60, "high": 61}) is True
        assert run({"op": "between", "value": 62, "low": 60, "high": 61}) is False

    def test_arithmetic_and_division_by_zero(self) -> None:
        jobs = field("project.jobs_created")
        assert run({"op": "add", "left": jobs, "right": 1}) == 61
        assert run({"op": "sub", "left": jobs, "right": 1}) == 59
        assert run({"op": "mul", "left": jobs, "right": 0.5}) == 30
        assert run({"op": "div", "left": jobs, "right": 40}) == 1.5
        result = evaluate(EXPR.validate_python({"op": "div", "left": jobs, "right": 0}), FULL)
        assert is_unknown(result.value)
        assert result.missing == ()

    def test_aggregates(self) -> None:
        assert run({"op": "min", "args": [1, 0.5, 3]}) == 0.5
        assert run({"op": "max", "args": [1, field("project.jobs_created")]}) == 60
        assert run({"op": "avg", "args": [1, 0, 0.5]}) == 0.5
        assert is_unknown(run({"op": "min", "args": [1, field(TAX)]}, MISSING))

    def test_lists(self) -> None:
        solidarites = field("application.engagements.solidarites")
        assert run({"op": "count", "arg": solidarites}) == 4
        assert run({"op": "non_empty", "args": [solidarites]}) is True
        empty = context(ACCELERATION, {"application.engagements.solidarites": []})
        assert run({"op": "non_empty", "args": [solidarites]}, empty) is False

    def test_parameters(self) -> None:
        region = field("site.region_code")
        by_region = {"op": "param_by_region", "name": "minimum", "region": region}
        assert run(by_region) == 20_000_000
        paris = context(ACCELERATION, {"site.region_code": "11"})
        assert run(by_region, paris) == 40_000_000
        result = evaluate(EXPR.validate_python(by_region), paris, PARAMS)
        assert result.reads["params.minimum"] == 40_000_000
        assert run({"op": "param", "name": "threshold"}) == 10

    def test_enum_map(self) -> None:
        expr = {
            "op": "enum_map",
            "value": field("application.territory_opinion"),
            "cases": {"favourable": 1, "neutral": 0.5},
            "default": 0.1,
            "missing": 0,
        }
        assert run(expr) == 1
        assert run(expr, context(ACCELERATION, {"application.territory_opinion": "neutral"})) == 0.5
        unfavourable = context(ACCELERATION, {"application.territory_opinion": "unfavourable"})
        assert run(expr, unfavourable) == 0.1
        assert run(expr, context(ACCELERATION, {"application.territory_opinion": None})) == 0

    def test_domain_helpers(self) -> None:
        assert run({"op": "naf_section", "arg": field("site.naf_code")}) == "C"
        assert run({"op": "sum_expenses", "categories": ["energy_environment"]}) == 300_000_000
        assert run({"op": "any_zoning", "kinds": ["QPV", "FRR"]}) is True
        assert run({"op": "any_zoning", "kinds": ["QPV"]}) is False
        assert run({"op": "valid_siret", "arg": field("site.siret")}) is True
        assert run({"op": "valid_siret", "arg": "73282932000075"}) is False
        assert run({"op": "valid_commune", "arg": "2A004"}) is True
        assert run({"op": "valid_commune", "arg": "99123"}) is False

    def test_months_between_fields(self) -> None:
        months = {
            "op": "months_between",
            "start": field(START),
            "end": field("project.planned_end"),
        }
        assert run(months) == pytest.approx(17 + 30 / 31)

    def test_unknown_zonings_are_missing(self) -> None:
        result = evaluate(
            EXPR.validate_python({"op": "any_zoning", "kinds": ["TI"]}),
            context(ACCELERATION, {"zonings": None}),
        )
        assert result.missing == ("zonings",)

    def test_an_invalid_naf_code_is_unknown_without_missing_input(self) -> None:
        result = evaluate(
            EXPR.validate_python({"op": "naf_section", "arg": "00.00Z"}), FULL, PARAMS
        )
        assert is_unknown(result.value)
        assert result.missing == ()

    def test_type_errors_are_evaluation_errors(self) -> None:
        with pytest.raises(EvaluationError):
            run({"op": "lt", "left": field("holder.kind"), "right": 3})
        with pytest.raises(EvaluationError):
            run({"op": "count", "arg": field("project.jobs_created")})
