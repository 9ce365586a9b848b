"""The acceleration fund's ruleset v1 on applications like those the programme describes."""

import json
import uuid
from datetime import date
from typing import Any

import pytest

from shared.applications.schemas import ApplicationRead, ProjectSnapshot
from shared.eligibility.rules import (
    AidRegime,
    CriterionStatus,
    EvaluationContext,
    Outcome,
    Verdict,
    evaluate_ruleset,
)
from shared.eligibility.rules.rulesets import shipped_ruleset
from tests.eligibility.contexts import ACCELERATION, KEUR, PARTNER_SIREN, SUBMITTED_AT, context

RULESET = shipped_ruleset("fonds-acceleration", 1)


def assess(changes: dict[str, Any] | None = None) -> Outcome:
    return evaluate_ruleset(RULESET, context(ACCELERATION, changes))


def status(outcome: Outcome, criterion_id: str) -> CriterionStatus:
    return outcome.result(criterion_id).status


def test_relocation_in_a_fragile_territory_starting_within_six_months_scores_high() -> None:
    outcome = assess()
    assert outcome.verdict == Verdict.ELIGIBLE
    assert outcome.failed_gates == outcome.unknown_gates == outcome.missing == ()
    assert outcome.total >= 95
    for criterion_id in ("S02_fragile_territory", "S05_relocation", "S08_maturity"):
        result = outcome.result(criterion_id)
        assert result.points == result.max_points
    assert outcome.result("S05_relocation").explanation == (
        "10/10 points. Projet de relocalisation : oui."
    )
    assert status(outcome, "G15_collective_lead_bears_costs") == CriterionStatus.NOT_APPLICABLE


def test_outside_any_territoire_d_industrie_is_eligible_without_the_ti_points() -> None:
    inside = assess()
    outside = assess({"territory": None, "zonings": ["FRR", "AFR_C"]})
    assert outside.verdict == Verdict.ELIGIBLE
    s01 = outside.result("S01_in_territoire_industrie")
    assert s01.status == CriterionStatus.FAIL
    assert s01.points == 0
    assert inside.total - outside.total == 10


@pytest.mark.parametrize(("region", "minimum"), [("53", "200 000 €"), ("11", "400 000 €")])
def test_an_expense_base_under_the_regional_minimum_is_ineligible(
    region: str, minimum: str
) -> None:
    base = 150 * KEUR if region == "53" else 350 * KEUR
    outcome = assess(
        {
            "site.region_code": region,
            "application.eligible_expense_base_cents": base,
            "application.requested_amount_cents": 30 * KEUR,
        }
    )
    assert outcome.verdict == Verdict.INELIGIBLE
    assert outcome.failed_gates == ("G06_min_expense_base",)
    g06 = outcome.result("G06_min_expense_base")
    assert g06.inputs["application.eligible_expense_base_cents"] == base
    expected_base = "150 000 €" if region == "53" else "350 000 €"
    assert g06.explanation == (
        f"Non satisfait. Assiette de dépenses éligibles de {expected_base} pour un minimum de "
        f"{minimum} dans la région {region}."
    )


def test_four_hundred_thousand_euros_pass_outside_ile_de_france_only() -> None:
    changes = {
        "application.eligible_expense_base_cents": 350 * KEUR,
        "application.requested_amount_cents": 30 * KEUR,
    }
    assert status(assess(changes), "G06_min_expense_base") == CriterionStatus.PASS
    paris = assess({**changes, "site.region_code": "11"})
    assert status(paris, "G06_min_expense_base") == CriterionStatus.FAIL


def test_a_missing_attestation_makes_the_application_undetermined_and_says_which() -> None:
    outcome = assess({"application.attestations.tax_social_ok": None})
    assert outcome.verdict == Verdict.UNDETERMINED
    assert outcome.unknown_gates == ("G11_tax_social_ok",)
    assert outcome.missing == ("application.attestations.tax_social_ok",)
    assert outcome.result("G11_tax_social_ok").explanation == (
        "Indéterminé. Attestation de régularité fiscale et sociale : non renseigné. "
        "À compléter : attestation de régularité fiscale et sociale "
        "(application.attestations.tax_social_ok)."
    )


def test_missing_inputs_of_several_gates_are_listed_together() -> None:
    outcome = assess(
        {
            "application.attestations.not_started": None,
            "site.siret": None,
            "project.jobs_created": None,
        }
    )
    assert outcome.verdict == Verdict.UNDETERMINED
    assert outcome.missing == ("application.attestations.not_started", "site.siret")
    assert status(outcome, "S03_jobs_created") == CriterionStatus.UNKNOWN


def test_primary_agriculture_is_ineligible() -> None:
    outcome = assess({"site.naf_code": "01.11Z", "holder.naf_code": "01.11Z"})
    assert outcome.verdict == Verdict.INELIGIBLE
    assert "G04_excluded_sectors" in outcome.failed_gates
    assert "G05_industrial_dimension" in outcome.failed_gates
    assert "01.11Z" in outcome.result("G04_excluded_sectors").explanation


@pytest.mark.parametrize("naf", ["03.21Z", "64.19Z", "65.11Z", "66.12Z"])
def test_fishing_and_finance_are_ineligible(naf: str) -> None:
    assert assess({"site.naf_code": naf}).failed_gates[0] == "G04_excluded_sectors"


def test_a_training_platform_outside_industry_has_an_industrial_dimension() -> None:
    outcome = assess({"site.naf_code": "85.59A", "project.nature": "training_platform"})
    assert status(outcome, "G05_industrial_dimension") == CriterionStatus.PASS
    assert outcome.result("S07_skills_and_inclusion").points == 10


def test_all_gates_are_evaluated_after_a_failure() -> None:
    outcome = assess(
        {
            "holder.kind": "local_authority",
            "holder.legal_form_code": "6540",
            "application.attestations.tax_social_ok": None,
        }
    )
    assert outcome.verdict == Verdict.INELIGIBLE
    assert outcome.failed_gates == ("G01_applicant_kind", "G03_excluded_legal_forms")
    assert outcome.unknown_gates == ("G11_tax_social_ok",)
    assert outcome.missing == ("application.attestations.tax_social_ok",)


@pytest.mark.parametrize(
    ("changes", "gate"),
    [
        ({"project.planned_end": date(2028, 9, 1)}, "G07_duration"),
        ({"project.planned_start": date(2027, 4, 1)}, "G08_start_window"),
        ({"project.planned_start": date(2026, 1, 5)}, "G09_not_started"),
        ({"application.attestations.not_started": False}, "G09_not_started"),
        (
            {"holder.in_difficulty": True, "holder.difficulty_exit_accepted": False},
            "G10_not_in_difficulty",
        ),
        ({"application.engagements.transition_ecologique": []}, "G12_engagements_filled"),
        ({"site.commune_insee": "99123"}, "G13_site_in_france"),
        ({"site.admin_status": "F"}, "G02_registered_and_active"),
        ({"site.siret": "73282932000075"}, "G02_registered_and_active"),
    ],
)
def test_each_gate_rejects_what_it_should(changes: dict[str, Any], gate: str) -> None:
    outcome = assess(changes)
    assert outcome.verdict == Verdict.INELIGIBLE
    assert gate in outcome.failed_gates


def test_a_company_in_difficulty_is_eligible_once_its_exit_is_proven() -> None:
    unproven = assess({"holder.in_difficulty": True})
    assert unproven.failed_gates == ()
    assert unproven.missing == ("holder.difficulty_exit_accepted",)
    proven = assess({"holder.in_difficulty": True, "holder.difficulty_exit_accepted": True})
    assert proven.verdict == Verdict.ELIGIBLE


def test_in_a_collective_project_the_lead_bears_the_costs() -> None:
    collective = {"project.is_collective": True}
    assert assess(collective).missing == ("application.expense_holder_siren",)
    other = assess({**collective, "application.expense_holder_siren": PARTNER_SIREN})
    assert other.failed_gates == ("G15_collective_lead_bears_costs",)
    lead = assess({**collective, "application.expense_holder_siren": "732829320"})
    assert lead.verdict == Verdict.ELIGIBLE


def test_the_state_aid_ceiling_keeps_its_regime() -> None:
    outcome = assess()
    assert outcome.aid_ceiling is not None
    assert outcome.aid_ceiling.regime == AidRegime.GBER_ART14_AFR_C
    assert outcome.aid_ceiling.amount_cents == 980 * 10 * KEUR * 25 // 100
    too_much = assess({"application.requested_amount_cents": 2500 * KEUR})
    assert too_much.failed_gates == ("G14_state_aid_ceiling",)
    assert (
        "(régime : RGEC art. 14 (AFR zone c))"
        in too_much.result("G14_state_aid_ceiling").explanation
    )


def test_a_large_firm_outside_regional_aid_zones_is_held_to_de_minimis() -> None:
    large = {"holder.headcount": 900, "holder.turnover_cents": 90_000 * 10 * KEUR}
    outcome = assess({**large, "zonings": ["TI"]})
    assert outcome.aid_ceiling is not None
    assert outcome.aid_ceiling.regime == AidRegime.DE_MINIMIS
    assert outcome.aid_ceiling.amount_cents == 300 * KEUR - 120 * KEUR
    assert outcome.failed_gates == ("G14_state_aid_ceiling",)


def test_an_unknown_company_size_is_a_missing_input_of_the_aid_ceiling() -> None:
    outcome = assess({"holder.headcount": None})
    assert outcome.unknown_gates == ("G14_state_aid_ceiling",)
    assert outcome.missing == ("holder.eu_size",)


def test_scores_follow_section_7() -> None:
    outcome = assess(
        {
            "project.jobs_created": 25,
            "project.jobs_maintained": 40,
            "project.relocation.flag": False,
            "application.engagements.solidarites": ["Apprentis"],
            "project.planned_start": date(2026, 11, 2),
            "application.attestations.financing_secured": False,
            "application.territory_opinion": "neutral",
            "application.expense_lines": [
                {"category": "equipment", "amount_cents": 8_330 * KEUR},
                {"category": "energy_environment", "amount_cents": 1_470 * KEUR},
            ],
        }
    )
    points = {r.id.split("_")[0]: r.points for r in outcome.criteria}
    assert points["S03"] == 7.5
    assert points["S04"] == 2
    assert points["S05"] == 0
    assert points["S06"] == 11.25
    assert points["S07"] == 2.5
    assert points["S08"] == 5
    assert points["S09"] == 5
    assert outcome.total == pytest.approx(sum(points.values()))


def test_the_outcome_is_a_json_document_with_explanations() -> None:
    document = assess({"application.attestations.tax_social_ok": None}).as_json()
    text = json.dumps(document, ensure_ascii=False)
    assert document["verdict"] == "undetermined"
    assert document["aid_ceiling"]["regime"] == "gber_art14_afr_c"
    first = document["criteria"][0]
    assert set(first) >= {"id", "status", "points", "inputs", "missing", "explanation", "source"}
    assert "template" not in first
    assert document["criteria"][6]["inputs"]["project.planned_start"] == "2026-07-01"
    assert "À compléter" in text


def test_the_context_reads_the_api_schemas_by_attribute() -> None:
    now = SUBMITTED_AT
    snapshot = ProjectSnapshot.model_validate(
        {
            **ACCELERATION["project"],
            "project_id": uuid.uuid4(),
            "version": 3,
            "territory_id": uuid.uuid4(),
            "holder": {
                **ACCELERATION["holder"],
                "balance_sheet_cents": None,
                "in_difficulty": False,
            },
            "site": {"siret": "73282932000074", "commune_insee": "56121", "region_code": "53"},
        }
    )
    application = ApplicationRead.model_validate(
        {
            **ACCELERATION["application"],
            "id": uuid.uuid4(),
            "project_id": snapshot.project_id,
            "fund_code": "fonds-acceleration",
            "status": "submitted",
            "territory_id": snapshot.territory_id,
            "region_code": "53",
            "answers": {},
            "attachments": [],
            "project_snapshot": snapshot,
            "submission_no": 1,
            "submitted_at": now,
            "allowed_actions": [],
            "assignee": None,
            "information_request": None,
            "information_overdue": False,
            "decision": None,
            "awarded_cents": None,
            "agreement": None,
            "version": 2,
            "created_at": now,
            "updated_at": now,
        }
    )
    ctx = EvaluationContext.model_validate(
        {
            "application": application,
            "project": snapshot,
            "holder": snapshot.holder,
            "site": snapshot.site,
            "zonings": ["TI", "FRR", "AFR_C"],
            "submitted_at": application.submitted_at,
        },
        from_attributes=True,
    )
    assert ctx.holder.eu_size == "medium"
    outcome = evaluate_ruleset(RULESET, ctx)
    assert outcome.missing == ("holder.admin_status", "site.admin_status", "site.naf_code")
    registry = {"admin_status": "A"}
    complete = ctx.model_copy(
        update={
            "holder": ctx.holder.model_copy(update=registry),
            "site": ctx.site.model_copy(update={**registry, "naf_code": "24.51Z"}),
        }
    )
    assert evaluate_ruleset(RULESET, complete).verdict == Verdict.ELIGIBLE
