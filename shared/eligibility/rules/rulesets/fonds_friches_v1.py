"""Fonds friches (recyclage foncier), ruleset v1, from research §1.3 and §2.

The fund's own questions supply the friche facts: `answers.friche_vacant_or_degraded`
(L.111-26 code de l'urbanisme), `answers.former_use`, `answers.economic_deficit_cents`,
`answers.end_use` and `answers.area_ha`. The selection weights were not published: the
scores are assumptions built on the fund's stated priorities (deficit, maturity, reuse).
"""

from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets.builders import (
    all_of,
    any_zoning,
    avg,
    capped_ratio,
    div,
    enum_map,
    eq,
    field,
    flag,
    gate,
    gt,
    in_,
    is_true,
    lte,
    months_between,
    not_in,
    param,
    score,
    sub,
    valid_commune,
)
from shared.eligibility.rules.rulesets.fragile_v1 import FRAGILE_ZONINGS_V1

REQUESTED = field("application.requested_amount_cents")
DEFICIT = field("answers.economic_deficit_cents")
START = field("project.planned_start")
SUBMITTED = field("submitted_at")
TOTAL = field("project.investment_total_cents")

PARAMS = {
    "allowed_applicant_kinds": ["local_authority", "public_body", "company"],
    "excluded_former_uses": ["agricultural", "forest"],
    "eligible_end_uses": ["housing", "economic", "public_facilities", "mixed"],
    "max_months_to_start": 24,
    "fast_start_months": 12,
    "area_full_score_ha": 10,
}

GATES = [
    gate(
        "F01_applicant_kind",
        "Maître d'ouvrage public, ou entreprise sous conditions",
        in_(field("holder.kind"), param("allowed_applicant_kinds")),
        source=[32],
        explanation="Porteur de type {holder.kind} ; types admis : "
        "{params.allowed_applicant_kinds}.",
    ),
    gate(
        "F02_is_friche",
        "Site en friche : bâti ou terrain inutilisé ou dégradé après cessation d'activité",
        is_true("answers.friche_vacant_or_degraded"),
        source=[33],
        note="art. L.111-26 and D.111-54 code de l'urbanisme",
        explanation="Site déclaré en friche : {answers.friche_vacant_or_degraded}.",
    ),
    gate(
        "F03_not_agricultural_or_forest",
        "Un terrain agricole ou forestier n'est jamais une friche",
        not_in(field("answers.former_use"), param("excluded_former_uses")),
        source=[33],
        explanation="Usage antérieur : {answers.former_use}.",
    ),
    gate(
        "F04_economic_deficit",
        "Déficit économique résiduel de l'opération",
        gt(DEFICIT, 0),
        source=[32],
        explanation="Déficit après optimisation des autres ressources : "
        "{answers.economic_deficit_cents}.",
    ),
    gate(
        "F05_aid_within_deficit",
        "La subvention ne dépasse pas le déficit",
        lte(REQUESTED, DEFICIT),
        source=[32],
        explanation="Subvention demandée de {application.requested_amount_cents} pour un "
        "déficit de {answers.economic_deficit_cents}.",
    ),
    gate(
        "F06_end_use",
        "Opération produisant logements, locaux d'activité ou équipements publics",
        in_(field("answers.end_use"), param("eligible_end_uses")),
        source=[32],
        explanation="Destination : {answers.end_use} ; destinations admises : "
        "{params.eligible_end_uses}.",
    ),
    gate(
        "F07_maturity",
        "Projet assez mûr pour être engagé rapidement",
        lte(months_between(SUBMITTED, START), param("max_months_to_start")),
        source=[32],
        note="edition 1 required a commitment by end 2022; the 24-month delay is an assumption",
        explanation="Dépôt le {submitted_at}, engagement prévu le {project.planned_start} ; délai "
        "maximal : {params.max_months_to_start} mois.",
    ),
    gate(
        "F08_site_in_france",
        "Site en France",
        valid_commune(field("site.commune_insee")),
        source="assumption",
        explanation="Commune du site : {site.commune_insee}.",
    ),
    gate(
        "F09_tax_social_ok",
        "Entreprise : obligations fiscales et sociales à jour",
        is_true("application.attestations.tax_social_ok"),
        when=eq(field("holder.kind"), "company"),
        source="assumption",
        note="usual condition of a subsidy to a company",
        explanation="Attestation de régularité fiscale et sociale : "
        "{application.attestations.tax_social_ok}.",
    ),
    gate(
        "F10_not_started",
        "Travaux non commencés avant le dépôt",
        all_of(is_true("application.attestations.not_started"), gt(START, SUBMITTED)),
        source="assumption",
        note="incentive effect (GBER art. 6, research §1.2) extended to public owners",
        explanation="Attestation de non-commencement : {application.attestations.not_started} ; "
        "démarrage prévu le {project.planned_start}, dépôt le {submitted_at}.",
    ),
]

SCORES = [
    score(
        "FS1_fragile_territory",
        "Territoire fragile",
        20,
        flag(any_zoning(*FRAGILE_ZONINGS_V1)),
        source="assumption",
        note="fragility as defined in research §2",
        explanation="Zonages du site : {zonings}.",
    ),
    score(
        "FS2_in_territoire_industrie",
        "Site dans un Territoire d'industrie (axe foncier)",
        10,
        flag(any_zoning("TI")),
        source=[38],
        note="the foncier axis of the programme; the weight is an assumption",
        explanation="Zonages du site : {zonings}.",
    ),
    score(
        "FS3_economic_reuse",
        "Réemploi pour des activités économiques",
        20,
        enum_map(field("answers.end_use"), {"economic": 1, "mixed": 0.5}, missing=0),
        source=[38],
        note="reindustrialisation priority; weights are an assumption",
        explanation="Destination : {answers.end_use}.",
    ),
    score(
        "FS4_maturity",
        "Maturité : engagement rapide, autorisations, financement",
        20,
        avg(
            flag(lte(months_between(SUBMITTED, START), param("fast_start_months")), 0.5),
            flag(is_true("application.attestations.permits_obtained")),
            flag(is_true("application.attestations.financing_secured")),
        ),
        source=[32],
        note="« projets suffisamment mûrs »; the sub-items are an assumption",
        explanation="Engagement le {project.planned_start} pour un dépôt le {submitted_at} ; "
        "autorisations obtenues : {application.attestations.permits_obtained} ; financement "
        "bouclé : {application.attestations.financing_secured}.",
    ),
    score(
        "FS5_aid_efficiency",
        "Part de l'opération financée hors subvention",
        15,
        div(sub(TOTAL, REQUESTED), TOTAL),
        source="assumption",
        note="efficiency questioned by the Cour des comptes [32]",
        explanation="Coût de l'opération {project.investment_total_cents}, subvention demandée "
        "{application.requested_amount_cents}.",
    ),
    score(
        "FS6_area_recycled",
        "Surface de foncier recyclé",
        15,
        capped_ratio(field("answers.area_ha"), param("area_full_score_ha")),
        source="assumption",
        explanation="Surface recyclée : {answers.area_ha} ha ; note maximale à "
        "{params.area_full_score_ha} ha.",
    ),
]

RULESET = Ruleset.model_validate(
    {
        "fund_code": "fonds-friches",
        "version": 1,
        "label_fr": "Fonds friches — recyclage foncier",
        "params": PARAMS,
        "criteria": [*GATES, *SCORES],
        "max_score": 100,
    }
)
"""The brownfield fund's ruleset, version 1."""
