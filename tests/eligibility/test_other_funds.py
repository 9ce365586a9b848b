"""The brownfield, école de production and Fonds vert axe 3 rulesets on realistic applications."""

from typing import Any

import pytest

from shared.eligibility.rules import CriterionStatus, Outcome, Verdict, evaluate_ruleset
from shared.eligibility.rules.rulesets import shipped_ruleset
from tests.eligibility.contexts import ACCELERATION, ECOLE, FONDS_VERT, FRICHES, KEUR, context


def assess(fund_code: str, base: dict[str, Any], changes: dict[str, Any] | None = None) -> Outcome:
    return evaluate_ruleset(shipped_ruleset(fund_code), context(base, changes))


class TestFondsVertTi:
    def test_a_structuring_green_investment_in_a_ti_is_eligible(self) -> None:
        outcome = assess("fonds-vert-ti", FONDS_VERT)
        assert outcome.verdict == Verdict.ELIGIBLE
        assert outcome.total >= 80

    def test_a_site_outside_any_territoire_d_industrie_is_ineligible(self) -> None:
        outside = {"territory": None, "zonings": ["FRR", "AFR_C"]}
        assert assess("fonds-acceleration", ACCELERATION, outside).verdict == Verdict.ELIGIBLE
        outcome = assess("fonds-vert-ti", FONDS_VERT, outside)
        assert outcome.verdict == Verdict.INELIGIBLE
        assert outcome.failed_gates == ("V03_site_in_territoire_industrie",)

    def test_the_territory_governance_must_agree(self) -> None:
        neutral = assess("fonds-vert-ti", FONDS_VERT, {"application.territory_opinion": "neutral"})
        assert neutral.failed_gates == ("V04_territory_agreement",)
        missing = assess("fonds-vert-ti", FONDS_VERT, {"application.territory_opinion": None})
        assert missing.verdict == Verdict.UNDETERMINED
        assert missing.missing == ("application.territory_opinion",)

    @pytest.mark.parametrize(
        ("volet", "expected"), [(2, Verdict.ELIGIBLE), (1, Verdict.INELIGIBLE)]
    )
    def test_associations_apply_to_the_skills_volet_only(
        self, volet: int, expected: Verdict
    ) -> None:
        changes = {"holder.kind": "association", "answers.volet": volet}
        assert assess("fonds-vert-ti", FONDS_VERT, changes).verdict == expected

    def test_no_aid_to_a_company_in_difficulty(self) -> None:
        outcome = assess("fonds-vert-ti", FONDS_VERT, {"holder.in_difficulty": True})
        assert outcome.failed_gates == ("V05_not_in_difficulty",)

    def test_an_investment_already_made_is_ineligible(self) -> None:
        outcome = assess(
            "fonds-vert-ti", FONDS_VERT, {"application.attestations.not_started": False}
        )
        assert outcome.failed_gates == ("V07_not_started",)


class TestFondsFriches:
    def test_a_local_authority_recycling_a_foundry_site_is_eligible(self) -> None:
        outcome = assess("fonds-friches", FRICHES)
        assert outcome.verdict == Verdict.ELIGIBLE
        tax = outcome.result("F09_tax_social_ok")
        assert tax.status == CriterionStatus.NOT_APPLICABLE

    def test_agricultural_land_is_never_a_friche(self) -> None:
        outcome = assess("fonds-friches", FRICHES, {"answers.former_use": "agricultural"})
        assert outcome.failed_gates == ("F03_not_agricultural_or_forest",)

    def test_the_subsidy_only_fills_the_deficit(self) -> None:
        outcome = assess(
            "fonds-friches", FRICHES, {"application.requested_amount_cents": 1500 * KEUR}
        )
        assert outcome.failed_gates == ("F05_aid_within_deficit",)
        assert "1 500 000 €" in outcome.result("F05_aid_within_deficit").explanation
        no_deficit = assess("fonds-friches", FRICHES, {"answers.economic_deficit_cents": 0})
        assert "F04_economic_deficit" in no_deficit.failed_gates

    def test_a_company_owner_must_attest_its_tax_and_social_standing(self) -> None:
        outcome = assess("fonds-friches", FRICHES, {"holder.kind": "company"})
        assert outcome.verdict == Verdict.UNDETERMINED
        assert outcome.missing == ("application.attestations.tax_social_ok",)

    def test_unanswered_friche_questions_are_listed(self) -> None:
        outcome = assess("fonds-friches", FRICHES, {"answers": {"end_use": "economic"}})
        assert outcome.verdict == Verdict.UNDETERMINED
        assert outcome.missing == (
            "answers.economic_deficit_cents",
            "answers.former_use",
            "answers.friche_vacant_or_degraded",
        )
        assert (
            "réponse « former_use »" in outcome.result("F03_not_agricultural_or_forest").explanation
        )


class TestEcolesDeProduction:
    def test_a_school_buying_its_workshop_is_eligible(self) -> None:
        outcome = assess("ecoles-de-production", ECOLE)
        assert outcome.verdict == Verdict.ELIGIBLE
        assert outcome.result("E06_engineering_study_cap").status == (
            CriterionStatus.NOT_APPLICABLE
        )

    def test_equipment_aid_is_capped_at_half_and_800_thousand_euros(self) -> None:
        over_cap = assess(
            "ecoles-de-production", ECOLE, {"application.requested_amount_cents": 810 * KEUR}
        )
        assert over_cap.failed_gates == ("E07_equipment_cap",)
        half = {
            "application.expense_lines": [{"category": "equipment", "amount_cents": 1000 * KEUR}],
            "application.requested_amount_cents": 510 * KEUR,
        }
        assert assess("ecoles-de-production", ECOLE, half).failed_gates == ("E07_equipment_cap",)

    def test_an_engineering_study_is_capped_at_50_thousand_euros(self) -> None:
        study = {"answers.support_type": "engineering_study"}
        over = assess(
            "ecoles-de-production",
            ECOLE,
            {**study, "application.requested_amount_cents": 60 * KEUR},
        )
        assert over.failed_gates == ("E06_engineering_study_cap",)
        assert over.result("E07_equipment_cap").status == CriterionStatus.NOT_APPLICABLE
        within = assess(
            "ecoles-de-production",
            ECOLE,
            {**study, "application.requested_amount_cents": 45 * KEUR},
        )
        assert within.verdict == Verdict.ELIGIBLE

    def test_a_company_cannot_apply(self) -> None:
        outcome = assess("ecoles-de-production", ECOLE, {"holder.kind": "company"})
        assert outcome.failed_gates == ("E01_applicant_kind",)

    def test_a_conditional_gate_that_would_pass_either_way_passes(self) -> None:
        outcome = assess("ecoles-de-production", ECOLE, {"answers.support_type": None})
        assert outcome.verdict == Verdict.UNDETERMINED
        assert outcome.unknown_gates == ("E05_support_type", "E06_engineering_study_cap")
        assert outcome.result("E07_equipment_cap").status == CriterionStatus.PASS
        assert outcome.result("E10_not_started").status == CriterionStatus.PASS
        assert outcome.missing == ("answers.support_type",)
