"""The funds' own questions: the `answers` their shipped rulesets read, as question schemas.

Each schema (JSON Schema 2020-12, the dialect of `shared.funds.questions`) declares every
`answers.<key>` its fund's rules read, with the values their parameters name; what a rule
needs to decide is required (a draft may still leave it out). The acceleration fund and the
catalogue of sites ask nothing of their own: their rules read no answers.
"""

from typing import Any

_MAX_AMOUNT_CENTS = 10**15


def _closed(title: str, description: str, properties: dict[str, Any]) -> dict[str, Any]:
    """An object of exactly these answers, all required."""
    return {
        "type": "object",
        "title": title,
        "description": description,
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


def _names(max_items: int) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 200},
        "maxItems": max_items,
    }


FONDS_FRICHES = _closed(
    "Questions du fonds friches",
    "Le site et l'opération de recyclage foncier.",
    {
        "friche_vacant_or_degraded": {
            "type": "boolean",
            "title": "Site en friche",
            "description": "Bâti ou terrain inutilisé ou dégradé après la cessation d'une "
            "activité (art. L.111-26 et D.111-54 du code de l'urbanisme).",
        },
        "former_use": {
            "type": "string",
            "title": "Usage antérieur du site",
            "description": "Un terrain agricole ou forestier n'est jamais une friche.",
            "enum": [
                "industrial",
                "commercial",
                "tertiary",
                "housing",
                "public_facilities",
                "military",
                "railway",
                "mining",
                "agricultural",
                "forest",
                "other",
            ],
        },
        "economic_deficit_cents": {
            "type": "integer",
            "title": "Déficit économique de l'opération",
            "description": "Déficit restant après optimisation des autres ressources, en "
            "centimes d'euro ; la subvention ne peut pas le dépasser.",
            "minimum": 0,
            "maximum": _MAX_AMOUNT_CENTS,
        },
        "end_use": {
            "type": "string",
            "title": "Destination de l'opération",
            "description": "Logements (housing), locaux d'activité (economic), équipements "
            "publics (public_facilities), mixte (mixed) ou autre (other).",
            "enum": ["housing", "economic", "public_facilities", "mixed", "other"],
        },
        "area_ha": {
            "type": "number",
            "title": "Surface recyclée",
            "description": "Surface du foncier recyclé, en hectares.",
            "minimum": 0,
            "maximum": 100_000,
        },
    },
)
"""fonds-friches: the five answers of ruleset v1 and v2 (F02–F06, FS3, FS6)."""

ECOLES_DE_PRODUCTION = _closed(
    "Questions de l'AMI Écoles de production",
    "L'école et le soutien demandé.",
    {
        "support_type": {
            "type": "string",
            "title": "Soutien demandé",
            "description": "Étude d'ingénierie (engineering_study, 50 000 € au plus) ou "
            "investissement en équipements (investment, 50 % au plus, plafonné à 800 000 €).",
            "enum": ["engineering_study", "investment"],
        },
        "declared_to_rectorat": {
            "type": "boolean",
            "title": "École déclarée au rectorat",
        },
        "qualifications": {
            **_names(50),
            "title": "Diplômes et titres préparés",
            "description": "CAP, bac professionnel ou titre inscrit au RNCP.",
        },
        "produces_for_customers": {
            "type": "boolean",
            "title": "Production pour de vrais clients",
            "description": "Les élèves apprennent en réalisant des commandes de clients.",
        },
        "planned_students": {
            "type": "integer",
            "title": "Jeunes accueillis",
            "description": "Nombre de jeunes que l'école accueillera.",
            "minimum": 0,
            "maximum": 10_000,
        },
        "partner_companies": {
            **_names(500),
            "title": "Entreprises partenaires",
            "description": "Les entreprises qui soutiennent l'école (commandes, tuteurs, "
            "équipements).",
        },
    },
)
"""ecoles-de-production: the six answers of ruleset v1 and v2 (E02–E07, E10, ES3, ES4)."""

FONDS_VERT_TI = _closed(
    "Questions du Fonds vert axe 3",
    "Le volet de l'appel à projets.",
    {
        "volet": {
            "type": "integer",
            "title": "Volet",
            "description": "1 : investissements industriels structurants et ambitieux pour "
            "l'environnement ; 2 : investissements pour les compétences (école de production, "
            "centre de formation, plateau technique) ; 3 : territoires en rebond industriel "
            "(exceptionnel).",
            "enum": [1, 2, 3],
        },
    },
)
"""fonds-vert-ti: the volet read by ruleset v1 and v2 (V01, VS4, VS5)."""
