"""Build the engine's evaluation context from what the API stores.

Only facts tidi holds are given: registry facts it does not carry (administrative statuses,
an accepted exit from difficulty) stay unknown, so the engine lists them as missing. The
site's NAF code falls back to the holder's (the establishment usually shares its company's
activity). The site's zonings stay unknown: tidi holds no zoning data, and the engine takes
a known zoning list as complete, so listing only TI would assert that the site is outside
every AFR, QPV or FRR zone and could turn an undetermined state-aid ceiling into a false
failure. The project's Territoire d'industrie is given as `territory`.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.eligibility.rules import EvaluationContext
from shared.funds.models import Fund
from shared.territories.models import Territory

_PROJECT_FIELDS = (
    "title",
    "nature",
    "priorities",
    "investment_total_cents",
    "planned_start",
    "planned_end",
    "jobs_created",
    "jobs_maintained",
    "relocation",
    "is_collective",
)


def build_context(
    *,
    application: Mapping[str, Any],
    project: Mapping[str, Any],
    fund: Fund,
    territory: Territory | None,
    submitted_at: datetime | None,
) -> EvaluationContext:
    """The context of one application: its inputs and its project's (JSON-like mappings)."""
    holder = dict(project.get("holder") or {})
    site = dict(project.get("site") or {})
    if site.get("naf_code") is None and holder.get("naf_code") is not None:
        site["naf_code"] = holder["naf_code"]
    return EvaluationContext.model_validate(
        {
            "application": dict(application),
            "project": {n: project[n] for n in _PROJECT_FIELDS if project.get(n) is not None},
            "holder": holder,
            "site": site,
            "territory": _territory(territory),
            "fund": {"code": fund.code, "window_closes_at": fund.closes_at},
            "answers": dict(application.get("answers") or {}),
            "zonings": None,
            "submitted_at": submitted_at,
        }
    )


def _territory(territory: Territory | None) -> dict[str, Any] | None:
    if territory is None:
        return None
    return {"id": territory.id, "code": territory.code, "name": territory.name}
