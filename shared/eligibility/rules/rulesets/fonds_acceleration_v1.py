"""Fonds d'accélération des investissements industriels dans les territoires, ruleset v1.

Research §7, criterion by criterion (source numbers refer to its Sources list); amounts are
in euro cents, so §7's `min_eligible_expenses_eur` 200 000 is 20 000 000 here.
"""

from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets.builders import (
    aid_ceiling,
    all_of,
    any_of,
    any_zoning,
    avg,
    capped_ratio,
    count,
    div,
    enum_map,
    eq,
    field,
    flag,
    gate,
    gt,
    gte,
    in_,
    is_true,
    lte,
    max_of,
    months_between,
    mul,
    naf_section,
    non_empty,
    not_in,
    not_startswith_any,
    param,
    param_by_region,
    score,
    sub,
    sum_expenses,
    valid_commune,
    valid_siret,
)
from shared.eligibility.rules.rulesets.fragile_v1 import FRAGILE_ZONINGS_V1

BASE = field("application.eligible_expense_base_cents")
REQUESTED = field("application.requested_amount_cents")
START = field("project.planned_start")
SUBMITTED = field("submitted_at")
MONTHS_TO_START = months_between(SUBMITTED, START)

PARAMS = {
    "min_eligible_expenses_cents": {"default": 20_000_000, "by_region": {"11": 40_000_000}},
    "max_duration_months": 24,
    "max_months_to_start": 12,
    "fast_start_months": 6,
    "allowed_applicant_kinds": ["company", "association", "employers_group", "training_body"],
    "excluded_legal_form_codes": ["6540", "1000"],
    "excluded_naf_prefixes": ["01", "03", "64", "65", "66"],
    "industrial_naf_sections": ["B", "C", "D", "E"],
    "industrial_project_natures": ["training_platform", "services_platform"],
    "jobs_created_full_score": 50,
    "leverage_full_score": 8.0,
    "deminimis_cap_cents": 30_000_000,
}

GATES = [
    gate(
        "G01_applicant_kind",
        "Porteur : entreprise, association, groupement d'employeurs ou organisme de formation",
        in_(field("holder.kind"), param("allowed_applicant_kinds")),
        source=[9, 11],
        explanation="Porteur de type {holder.kind} ; types admis : "
        "{params.allowed_applicant_kinds}.",
    ),
    gate(
        "G02_registered_and_active",
        "Immatriculé en France, unité légale et établissement actifs",
        all_of(
            valid_siret(field("site.siret")),
            eq(field("holder.admin_status"), "A"),
            eq(field("site.admin_status"), "A"),
        ),
        source=[9],
        note="« immatriculés en France » ; the active status is an assumption",
        explanation="SIRET du site {site.siret} ; état de l'unité légale {holder.admin_status}, "
        "de l'établissement {site.admin_status} (A : actif).",
    ),
    gate(
        "G03_excluded_legal_forms",
        "Forme juridique non exclue (SCI, entreprise individuelle)",
        not_in(field("holder.legal_form_code"), param("excluded_legal_form_codes")),
        source=[9],
        note="mapping to INSEE legal categories is an assumption",
        explanation="Catégorie juridique {holder.legal_form_code} ; catégories exclues : "
        "{params.excluded_legal_form_codes}.",
    ),
    gate(
        "G04_excluded_sectors",
        "Secteur non exclu (agriculture primaire, pêche et aquaculture, finance)",
        not_startswith_any(field("site.naf_code"), param("excluded_naf_prefixes")),
        source=[9],
        note="NAF mapping is an assumption; 01.6x (support activities) excluded by prudence",
        explanation="Code NAF de l'établissement {site.naf_code} ; divisions exclues : "
        "{params.excluded_naf_prefixes}.",
    ),
    gate(
        "G05_industrial_dimension",
        "Investissement à dimension industrielle",
        any_of(
            in_(naf_section(field("site.naf_code")), param("industrial_naf_sections")),
            in_(field("project.nature"), param("industrial_project_natures")),
        ),
        source=[9, 10],
        note="« investissements à dimension industrielle »; the NAF encoding is an assumption",
        explanation="Code NAF {site.naf_code} (sections industrielles : "
        "{params.industrial_naf_sections}) ; nature du projet : {project.nature}.",
    ),
    gate(
        "G06_min_expense_base",
        "Assiette minimale de dépenses éligibles",
        gte(BASE, param_by_region("min_eligible_expenses_cents", field("site.region_code"))),
        source=[2, 9, 12],
        note="200 k€; 400 k€ in Île-de-France relays [12][13][14]",
        explanation="Assiette de dépenses éligibles de {application.eligible_expense_base_cents} "
        "pour un minimum de {params.min_eligible_expenses_cents} dans la région "
        "{site.region_code}.",
    ),
    gate(
        "G07_duration",
        "Dépenses réalisées en 24 mois au plus",
        lte(months_between(START, field("project.planned_end")), param("max_duration_months")),
        source=[2, 9],
        explanation="Réalisation du {project.planned_start} au {project.planned_end} ; durée "
        "maximale : {params.max_duration_months} mois.",
    ),
    gate(
        "G08_start_window",
        "Démarrage dans les 12 mois suivant le dépôt",
        lte(MONTHS_TO_START, param("max_months_to_start")),
        source=[3, 4],
        note="« pouvant démarrer l'investissement entre 6 mois et un an »",
        explanation="Dépôt le {submitted_at}, démarrage prévu le {project.planned_start} ; délai "
        "maximal : {params.max_months_to_start} mois.",
    ),
    gate(
        "G09_not_started",
        "Effet incitatif : travaux non commencés avant le dépôt",
        all_of(is_true("application.attestations.not_started"), gt(START, SUBMITTED)),
        source=[16],
        note="national volet; GBER art. 6 — applied to the territorial volet by assumption",
        explanation="Attestation de non-commencement : {application.attestations.not_started} ; "
        "démarrage prévu le {project.planned_start}, dépôt le {submitted_at}.",
    ),
    gate(
        "G10_not_in_difficulty",
        "Entreprise non en difficulté, ou sortie prouvée",
        any_of(
            eq(field("holder.in_difficulty"), False), is_true("holder.difficulty_exit_accepted")
        ),
        source=[9],
        note="GBER art. 2(18), reference date 31/12/2019 in the original scheme",
        explanation="Entreprise en difficulté : {holder.in_difficulty} ; preuve de sortie "
        "acceptée : {holder.difficulty_exit_accepted}.",
    ),
    gate(
        "G11_tax_social_ok",
        "Obligations fiscales et sociales à jour",
        is_true("application.attestations.tax_social_ok"),
        source=[9],
        explanation="Attestation de régularité fiscale et sociale : "
        "{application.attestations.tax_social_ok}.",
    ),
    gate(
        "G12_engagements_filled",
        "Engagements solidarités et transition écologique renseignés",
        non_empty(
            field("application.engagements.solidarites"),
            field("application.engagements.transition_ecologique"),
        ),
        source=[12, 13],
        explanation="Engagements solidarités : {application.engagements.solidarites} ; "
        "transition écologique : {application.engagements.transition_ecologique}.",
    ),
    gate(
        "G13_site_in_france",
        "Site en France",
        valid_commune(field("site.commune_insee")),
        source=[16],
        explanation="Commune du site : {site.commune_insee}.",
    ),
    gate(
        "G14_state_aid_ceiling",
        "Aide demandée dans le plafond indicatif d'aides d'État",
        lte(REQUESTED, aid_ceiling(param("deminimis_cap_cents"))),
        source=[24, 25, 29],
        note="regimes verified; their choice for this fund is an assumption",
        explanation="Aide demandée de {application.requested_amount_cents} pour un plafond "
        "indicatif de {aid_ceiling.amount_cents} (régime : {aid_ceiling.regime}).",
    ),
    gate(
        "G15_collective_lead_bears_costs",
        "Projet collectif : le chef de file porte toutes les dépenses",
        eq(field("application.expense_holder_siren"), field("application.applicant_siren")),
        when=is_true("project.is_collective"),
        source=[9, 14],
        explanation="Dépenses portées par {application.expense_holder_siren} ; demandeur "
        "{application.applicant_siren}.",
    ),
]

SCORES = [
    score(
        "S01_in_territoire_industrie",
        "Site dans un Territoire d'industrie",
        10,
        flag(any_zoning("TI")),
        source=[9, 10],
        note="priority to the Territoires d'industrie",
        explanation="Zonages du site : {zonings}.",
    ),
    score(
        "S02_fragile_territory",
        "Territoire fragile (QPV, FRR, ACV, PVD, AFR)",
        10,
        flag(any_zoning(*FRAGILE_ZONINGS_V1)),
        source=[5, 18],
        note="weights are an assumption",
        explanation="Zonages du site : {zonings}.",
    ),
    score(
        "S03_jobs_created",
        "Emplois créés",
        15,
        capped_ratio(field("project.jobs_created"), param("jobs_created_full_score")),
        source=[5, 21],
        explanation="Emplois créés : {project.jobs_created} ; note maximale à "
        "{params.jobs_created_full_score} emplois.",
    ),
    score(
        "S04_jobs_maintained",
        "Emplois maintenus",
        5,
        capped_ratio(field("project.jobs_maintained"), 100),
        source=[1, 5],
        note="« emplois confortés »; the scale is an assumption",
        explanation="Emplois maintenus : {project.jobs_maintained} ; note maximale à 100 emplois.",
    ),
    score(
        "S05_relocation",
        "Relocalisation d'activité",
        10,
        flag(is_true("project.relocation.flag")),
        source=[1, 18],
        explanation="Projet de relocalisation : {project.relocation.flag}.",
    ),
    score(
        "S06_ecological_transition",
        "Transition écologique : dépenses énergie-environnement et engagements",
        15,
        avg(
            capped_ratio(sum_expenses("energy_environment"), mul(0.3, BASE)),
            flag(non_empty(field("application.engagements.transition_ecologique"))),
        ),
        source=[1, 10, 21],
        note="saturation at 30 % of the base is an assumption",
        explanation="Dépenses énergie-environnement de {expenses.energy_environment_cents} pour "
        "une assiette de {application.eligible_expense_base_cents} (note maximale à 30 %) ; "
        "engagements : {application.engagements.transition_ecologique}.",
    ),
    score(
        "S07_skills_and_inclusion",
        "Compétences et inclusion",
        10,
        max_of(
            flag(eq(field("project.nature"), "training_platform")),
            capped_ratio(count(field("application.engagements.solidarites")), 4),
        ),
        source=[9, 12, 21],
        explanation="Nature du projet : {project.nature} ; engagements solidarités : "
        "{application.engagements.solidarites} (note maximale à 4 engagements).",
    ),
    score(
        "S08_maturity",
        "Maturité : démarrage rapide, autorisations, financement",
        10,
        avg(
            flag(lte(MONTHS_TO_START, param("fast_start_months")), otherwise=0.5),
            flag(is_true("application.attestations.permits_obtained")),
            flag(is_true("application.attestations.financing_secured")),
        ),
        source=[3, 4, 10],
        note="the permits and financing sub-items are an assumption",
        explanation="Démarrage le {project.planned_start} pour un dépôt le {submitted_at} "
        "(rapide sous {params.fast_start_months} mois) ; autorisations obtenues : "
        "{application.attestations.permits_obtained} ; financement bouclé : "
        "{application.attestations.financing_secured}.",
    ),
    score(
        "S09_territorial_fit",
        "Adéquation à la stratégie du territoire (avis du territoire)",
        10,
        enum_map(
            field("application.territory_opinion"),
            {"favourable": 1, "neutral": 0.5, "unfavourable": 0},
            missing=0,
        ),
        source=[10],
        note="the opinion is captured from the TI binôme or chef de projet: assumption",
        explanation="Avis du territoire : {application.territory_opinion}.",
    ),
    score(
        "S10_leverage",
        "Effet de levier : investissement privé par euro d'aide",
        5,
        capped_ratio(
            div(sub(field("project.investment_total_cents"), REQUESTED), REQUESTED),
            param("leverage_full_score"),
        ),
        source="assumption",
        explanation="Investissement de {project.investment_total_cents} pour une aide demandée "
        "de {application.requested_amount_cents} (note maximale à "
        "{params.leverage_full_score} € privés par € public).",
    ),
]

RULESET = Ruleset.model_validate(
    {
        "fund_code": "fonds-acceleration",
        "version": 1,
        "label_fr": "Fonds d'accélération des investissements industriels dans les territoires",
        "params": PARAMS,
        "criteria": [*GATES, *SCORES],
        "max_score": 100,
    }
)
"""The acceleration fund's ruleset, version 1."""
