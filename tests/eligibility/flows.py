"""Submitting applications through the API for the scoring tests."""

from typing import Any

from tests.fixtures.flows import Portal

ACCELERATION_PROGRAMME_GAPS = ["zonings.AFR_C"]
"""What the acceleration fund reads and the shipped data lacks for Pontivy: whether it is in
AFR zone c, which 1.5 M€ asked of a 9.8 M€ base needs (G14)."""

REGISTERED_SITE = {"siret": "73282932000074", "commune_insee": "56178", "admin_status": "A"}


def documented_project(**overrides: Any) -> dict[str, Any]:
    """Project overrides giving every fact the API carries (legal form, difficulty, SIRET,
    registry statuses declared and attested)."""
    return {
        "holder": {
            "siren": "732829320",
            "name": "Fonderies de Bretagne",
            "kind": "company",
            "legal_form_code": "5710",
            "naf_code": "24.53Z",
            "headcount": 180,
            "turnover_cents": 4_200_000_000,
            "balance_sheet_cents": 3_100_000_000,
            "in_difficulty": False,
            "admin_status": "A",
            "registry_attested": True,
        },
        "site": REGISTERED_SITE,
        **overrides,
    }


async def submitted(
    portal: Portal, project: dict[str, Any] | None = None, **overrides: Any
) -> dict[str, Any]:
    """A new active project (with these overrides) and a complete application, submitted."""
    project = await portal.active_project(**(project or {}))
    draft = await portal.draft_application(project, **overrides)
    return await portal.act(draft, "applications", "submit")
