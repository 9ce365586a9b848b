"""Fonds vert axe 3 « Territoires d'industrie en transition écologique », ruleset v1.

From research §1.7 [39]. `answers.volet` (1 structuring investment, 2 skills, 3 rebond
industriel) is one of the fund's own questions. Minimum size and aid rates were not found
[U]: the state-aid ceiling is the same indicative one as the acceleration fund's, and the
score weights are assumptions.
"""

from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets.builders import (
    aid_ceiling,
    all_of,
    any_of,
    any_zoning,
    avg,
    capped_ratio,
    div,
    eq,
    field,
    flag,
    gate,
    gt,
    in_,
    is_true,
    lte,
    max_of,
    months_between,
    mul,
    non_empty,
    param,
    score,
    sub,
    sum_expenses,
    valid_siret,
)
from shared.eligibility.rules.rulesets.fragile_v1 import FRAGILE_ZONINGS_V1

BASE = field("application.eligible_expense_base_cents")
REQUESTED = field("application.requested_amount_cents")
START = field("project.planned_start")
SUBMITTED = field("submitted_at")
VOLET = field("answers.volet")

PARAMS = {
    "company_kinds": ["company"],
    "skills_applicant_kinds": [
        "employers_group",
        "association",
        "training_body",
        "local_authority",
    ],
    "fast_start_months": 6,
    "jobs_created_full_score": 50,
    "leverage_full_score": 4.0,
    "deminimis_cap_cents": 30_000_000,
}

GATES = [
    gate(
        "V01_applicant_kind",
        "Entreprise ; autres porteurs pour le volet compétences",
        any_of(
            in_(field("holder.kind"), param("company_kinds")),
            all_of(eq(VOLET, 2), in_(field("holder.kind"), param("skills_applicant_kinds"))),
        ),
        source=[39],
        explanation="Porteur de type {holder.kind}, volet {answers.volet}.",
    ),
    gate(
        "V02_registered_in_france",
        "Établissement immatriculé en France",
        valid_siret(field("site.siret")),
        source=[39],
        note="the head office may be abroad",
        explanation="SIRET du site : {site.siret}.",
    ),
    gate(
        "V03_site_in_territoire_industrie",
        "Site dans le périmètre d'un Territoire d'industrie",
        any_zoning("TI"),
        source=[39],
        explanation="Zonages du site : {zonings}.",
    ),
    gate(
        "V04_territory_agreement",
        "Accord de la gouvernance du Territoire d'industrie",
        eq(field("application.territory_opinion"), "favourable"),
        source=[39],
        note="the agreement is read from the territory's opinion: assumption",
        explanation="Avis du territoire : {application.territory_opinion}.",
    ),
    gate(
        "V05_not_in_difficulty",
        "Entreprise non en difficulté",
        eq(field("holder.in_difficulty"), False),
        source=[39],
        explanation="Entreprise en difficulté : {holder.in_difficulty}.",
    ),
    gate(
        "V06_tax_social_ok",
        "Obligations fiscales et sociales à jour",
        is_true("application.attestations.tax_social_ok"),
        source=[39],
        explanation="Attestation de régularité fiscale et sociale : "
        "{application.attestations.tax_social_ok}.",
    ),
    gate(
        "V07_not_started",
        "Investissement non réalisé",
        all_of(is_true("application.attestations.not_started"), gt(START, SUBMITTED)),
        source=[39],
        explanation="Attestation de non-commencement : {application.attestations.not_started} ; "
        "démarrage prévu le {project.planned_start}, dépôt le {submitted_at}.",
    ),
    gate(
        "V08_financial_capacity",
        "Capacité financière : plan de financement bouclé",
        is_true("application.attestations.financing_secured"),
        source=[39],
        note="financial capacity read from the financing attestation: assumption",
        explanation="Financement bouclé : {application.attestations.financing_secured}.",
    ),
    gate(
        "V09_environmental_ambition",
        "Ambition environnementale : engagements de transition écologique",
        non_empty(field("application.engagements.transition_ecologique")),
        source=[39],
        note="ambition read from the commitments: assumption",
        explanation="Engagements : {application.engagements.transition_ecologique}.",
    ),
    gate(
        "V10_state_aid_ceiling",
        "Aide demandée dans le plafond indicatif d'aides d'État",
        lte(REQUESTED, aid_ceiling(param("deminimis_cap_cents"))),
        source=[24, 25, 29],
        note="regimes verified; their application to this fund is an assumption",
        explanation="Aide demandée de {application.requested_amount_cents} pour un plafond "
        "indicatif de {aid_ceiling.amount_cents} (régime : {aid_ceiling.regime}).",
    ),
]

SCORES = [
    score(
        "VS1_ecological_investment",
        "Part des dépenses énergie-environnement",
        25,
        capped_ratio(sum_expenses("energy_environment"), mul(0.3, BASE)),
        source=[39],
        note="saturation at 30 % of the base is an assumption",
        explanation="Dépenses énergie-environnement de {expenses.energy_environment_cents} pour "
        "une assiette de {application.eligible_expense_base_cents}.",
    ),
    score(
        "VS2_decarbonisation_axis",
        "Projet inscrit dans l'axe décarbonation",
        10,
        flag(in_("decarbonation", field("project.priorities"))),
        source=[38],
        explanation="Axes du projet : {project.priorities}.",
    ),
    score(
        "VS3_jobs_created",
        "Emplois créés (projet structurant)",
        15,
        capped_ratio(field("project.jobs_created"), param("jobs_created_full_score")),
        source=[39],
        note="scale is an assumption",
        explanation="Emplois créés : {project.jobs_created} ; note maximale à "
        "{params.jobs_created_full_score} emplois.",
    ),
    score(
        "VS4_skills",
        "Compétences : volet 2 ou plateforme de formation",
        10,
        max_of(flag(eq(VOLET, 2)), flag(eq(field("project.nature"), "training_platform"))),
        source=[39],
        explanation="Volet {answers.volet} ; nature du projet : {project.nature}.",
    ),
    score(
        "VS5_fragile_territory",
        "Territoire fragile ou en rebond industriel",
        10,
        flag(any_of(any_zoning(*FRAGILE_ZONINGS_V1), eq(VOLET, 3))),
        source=[39],
        note="volet 3 « rebond industriel »; fragility as in research §2",
        explanation="Zonages du site : {zonings} ; volet {answers.volet}.",
    ),
    score(
        "VS6_maturity",
        "Maturité : démarrage rapide et autorisations",
        15,
        avg(
            flag(lte(months_between(SUBMITTED, START), param("fast_start_months")), 0.5),
            flag(is_true("application.attestations.permits_obtained")),
        ),
        source="assumption",
        explanation="Démarrage le {project.planned_start} pour un dépôt le {submitted_at} ; "
        "autorisations obtenues : {application.attestations.permits_obtained}.",
    ),
    score(
        "VS7_leverage",
        "Effet de levier : investissement privé par euro d'aide",
        15,
        capped_ratio(
            div(sub(field("project.investment_total_cents"), REQUESTED), REQUESTED),
            param("leverage_full_score"),
        ),
        source="assumption",
        explanation="Investissement de {project.investment_total_cents} pour une aide demandée "
        "de {application.requested_amount_cents}.",
    ),
]

RULESET = Ruleset.model_validate(
    {
        "fund_code": "fonds-vert-ti",
        "version": 1,
        "label_fr": "Fonds vert axe 3 — Territoires d'industrie en transition écologique",
        "params": PARAMS,
        "criteria": [*GATES, *SCORES],
        "max_score": 100,
    }
)
"""The Fonds vert axe 3 ruleset, version 1."""
