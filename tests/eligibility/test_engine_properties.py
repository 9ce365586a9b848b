"""Properties of the engine over generated applications, for every shipped ruleset."""

import json
import operator
from datetime import date, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.eligibility.rules import (
    CriterionKind,
    CriterionStatus,
    EvaluationContext,
    Outcome,
    Ruleset,
    Verdict,
    evaluate_ruleset,
)
from shared.eligibility.rules.rulesets import SHIPPED_RULESETS
from tests.eligibility.contexts import (
    ACCELERATION,
    COMPANY_SIREN,
    ECOLE,
    FONDS_VERT,
    FRICHES,
    PARTNER_SIREN,
    SUBMITTED_AT,
    with_changes,
)

COMPLETE = {
    "holder.difficulty_exit_accepted": False,
    "application.expense_holder_siren": COMPANY_SIREN,
    "application.attestations.tax_social_ok": True,
}
"""Fills the inputs the base contexts leave empty, so a generated context starts complete."""

BASES = {
    "fonds-acceleration": with_changes(ACCELERATION, COMPLETE),
    "fonds-friches": with_changes(FRICHES, COMPLETE),
    "ecoles-de-production": with_changes(ECOLE, COMPLETE),
    "fonds-vert-ti": with_changes(FONDS_VERT, COMPLETE),
}

NULLABLE = [
    "application.applicant_siren",
    "application.expense_holder_siren",
    "application.requested_amount_cents",
    "application.eligible_expense_base_cents",
    "application.prior_deminimis_cents",
    "application.territory_opinion",
    "application.attestations.tax_social_ok",
    "application.attestations.not_started",
    "application.attestations.permits_obtained",
    "application.attestations.financing_secured",
    "project.nature",
    "project.investment_total_cents",
    "project.planned_start",
    "project.planned_end",
    "project.jobs_created",
    "project.jobs_maintained",
    "project.relocation.flag",
    "project.is_collective",
    "holder.kind",
    "holder.legal_form_code",
    "holder.in_difficulty",
    "holder.difficulty_exit_accepted",
    "holder.admin_status",
    "holder.eu_size",
    "site.siret",
    "site.commune_insee",
    "site.region_code",
    "site.naf_code",
    "site.admin_status",
    "zonings",
    "submitted_at",
    "answers.volet",
    "answers.support_type",
    "answers.friche_vacant_or_degraded",
    "answers.economic_deficit_cents",
    "answers.end_use",
    "answers.planned_students",
]


def _variations() -> st.SearchStrategy[dict[str, Any]]:
    """Known (never None) values that move applications across the gates' thresholds."""
    start = st.integers(min_value=-60, max_value=500).map(
        lambda days: SUBMITTED_AT.date() + timedelta(days=days)
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "holder.kind": st.sampled_from(
                ["company", "association", "training_body", "local_authority", "public_body"]
            ),
            "holder.legal_form_code": st.sampled_from(["5710", "6540", "1000", "9220"]),
            "holder.in_difficulty": st.booleans(),
            "holder.difficulty_exit_accepted": st.booleans(),
            "holder.headcount": st.sampled_from([8, 45, 120, 900]),
            "site.naf_code": st.sampled_from(["24.51Z", "01.11Z", "03.21Z", "64.19Z", "46.69B"]),
            "site.region_code": st.sampled_from(["11", "53", "84", "01", "06"]),
            "site.siret": st.sampled_from(["73282932000074", "73282932000075"]),
            "site.commune_insee": st.sampled_from(["56121", "2A004", "99999", "97101"]),
            "zonings": st.lists(st.sampled_from(["TI", "QPV", "FRR", "AFR_C", "AFR_A"])),
            "application.eligible_expense_base_cents": st.integers(0, 5 * 10**9),
            "application.requested_amount_cents": st.integers(0, 10**9),
            "application.prior_deminimis_cents": st.integers(0, 4 * 10**7),
            "application.expense_holder_siren": st.sampled_from([COMPANY_SIREN, PARTNER_SIREN]),
            "application.territory_opinion": st.sampled_from(
                ["favourable", "neutral", "unfavourable"]
            ),
            "application.attestations.tax_social_ok": st.booleans(),
            "application.attestations.not_started": st.booleans(),
            "application.engagements.solidarites": st.lists(st.just("Apprentis"), max_size=5),
            "project.nature": st.sampled_from(
                ["creation", "extension", "relocation", "training_platform"]
            ),
            "project.planned_start": start,
            "project.planned_end": st.dates(date(2026, 1, 1), date(2030, 1, 1)),
            "project.is_collective": st.booleans(),
            "project.jobs_created": st.integers(0, 200),
            "answers.volet": st.sampled_from([1, 2, 3]),
            "answers.support_type": st.sampled_from(["engineering_study", "investment", "other"]),
            "answers.economic_deficit_cents": st.integers(0, 3 * 10**8),
            "answers.end_use": st.sampled_from(["economic", "housing", "parking"]),
        },
    )


@st.composite
def cases(draw: st.DrawFn) -> tuple[Ruleset, dict[str, Any], set[str]]:
    """A shipped ruleset, a complete context for it, and the paths to blank out."""
    ruleset = draw(st.sampled_from(list(SHIPPED_RULESETS.values())))
    full = with_changes(BASES[ruleset.fund_code], draw(_variations()))
    blanked = draw(st.sets(st.sampled_from(NULLABLE), max_size=6))
    return ruleset, full, blanked


def blank(full: dict[str, Any], paths: set[str]) -> EvaluationContext:
    changes: dict[str, Any] = dict.fromkeys(paths)
    if "holder.eu_size" in paths:
        changes["holder.headcount"] = None
    return EvaluationContext.model_validate(with_changes(full, changes))


def resolve(ctx: EvaluationContext, path: str) -> Any:
    if path.startswith("answers."):
        value: Any = ctx.answers
        for key in path.split(".")[1:]:
            value = value.get(key) if isinstance(value, dict) else None
        return value
    try:
        return operator.attrgetter(path)(ctx)
    except AttributeError:
        return None


def gates(outcome: Outcome, status: CriterionStatus) -> list[str]:
    return [r.id for r in outcome.criteria if r.kind == CriterionKind.GATE and r.status == status]


@settings(max_examples=300, deadline=None)
@given(cases())
def test_the_verdict_follows_the_gates(case: tuple[Ruleset, dict[str, Any], set[str]]) -> None:
    ruleset, full, blanked = case
    outcome = evaluate_ruleset(ruleset, blank(full, blanked))
    failed = gates(outcome, CriterionStatus.FAIL)
    unknown = gates(outcome, CriterionStatus.UNKNOWN)
    assert outcome.failed_gates == tuple(failed)
    assert outcome.unknown_gates == tuple(unknown)
    assert len(outcome.criteria) == len(ruleset.criteria)
    union = sorted({path for r in outcome.criteria if r.id in unknown for path in r.missing})
    assert outcome.missing == tuple(union)
    if failed:
        assert outcome.verdict == Verdict.INELIGIBLE
    elif unknown:
        assert outcome.verdict == Verdict.UNDETERMINED
        assert outcome.missing
    else:
        assert outcome.verdict == Verdict.ELIGIBLE
        assert outcome.missing == ()


@settings(max_examples=300, deadline=None)
@given(cases())
def test_missing_inputs_are_exactly_those_that_keep_gates_unknown(
    case: tuple[Ruleset, dict[str, Any], set[str]],
) -> None:
    ruleset, full, blanked = case
    ctx = blank(full, blanked)
    outcome = evaluate_ruleset(ruleset, ctx)
    for result in outcome.criteria:
        for path in result.missing:
            assert resolve(ctx, path) is None, path
        assert bool(result.missing) <= (result.status == CriterionStatus.UNKNOWN)
    restored = blank(full, blanked - set(outcome.missing))
    again = evaluate_ruleset(ruleset, restored)
    assert again.unknown_gates == ()
    for criterion_id in outcome.failed_gates:
        assert again.result(criterion_id).status == CriterionStatus.FAIL


@settings(max_examples=200, deadline=None)
@given(cases())
def test_total_is_the_sum_of_the_criteria_points(
    case: tuple[Ruleset, dict[str, Any], set[str]],
) -> None:
    ruleset, full, blanked = case
    outcome = evaluate_ruleset(ruleset, blank(full, blanked))
    assert abs(outcome.total - sum(r.points for r in outcome.criteria)) < 1e-9
    assert 0 <= outcome.total <= outcome.max_total == ruleset.points_total
    for result in outcome.criteria:
        assert 0 <= result.points <= result.max_points
        if result.kind == CriterionKind.GATE or result.status != CriterionStatus.PASS:
            assert result.points == 0


@settings(max_examples=150, deadline=None)
@given(cases())
def test_evaluation_is_deterministic(case: tuple[Ruleset, dict[str, Any], set[str]]) -> None:
    ruleset, full, blanked = case
    first = evaluate_ruleset(ruleset, blank(full, blanked))
    second = evaluate_ruleset(ruleset, blank(full, blanked))
    copy = Ruleset.model_validate_json(ruleset.model_dump_json())
    third = evaluate_ruleset(copy, blank(full, blanked))
    assert first == second == third
    assert json.dumps(first.as_json()) == json.dumps(third.as_json())
    assert [r.explanation for r in first.criteria] == [r.explanation for r in third.criteria]
