"""AMI « Écoles de production », ruleset v1, from research §1.4.

The fund's own questions supply the school facts: `answers.support_type` (engineering_study
or investment), `answers.declared_to_rectorat`, `answers.qualifications`,
`answers.produces_for_customers`, `answers.planned_students`, `answers.partner_companies`.
The AMI's selection criteria were not found [U]: every score is an assumption.
"""

from shared.eligibility.rules.model import Ruleset
from shared.eligibility.rules.rulesets.builders import (
    all_of,
    any_zoning,
    avg,
    capped_ratio,
    count,
    enum_map,
    eq,
    field,
    flag,
    gate,
    gt,
    in_,
    is_true,
    lte,
    min_of,
    mul,
    non_empty,
    param,
    score,
    sum_expenses,
    valid_commune,
)
from shared.eligibility.rules.rulesets.fragile_v1 import FRAGILE_ZONINGS_V1

REQUESTED = field("application.requested_amount_cents")
SUPPORT = field("answers.support_type")

PARAMS = {
    "allowed_applicant_kinds": ["association", "training_body"],
    "support_types": ["engineering_study", "investment"],
    "engineering_study_max_cents": 5_000_000,
    "equipment_aid_rate": 0.5,
    "equipment_aid_cap_cents": 80_000_000,
    "students_full_score": 48,
    "partners_full_score": 10,
}

GATES = [
    gate(
        "E01_applicant_kind",
        "École de production : établissement privé à but non lucratif",
        in_(field("holder.kind"), param("allowed_applicant_kinds")),
        source=[34],
        explanation="Porteur de type {holder.kind} ; types admis : "
        "{params.allowed_applicant_kinds}.",
    ),
    gate(
        "E02_declared_to_rectorat",
        "École déclarée auprès du rectorat",
        is_true("answers.declared_to_rectorat"),
        source=[34],
        explanation="Déclaration au rectorat : {answers.declared_to_rectorat}.",
    ),
    gate(
        "E03_qualifications",
        "Préparation à un diplôme (CAP, bac pro) ou un titre RNCP",
        non_empty(field("answers.qualifications")),
        source=[34],
        explanation="Diplômes préparés : {answers.qualifications}.",
    ),
    gate(
        "E04_real_production",
        "Pédagogie par la production pour de vrais clients",
        is_true("answers.produces_for_customers"),
        source=[34],
        explanation="Production pour des clients : {answers.produces_for_customers}.",
    ),
    gate(
        "E05_support_type",
        "Soutien demandé : étude d'ingénierie ou investissement",
        in_(SUPPORT, param("support_types")),
        source=[34],
        explanation="Soutien demandé : {answers.support_type}.",
    ),
    gate(
        "E06_engineering_study_cap",
        "Étude d'ingénierie : 50 000 € au plus",
        lte(REQUESTED, param("engineering_study_max_cents")),
        when=eq(SUPPORT, "engineering_study"),
        source=[34],
        explanation="Aide demandée de {application.requested_amount_cents} ; plafond "
        "{params.engineering_study_max_cents}.",
    ),
    gate(
        "E07_equipment_cap",
        "Investissement : 50 % des équipements au plus, plafonné à 800 000 €",
        lte(
            REQUESTED,
            min_of(
                mul(param("equipment_aid_rate"), sum_expenses("equipment", "training_equipment")),
                param("equipment_aid_cap_cents"),
            ),
        ),
        when=eq(SUPPORT, "investment"),
        source=[34],
        explanation="Aide demandée de {application.requested_amount_cents} pour "
        "{expenses.equipment+training_equipment_cents} d'équipements ; plafond "
        "{params.equipment_aid_cap_cents}.",
    ),
    gate(
        "E08_site_in_france",
        "Site en France",
        valid_commune(field("site.commune_insee")),
        source="assumption",
        explanation="Commune du site : {site.commune_insee}.",
    ),
    gate(
        "E09_tax_social_ok",
        "Obligations fiscales et sociales à jour",
        is_true("application.attestations.tax_social_ok"),
        source="assumption",
        explanation="Attestation de régularité fiscale et sociale : "
        "{application.attestations.tax_social_ok}.",
    ),
    gate(
        "E10_not_started",
        "Investissement non commencé avant le dépôt",
        all_of(
            is_true("application.attestations.not_started"),
            gt(field("project.planned_start"), field("submitted_at")),
        ),
        when=eq(SUPPORT, "investment"),
        source="assumption",
        note="incentive effect, research §1.2",
        explanation="Attestation de non-commencement : {application.attestations.not_started} ; "
        "démarrage prévu le {project.planned_start}, dépôt le {submitted_at}.",
    ),
]

SCORES = [
    score(
        "ES1_in_territoire_industrie",
        "École dans un Territoire d'industrie",
        15,
        flag(any_zoning("TI")),
        source="assumption",
        explanation="Zonages du site : {zonings}.",
    ),
    score(
        "ES2_fragile_territory",
        "Territoire fragile",
        15,
        flag(any_zoning(*FRAGILE_ZONINGS_V1)),
        source="assumption",
        explanation="Zonages du site : {zonings}.",
    ),
    score(
        "ES3_students",
        "Jeunes accueillis",
        25,
        capped_ratio(field("answers.planned_students"), param("students_full_score")),
        source="assumption",
        note="the AMI aims at 15,000 young people in about 70 schools [34]",
        explanation="Jeunes accueillis : {answers.planned_students} ; note maximale à "
        "{params.students_full_score}.",
    ),
    score(
        "ES4_industrial_partners",
        "Entreprises partenaires",
        20,
        capped_ratio(count(field("answers.partner_companies")), param("partners_full_score")),
        source="assumption",
        explanation="Entreprises partenaires : {answers.partner_companies} ; note maximale à "
        "{params.partners_full_score}.",
    ),
    score(
        "ES5_territorial_fit",
        "Avis du territoire",
        10,
        enum_map(
            field("application.territory_opinion"),
            {"favourable": 1, "neutral": 0.5, "unfavourable": 0},
            missing=0,
        ),
        source="assumption",
        explanation="Avis du territoire : {application.territory_opinion}.",
    ),
    score(
        "ES6_maturity",
        "Maturité : autorisations et financement",
        15,
        avg(
            flag(is_true("application.attestations.permits_obtained")),
            flag(is_true("application.attestations.financing_secured")),
        ),
        source="assumption",
        explanation="Autorisations obtenues : {application.attestations.permits_obtained} ; "
        "financement bouclé : {application.attestations.financing_secured}.",
    ),
]

RULESET = Ruleset.model_validate(
    {
        "fund_code": "ecoles-de-production",
        "version": 1,
        "label_fr": "AMI Écoles de production",
        "params": PARAMS,
        "criteria": [*GATES, *SCORES],
        "max_score": 100,
    }
)
"""The écoles de production call's ruleset, version 1."""
