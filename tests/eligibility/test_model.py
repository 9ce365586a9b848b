"""Rulesets: validation when built, immutability, JSON round trip of the shipped ones."""

import copy
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.eligibility.rules import Criterion, Ruleset
from shared.eligibility.rules.expressions import Node
from shared.eligibility.rules.rulesets import SHIPPED_RULESETS, shipped_ruleset


def gate(criterion_id: str = "G01", **changes: Any) -> dict[str, Any]:
    return {
        "id": criterion_id,
        "label_fr": "Critère",
        "kind": "gate",
        "source": [9],
        "expr": {"op": "eq", "left": {"op": "field", "path": "holder.kind"}, "right": "company"},
        "explanation": "Porteur : {holder.kind}.",
        **changes,
    }


def score(criterion_id: str = "S01", points: int = 100, **changes: Any) -> dict[str, Any]:
    return {
        **gate(criterion_id),
        "kind": "score",
        "points": points,
        "expr": {"op": "if", "cond": {"op": "any_zoning", "kinds": ["TI"]}, "then": 1, "else": 0},
        "explanation": "Zonages : {zonings}.",
        **changes,
    }


def ruleset(*criteria: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "fund_code": "fonds-test",
        "version": 1,
        "params": {"threshold": 10, "minimum": {"default": 1, "by_region": {"11": 2}}},
        "criteria": list(criteria) or [gate(), score()],
        **changes,
    }


def errors_of(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        Ruleset.model_validate(data)
    return str(caught.value)


class TestValidation:
    def test_a_valid_ruleset_reports_its_points(self) -> None:
        built = Ruleset.model_validate(ruleset())
        assert built.points_total == 100
        assert [c.id for c in built.gates] == ["G01"]
        assert [c.id for c in built.scores] == ["S01"]

    def test_ids_are_unique(self) -> None:
        assert "duplicate criterion id" in errors_of(ruleset(gate("G01"), gate("G01"), score()))

    def test_points_must_add_up_to_the_declared_maximum(self) -> None:
        message = errors_of(ruleset(gate(), score(points=90)))
        assert "add up to 90, not 100" in message
        assert Ruleset.model_validate(ruleset(gate(), score(points=90), max_score=None))

    def test_gates_award_no_points_and_scores_need_some(self) -> None:
        assert "a gate awards no points" in errors_of(ruleset(gate(points=5), score()))
        assert "a score needs points" in errors_of(ruleset(gate(), score(points=0)))

    def test_referenced_parameters_exist(self) -> None:
        expr = {"op": "gte", "left": {"op": "field", "path": "project.jobs_created"}}
        message = errors_of(
            ruleset(gate(expr={**expr, "right": {"op": "param", "name": "absent"}}), score())
        )
        assert "G01.expr: undefined parameter 'absent'" in message

    def test_a_regional_parameter_needs_a_region(self) -> None:
        expr = {
            "op": "gte",
            "left": {"op": "field", "path": "project.jobs_created"},
            "right": {"op": "param", "name": "minimum"},
        }
        assert "varies by region" in errors_of(ruleset(gate(expr=expr), score()))

    def test_field_paths_belong_to_the_context(self) -> None:
        expr = {"op": "eq", "left": {"op": "field", "path": "holder.kindd"}, "right": "x"}
        message = errors_of(ruleset(gate(expr=expr, explanation="x"), score()))
        assert "unknown context path 'holder.kindd'" in message

    def test_gates_are_boolean_and_scores_numeric(self) -> None:
        number = {"op": "field", "path": "project.jobs_created"}
        assert "must be bool" in errors_of(ruleset(gate(expr=number, explanation="x"), score()))
        text = {"op": "field", "path": "holder.kind"}
        assert "must be bool or number" in errors_of(
            ruleset(gate(), score(expr=text, explanation="x"))
        )

    def test_operand_types_are_checked(self) -> None:
        expr = {
            "op": "lt",
            "left": {"op": "field", "path": "project.planned_start"},
            "right": {"op": "field", "path": "project.jobs_created"},
        }
        assert "'lt' compares date with number" in errors_of(
            ruleset(gate(expr=expr, explanation="x"), score())
        )

    def test_explanation_placeholders_are_inputs_the_criterion_reads(self) -> None:
        message = errors_of(ruleset(gate(explanation="{project.jobs_created}"), score()))
        assert "'{project.jobs_created}' is not an input this criterion reads" in message
        allowed = "{holder.kind} {value} {points} {max_points}"
        assert Ruleset.model_validate(ruleset(gate(explanation=allowed), score()))

    def test_all_problems_are_reported_together(self) -> None:
        message = errors_of(
            ruleset(gate(explanation="{x}"), gate("G01", explanation="{y}"), score(points=3))
        )
        assert "'{x}'" in message
        assert "'{y}'" in message
        assert "duplicate" in message
        assert "add up to 3" in message


class TestImmutability:
    def test_a_ruleset_can_be_copied_and_pickled_and_stays_equal(self) -> None:
        built = shipped_ruleset("fonds-acceleration")
        assert copy.deepcopy(built) == built
        assert pickle.loads(pickle.dumps(built)) == built  # noqa: S301 - our own object

    def test_rulesets_criteria_and_expressions_are_frozen(self) -> None:
        built = shipped_ruleset("fonds-acceleration")
        with pytest.raises(ValidationError):
            built.version = 2  # type: ignore[misc]
        with pytest.raises(ValidationError):
            built.criteria[0].points = 50  # type: ignore[misc]
        with pytest.raises(TypeError):
            built.params["max_duration_months"] = 48  # type: ignore[index]
        regional = built.params["min_eligible_expenses_cents"]
        with pytest.raises(TypeError):
            regional.by_region["11"] = 1  # type: ignore[union-attr, index]
        assert isinstance(built.criteria, tuple)

    @settings(max_examples=60, deadline=None)
    @given(st.data())
    def test_no_node_of_a_shipped_ruleset_can_be_changed(self, data: st.DataObject) -> None:
        built = data.draw(st.sampled_from(list(SHIPPED_RULESETS.values())))
        criterion: Criterion = data.draw(st.sampled_from(built.criteria))
        nodes: list[Node] = list(criterion.expr.walk())
        node = data.draw(st.sampled_from(nodes))
        name = data.draw(st.sampled_from(sorted(type(node).model_fields)))
        with pytest.raises(ValidationError):
            setattr(node, name, getattr(node, name))


class TestShippedRulesets:
    @pytest.mark.parametrize("key", sorted(SHIPPED_RULESETS))
    def test_round_trip_through_json(self, key: tuple[str, int]) -> None:
        built = SHIPPED_RULESETS[key]
        assert Ruleset.model_validate(built.model_dump()) == built
        assert Ruleset.model_validate_json(built.model_dump_json()) == built

    @pytest.mark.parametrize("key", sorted(SHIPPED_RULESETS))
    def test_scores_add_up_to_100_and_every_criterion_cites_a_source(
        self, key: tuple[str, int]
    ) -> None:
        built = SHIPPED_RULESETS[key]
        assert built.points_total == 100
        for criterion in built.criteria:
            assert criterion.source == "assumption" or (
                isinstance(criterion.source, tuple) and all(n > 0 for n in criterion.source)
            )

    def test_the_acceleration_fund_is_section_7(self) -> None:
        built = shipped_ruleset("fonds-acceleration", 1)
        gates = [c.id.split("_")[0] for c in built.gates]
        scores = {c.id.split("_")[0]: c.points for c in built.scores}
        assert gates == [f"G{n:02d}" for n in range(1, 16)]
        assert scores == {
            "S01": 10,
            "S02": 10,
            "S03": 15,
            "S04": 5,
            "S05": 10,
            "S06": 15,
            "S07": 10,
            "S08": 10,
            "S09": 10,
            "S10": 5,
        }
        assert built.params["min_eligible_expenses_cents"].model_dump() == {  # type: ignore[union-attr]
            "default": 20_000_000,
            "by_region": {"11": 40_000_000},
        }
        assert built.criterion("G06_min_expense_base").source == (2, 9, 12)
        assert built.criterion("S10_leverage").source == "assumption"

    def test_latest_version_and_unknown_funds(self) -> None:
        assert shipped_ruleset("fonds-vert-ti").version == 2
        assert shipped_ruleset("fonds-vert-ti", 1).version == 1
        with pytest.raises(KeyError):
            shipped_ruleset("sites-cles-en-main")
