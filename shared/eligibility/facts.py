"""Build the engine's evaluation context from what the API stores.

Only facts tidi holds are given; the others stay unknown, so the engine lists them as
missing:

- Registry statuses (`holder.admin_status`, `site.admin_status`): tidi does not reach the
  SIRENE register. They are the holder's declaration, counted only when the holder attests
  them (`holder.registry_attested`); otherwise unknown.
- Difficulty: `holder.in_difficulty` is the project's declaration or, when the project says
  nothing, the application's sworn attestation `not_in_difficulty` (the API refuses the two
  when they contradict); `holder.difficulty_exit_accepted` is the application's attestation
  that evidence of an exit is attached (the operator judges that evidence at review).
- Engagements: an empty list is a question not yet answered (unknown), not "none".
- The site's NAF code falls back to the holder's (the establishment usually shares its
  company's activity).
- Zonings: `load_context` reads them for the site's commune at the submission date (see
  `shared.zonings.service`): each kind is true, false (its data covers the commune) or
  unknown (not covered), and the vintages used travel in `zonings.vintage`. Without them
  (`build_context(zonings=None)`) no zoning is known.
- Prior de minimis: the declared amount plus, when the caller names the SIREN, what the
  State-aid register holds for it over the three years to the submission date, read with
  the zonings in one statement (`stored_facts`).
- The project's Territoire d'industrie (id, code and name): read in the same statement by
  `load_context`, given as `territory` to `build_context`.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, null, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications.models import Application
from shared.db.engine import execute_rows
from shared.eligibility.rules import EvaluationContext, ZoningFacts
from shared.eligibility.rules.context import ApplicationFacts
from shared.funds.models import Fund
from shared.stateaid import repository as stateaid_repository
from shared.stateaid.service import window_start
from shared.territories import repository as territories_repository
from shared.territories.models import Territory
from shared.zonings import repository as zonings_repository
from shared.zonings import service as zoning_service
from shared.zonings.kinds import ZoningKind

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


_APPLICATION_FIELDS = (*ApplicationFacts.model_fields, "answers")


def application_inputs(application: Application) -> dict[str, Any]:
    """What the rules read of an application: its columns named as `ApplicationFacts`'
    fields, and its answers to the fund's questions (a batch reads the same from rows)."""
    return {name: getattr(application, name) for name in _APPLICATION_FIELDS}


def build_context(
    *,
    application: Mapping[str, Any],
    project: Mapping[str, Any],
    fund: Fund,
    territory: Mapping[str, Any] | None,
    submitted_at: datetime | None,
    zonings: ZoningFacts | None = None,
) -> EvaluationContext:
    """The context of one application: its inputs and its project's (JSON-like mappings),
    with the site's zonings when known.
    """
    holder = dict(project.get("holder") or {})
    site = dict(project.get("site") or {})
    if site.get("naf_code") is None and holder.get("naf_code") is not None:
        site["naf_code"] = holder["naf_code"]
    if holder.get("registry_attested") is not True:
        holder["admin_status"] = site["admin_status"] = None
    attestations = application.get("attestations") or {}
    if holder.get("in_difficulty") is None and attestations.get("not_in_difficulty") is True:
        holder["in_difficulty"] = False
    holder["difficulty_exit_accepted"] = attestations.get("difficulty_exit_proven")
    engagements = {
        name: commitments or None
        for name, commitments in (application.get("engagements") or {}).items()
    }
    return EvaluationContext.model_validate(
        {
            "application": {**application, "engagements": engagements},
            "project": {n: project[n] for n in _PROJECT_FIELDS if project.get(n) is not None},
            "holder": holder,
            "site": site,
            "territory": territory,
            "fund": {"code": fund.code, "window_closes_at": fund.closes_at},
            "answers": dict(application.get("answers") or {}),
            "zonings": zonings,
            "submitted_at": submitted_at,
        }
    )


async def load_context(
    session: AsyncSession,
    *,
    application: Mapping[str, Any],
    project: Mapping[str, Any],
    fund: Fund,
    territory_id: uuid.UUID | None,
    submitted_at: datetime | None,
    register_siren: str | None = None,
) -> EvaluationContext:
    """`build_context`, with the facts tidi stores read in one round trip
    (`stored_facts`): the territory, the zonings of the site's commune at the submission
    date and, for a `register_siren`, the de minimis the register holds for it, added to
    the application's declared prior aid."""
    commune = (project.get("site") or {}).get("commune_insee")
    stored = await stored_facts(
        session, siren=register_siren, commune=commune, at=submitted_at, territory_id=territory_id
    )
    if stored.registered is not None:
        prior = application["prior_deminimis_cents"] + stored.registered
        application = {**application, "prior_deminimis_cents": prior}
    return build_context(
        application=application,
        project=project,
        fund=fund,
        territory=stored.territory,
        submitted_at=submitted_at,
        zonings=None if stored.zonings is None else zoning_facts(stored.zonings),
    )


@dataclass(frozen=True, slots=True)
class StoredFacts:
    """What `stored_facts` read; each None when not asked for or not found."""

    registered: int | None
    zonings: zoning_service.SiteZonings | None
    territory: dict[str, Any] | None


async def stored_facts(
    session: AsyncSession,
    *,
    siren: str | None,
    commune: str | None,
    at: datetime | None,
    territory_id: uuid.UUID | None,
) -> StoredFacts:
    """In one round trip: the de minimis the State-aid register holds for `siren` over the
    rolling window ending on `at`'s day, the zonings of the site's `commune` that day, and
    the id, code and name of the territory `territory_id`. The first two need a date;
    the zonings are None for a commune not in the reference geography."""
    register = siren is not None and at is not None
    site = commune is not None and at is not None
    if not (register or site or territory_id is not None):
        return StoredFacts(None, None, None)
    day = zoning_service.day_of(at) if at is not None else None
    statement = _stored_facts(register, site, territory_id is not None)
    params: dict[str, Any] = {"siren": siren, "until": day, "insee": commune, "at": day}
    params |= {"after": day and window_start(day), "territory_id": territory_id}
    row = (await execute_rows(session, statement, params)).one()
    territory = None
    if territory_id is not None and row.territory_code is not None:
        territory = {"id": territory_id, "code": row.territory_code, "name": row.territory_name}
    zonings = None
    if site:
        rows = zonings_repository.site_rows(row.in_territory, row.coverages, row.memberships)
        zonings = None if rows is None else zoning_service.zonings_of(rows)
    return StoredFacts(row.registered if register else None, zonings, territory)


@cache
def _stored_facts(register: bool, site: bool, territory: bool) -> Select[Any]:
    """The statement of `stored_facts` for what is asked, built once (values bound at
    execution): the site and the territory outer-joined, so that an unknown commune or
    territory still answers the rest."""
    registered = stateaid_repository.DEMINIMIS_RECEIVED.scalar_subquery() if register else null()
    facts = select(registered.label("registered")).subquery("facts")
    columns: list[Any] = [facts.c.registered]
    joined: Any = facts
    if site:
        found = zonings_repository.SITE_SUBQUERY
        columns += [found.c.in_territory, found.c.coverages, found.c.memberships]
        joined = joined.outerjoin(found, true())
    if territory:
        named = territories_repository.FACTS_SUBQUERY
        columns += [named.c.code.label("territory_code"), named.c.name.label("territory_name")]
        joined = joined.outerjoin(named, true())
    return select(*columns).select_from(joined)


def territory_facts(territory: Territory) -> dict[str, Any]:
    """What the rules read of a territory (a batch reads its territories at once)."""
    return {"id": territory.id, "code": territory.code, "name": territory.name}


def zoning_facts(zonings: zoning_service.SiteZonings) -> ZoningFacts:
    """The engine's view of a site's zonings: each kind true, false or unknown (None)."""
    answers = {
        kind.value: None if kind in zonings.unknown else kind in zonings.member_of
        for kind in ZoningKind
    }
    return ZoningFacts.model_validate({**answers, "vintage": zonings.vintage})
