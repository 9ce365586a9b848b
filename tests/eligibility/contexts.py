"""Realistic evaluation contexts for the shipped rulesets, and a way to vary them by path."""

import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from shared.eligibility.rules import EvaluationContext

SUBMITTED_AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

COMPANY_SIREN = "732829320"
COMPANY_SIRET = "73282932000074"
PARTNER_SIREN = "552100554"
OTHER_SIRET = "44306184100047"

MEUR = 100_000_000
"""One million euros, in cents."""
KEUR = 100_000
"""One thousand euros, in cents."""

ACCELERATION: dict[str, Any] = {
    "application": {
        "applicant_siren": COMPANY_SIREN,
        "requested_amount_cents": 150 * 10 * KEUR,
        "eligible_expense_base_cents": 980 * 10 * KEUR,
        "expense_lines": [
            {"category": "equipment", "amount_cents": 680 * 10 * KEUR},
            {"category": "energy_environment", "amount_cents": 300 * 10 * KEUR},
        ],
        "aid_form": "subsidy",
        "prior_deminimis_cents": 12 * 10 * KEUR,
        "engagements": {
            "solidarites": [
                "Accueil de 6 apprentis par an",
                "Recrutement via France Travail",
                "Stages de 3e",
                "Achats responsables",
            ],
            "transition_ecologique": ["Four à induction : -30 % de gaz"],
        },
        "attestations": {
            "tax_social_ok": True,
            "not_started": True,
            "not_in_difficulty": True,
            "permits_obtained": True,
            "financing_secured": True,
        },
        "territory_opinion": "favourable",
    },
    "project": {
        "title": "Relocalisation d'une ligne de fonderie basse pression",
        "nature": "relocation",
        "priorities": ["decarbonation", "recrutement"],
        "investment_total_cents": 1250 * 10 * KEUR,
        "planned_start": date(2026, 7, 1),
        "planned_end": date(2027, 12, 31),
        "jobs_created": 60,
        "jobs_maintained": 180,
        "relocation": {"flag": True, "from_country": "CN"},
        "is_collective": False,
    },
    "holder": {
        "siren": COMPANY_SIREN,
        "name": "Fonderies de Bretagne",
        "kind": "company",
        "legal_form_code": "5710",
        "naf_code": "24.51Z",
        "headcount": 180,
        "turnover_cents": 42 * MEUR,
        "balance_sheet_cents": 31 * MEUR,
        "in_difficulty": False,
        "admin_status": "A",
    },
    "site": {
        "siret": COMPANY_SIRET,
        "commune_insee": "56121",
        "region_code": "53",
        "naf_code": "24.51Z",
        "admin_status": "A",
    },
    "territory": {"code": "ti-5601", "name": "Lorient"},
    "fund": {"code": "fonds-acceleration"},
    "zonings": ["TI", "FRR", "AFR_C"],
    "submitted_at": SUBMITTED_AT,
}
"""A relocation from China to Lorient, in a fragile TI, starting within four months."""

FRICHES: dict[str, Any] = {
    **copy.deepcopy(ACCELERATION),
    "holder": {
        "siren": PARTNER_SIREN,
        "name": "Lorient Agglomération",
        "kind": "local_authority",
        "legal_form_code": "7346",
        "admin_status": "A",
    },
    "project": {
        **ACCELERATION["project"],
        "nature": "brownfield_reuse",
        "investment_total_cents": 4 * MEUR,
        "relocation": {"flag": False},
    },
    "answers": {
        "friche_vacant_or_degraded": True,
        "former_use": "industrial",
        "economic_deficit_cents": 12 * 10 * 10 * KEUR,
        "end_use": "economic",
        "area_ha": 6.5,
    },
    "zonings": ["TI", "QPV"],
}
FRICHES["application"] = {
    **ACCELERATION["application"],
    "applicant_siren": PARTNER_SIREN,
    "requested_amount_cents": 9 * 10 * 10 * KEUR,
    "attestations": {**ACCELERATION["application"]["attestations"], "tax_social_ok": None},
}
"""A local authority turning a former foundry site into business premises."""

ECOLE: dict[str, Any] = {
    **copy.deepcopy(ACCELERATION),
    "holder": {
        "siren": PARTNER_SIREN,
        "name": "École de production de Lorient",
        "kind": "association",
        "legal_form_code": "9220",
        "admin_status": "A",
    },
    "project": {**ACCELERATION["project"], "nature": "training_platform"},
    "answers": {
        "support_type": "investment",
        "declared_to_rectorat": True,
        "qualifications": ["CAP Fondeur", "Bac pro Technicien en chaudronnerie"],
        "produces_for_customers": True,
        "planned_students": 36,
        "partner_companies": ["Fonderies de Bretagne", "Naval Group", "Bretagne Inox"],
    },
}
ECOLE["application"] = {
    **ACCELERATION["application"],
    "applicant_siren": PARTNER_SIREN,
    "requested_amount_cents": 700 * KEUR,
    "eligible_expense_base_cents": 1600 * KEUR,
    "expense_lines": [
        {"category": "equipment", "amount_cents": 1200 * KEUR},
        {"category": "training_equipment", "amount_cents": 400 * KEUR},
    ],
}
"""An école de production buying its workshop machines."""

FONDS_VERT: dict[str, Any] = {
    **copy.deepcopy(ACCELERATION),
    "answers": {"volet": 1},
}
"""The Lorient relocation, applying to Fonds vert axe 3."""


def with_changes(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of `base` with each dotted path set to its new value."""
    data = copy.deepcopy(dict(base))
    for path, value in changes.items():
        *parents, last = path.split(".")
        node = data
        for part in parents:
            if node.get(part) is None:
                node[part] = {}
            node = node[part]
        node[last] = value
    return data


def context(base: Mapping[str, Any], changes: Mapping[str, Any] | None = None) -> EvaluationContext:
    """The evaluation context of `base` with these changes (dotted path → value)."""
    return EvaluationContext.model_validate(with_changes(base, changes or {}))
