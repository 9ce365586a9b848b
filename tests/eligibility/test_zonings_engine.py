"""Per-kind zoning knowledge in the engine: a covered kind is false, an uncovered one unknown."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from shared.eligibility.facts import zoning_facts
from shared.eligibility.rules import (
    CriterionStatus,
    EvaluationContext,
    Expression,
    Verdict,
    ZoningFacts,
    evaluate,
    evaluate_ruleset,
    indicative_aid_ceiling,
)
from shared.eligibility.rules.rulesets import shipped_ruleset
from shared.zonings.kinds import ZoningKind
from shared.zonings.service import SiteZonings
from tests.eligibility.contexts import ACCELERATION, with_changes

EXPR: TypeAdapter[Any] = TypeAdapter(Expression)
ACCELERATION_RULES = shipped_ruleset("fonds-acceleration")
ALL_FALSE = {kind.value: False for kind in ZoningKind}


def zonings(**kinds: bool | None) -> dict[str, Any]:
    """Every kind known and false, except those given (None: not covered)."""
    return {**ALL_FALSE, **kinds}


def ctx(zoning: Any, **changes: Any) -> EvaluationContext:
    return EvaluationContext.model_validate(
        with_changes(ACCELERATION, {"zonings": zoning, **changes})
    )


def any_zoning(context: EvaluationContext, *kinds: str) -> Any:
    return evaluate(EXPR.validate_python({"op": "any_zoning", "kinds": list(kinds)}), context)


class TestAnyZoning:
    def test_a_covered_kind_without_membership_is_false(self) -> None:
        result = any_zoning(ctx(zonings(TI=True)), "QPV", "FRR")
        assert result.value is False
        assert result.missing == ()

    def test_an_uncovered_kind_is_unknown_and_named(self) -> None:
        result = any_zoning(ctx(zonings(TI=True, QPV=None)), "QPV", "FRR")
        assert result.missing == ("zonings.QPV",)

    def test_a_membership_decides_even_when_other_kinds_are_unknown(self) -> None:
        context = ctx({"TI": True, "vintage": "TI territoires"})
        result = any_zoning(context, "QPV", "TI")
        assert result.value is True
        assert result.missing == ()

    def test_nothing_known_names_zonings(self) -> None:
        assert any_zoning(ctx(None), "TI").missing == ("zonings",)

    def test_a_list_is_complete(self) -> None:
        facts = ZoningFacts.model_validate(["TI", "AFR_C"])
        assert facts.unknown == ()
        assert facts.member_of == ("TI", "AFR_C")
        assert facts.QPV is False

    def test_the_answers_are_not_fields(self) -> None:
        facts = ZoningFacts.model_validate(["TI"])
        assert facts.member_of == ("TI",)

        assert facts.model_dump() == {**ALL_FALSE, "TI": True, "vintage": None}
        assert facts == ZoningFacts.model_validate(["TI"])
        assert "member_of" not in ZoningFacts.model_json_schema(mode="serialization")["properties"]

    def test_a_sites_zonings_become_facts(self) -> None:
        site = SiteZonings(member_of=(ZoningKind.TI,), unknown=(ZoningKind.QPV,), vintage="v")

        facts = zoning_facts(site)

        assert (facts.TI, facts.QPV, facts.FRR, facts.vintage) == (True, None, False, "v")
        assert (facts.member_of, facts.unknown) == (("TI",), ("QPV",))


class TestAccelerationFund:
    def test_uncovered_fragility_kinds_leave_s02_unknown_not_false(self) -> None:
        outcome = evaluate_ruleset(
            ACCELERATION_RULES, ctx(zonings(TI=True, QPV=None, ACV=None, FRR=True))
        )
        s02 = outcome.result("S02_fragile_territory")
        assert s02.status == CriterionStatus.PASS  # FRR is fragile: decided without QPV
        partial = evaluate_ruleset(
            ACCELERATION_RULES, ctx(zonings(TI=True, QPV=None, ACV=None, AFR_C=True))
        )
        s02 = partial.result("S02_fragile_territory")
        assert s02.status == CriterionStatus.UNKNOWN
        assert s02.missing == ("zonings.ACV", "zonings.QPV")
        assert partial.unknown_gates == ()  # a score never makes the verdict undetermined

    def test_covered_kinds_without_rows_score_zero(self) -> None:
        outcome = evaluate_ruleset(ACCELERATION_RULES, ctx(zonings(TI=True)))
        s02 = outcome.result("S02_fragile_territory")
        assert (s02.status, s02.points) == (CriterionStatus.FAIL, 0)
        assert outcome.result("S01_in_territoire_industrie").points == 10

    def test_an_uncovered_afr_zone_c_keeps_the_sme_ceiling_undetermined(self) -> None:
        outcome = evaluate_ruleset(ACCELERATION_RULES, ctx(zonings(TI=True, AFR_C=None)))
        g14 = outcome.result("G14_state_aid_ceiling")
        assert g14.status == CriterionStatus.UNKNOWN
        assert g14.missing == ("zonings.AFR_C",)
        assert outcome.verdict == Verdict.UNDETERMINED
        assert outcome.missing == ("zonings.AFR_C",)

    def test_an_afr_kind_that_cannot_apply_is_not_needed(self) -> None:
        # A large firm extending a metropolitan site: zone c (creation only) and zone a
        # (overseas only) cannot apply, so their being unknown does not matter.
        large = ctx(
            zonings(TI=True, AFR_C=None, AFR_A=None),
            **{"holder.headcount": 900, "holder.turnover_cents": 30_000_000_000},
            **{"project.nature": "extension", "application.requested_amount_cents": 100_000},
        )
        g14 = evaluate_ruleset(ACCELERATION_RULES, large).result("G14_state_aid_ceiling")
        assert g14.status == CriterionStatus.PASS
        assert g14.inputs["aid_ceiling.regime"] == "de_minimis_2023_2831"

    def test_a_request_within_the_known_floor_needs_no_zoning(self) -> None:
        # A medium undertaking whose AFR zone c status is unknown: GBER art. 14 could raise
        # the ceiling, but de minimis (300 k€ less the 120 k€ declared: 180 k€) and GBER
        # art. 17 (10 % of the 9.8 M€ base: 980 k€) already hold, whatever the zone.
        uncovered = zonings(TI=True, AFR_C=None)
        for within in (18_000_000, 98_000_000):
            context = ctx(uncovered, **{"application.requested_amount_cents": within})
            g14 = evaluate_ruleset(ACCELERATION_RULES, context).result("G14_state_aid_ceiling")
            assert (g14.status, g14.missing) == (CriterionStatus.PASS, ()), within
        beyond = ctx(uncovered, **{"application.requested_amount_cents": 98_000_001})
        g14 = evaluate_ruleset(ACCELERATION_RULES, beyond).result("G14_state_aid_ceiling")
        assert (g14.status, g14.missing) == (CriterionStatus.UNKNOWN, ("zonings.AFR_C",))
        # Without the expense base, the floor is the de minimis room alone.
        no_base = ctx(
            uncovered,
            **{
                "application.requested_amount_cents": 18_000_001,
                "application.eligible_expense_base_cents": None,
            },
        )
        g14 = evaluate_ruleset(ACCELERATION_RULES, no_base).result("G14_state_aid_ceiling")
        assert g14.status == CriterionStatus.UNKNOWN
        undeclared = ctx(
            uncovered,
            **{
                "application.requested_amount_cents": 98_000_001,
                "application.prior_deminimis_cents": None,
            },
        )
        g14 = evaluate_ruleset(ACCELERATION_RULES, undeclared).result("G14_state_aid_ceiling")
        assert g14.status == CriterionStatus.UNKNOWN  # no room known without the declaration
        assert "application.prior_deminimis_cents" in g14.missing
        # Undeclared prior aid: the art. 17 floor still holds (it owes nothing to de minimis).
        within = ctx(
            uncovered,
            **{
                "application.requested_amount_cents": 98_000_000,
                "application.prior_deminimis_cents": None,
            },
        )
        g14 = evaluate_ruleset(ACCELERATION_RULES, within).result("G14_state_aid_ceiling")
        assert (g14.status, g14.missing) == (CriterionStatus.PASS, ())

    def test_the_vintage_is_recorded_with_the_zonings_read(self) -> None:
        vintage = "TI territoires; AFR_C afr-2022"
        outcome = evaluate_ruleset(
            ACCELERATION_RULES, ctx({**zonings(TI=True), "vintage": vintage})
        )
        for criterion in ("S01_in_territoire_industrie", "G14_state_aid_ceiling"):
            inputs = outcome.result(criterion).as_json()["inputs"]
            assert inputs["zonings.vintage"] == vintage
            assert inputs["zonings"] == ["TI"]

    def test_the_aid_ceiling_names_each_uncovered_afr_kind(self) -> None:
        ceiling = indicative_aid_ceiling(
            base_cents=10**9,
            prior_deminimis_cents=0,
            eu_size="small",
            nature="extension",
            region_code=None,
            zonings=("TI",),
            unknown_zonings=("AFR_A", "AFR_C", "QPV"),
        )
        assert ceiling.amount_cents is None
        assert ceiling.missing == ("zonings.AFR_C", "zonings.AFR_A", "region_code")


KNOWLEDGE = st.sampled_from([True, False, None])


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries({kind.value: KNOWLEDGE for kind in ZoningKind}),
    st.sampled_from([8, 120, 900]),
    st.sampled_from(["creation", "extension"]),
    st.sampled_from(["53", "03"]),
)
def test_missing_zoning_kinds_are_uncovered_and_covering_them_decides(
    knowledge: dict[str, bool | None], headcount: int, nature: str, region: str
) -> None:
    base = {"holder.headcount": headcount, "project.nature": nature, "site.region_code": region}
    outcome = evaluate_ruleset(ACCELERATION_RULES, ctx(knowledge, **base))
    named = {path for r in outcome.criteria for path in r.missing if path.startswith("zonings")}
    for path in named:
        assert knowledge[path.removeprefix("zonings.")] is None, path
    covered = {**knowledge, **{p.removeprefix("zonings."): False for p in named}}
    again = evaluate_ruleset(ACCELERATION_RULES, ctx(covered, **base))
    assert again.unknown_gates == ()
    for result in again.criteria:
        assert not [p for p in result.missing if p.startswith("zonings")], result.id
