"""Batched contexts: the evaluation contexts of many applications from a few queries.

A batch reads its applications' stored columns in one query (the caller's), then, in one
query each, their territories, the zonings of every (commune, day) pair of the batch and
the State-aid register's de minimis of every (SIREN, day) pair. Each context is then built
in memory by `facts.build_context` from what `service.evaluate_with` gives it for one
application: its columns, with its declared prior de minimis plus the register's (an
undeclared amount stays unknown), its project snapshot, fund, territory and site zonings,
at its submission date.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from shared.eligibility import batch_repository
from shared.eligibility.facts import build_context, territory_facts, zoning_facts
from shared.eligibility.rules import EvaluationContext
from shared.funds.models import Fund
from shared.stateaid import service as stateaid
from shared.zonings import service as zoning_service

Row = RowMapping
"""An application's stored columns, by column name (`batch_repository.rescore_rows`)."""


@dataclass(frozen=True, slots=True)
class BatchFacts:
    """What the applications of one batch share or were read together."""

    fund: Fund
    territories: Mapping[uuid.UUID, Mapping[str, Any]]
    """What the rules read of each territory (`facts.territory_facts`)."""
    zonings: Mapping[tuple[str, date], zoning_service.SiteZonings]
    deminimis: Mapping[tuple[str, date], int]


async def load_facts(
    session: AsyncSession, fund: Fund, rows: Sequence[Row], *, now: datetime | None = None
) -> BatchFacts:
    """The territories, zonings and registered de minimis of a batch, in three queries."""
    territory_ids = {row["territory_id"] for row in rows if row["territory_id"] is not None}
    sites: set[tuple[str, date]] = set()
    undertakings: set[tuple[str, date]] = set()
    for row in rows:
        at = row["submitted_at"] or now
        if at is None:
            continue
        commune = _site(row).get("commune_insee")
        if commune is not None:
            sites.add((commune, zoning_service.day_of(at)))
        if row["prior_deminimis_cents"] is not None:
            undertakings.add((row["applicant_siren"], at.date()))
    found = await batch_repository.territories_by_id(session, territory_ids)
    territories = {id_: territory_facts(territory) for id_, territory in found.items()}
    zonings = await zoning_service.sites_zonings(session, sites)
    deminimis = await stateaid.deminimis_registered(session, undertakings)
    return BatchFacts(fund, territories, zonings, deminimis)


def context_of(row: Row, facts: BatchFacts, *, now: datetime | None = None) -> EvaluationContext:
    """The evaluation context of one application of the batch (what `load_context` builds)."""
    at: datetime | None = row["submitted_at"] or now
    application = dict(row)
    if application["prior_deminimis_cents"] is not None and at is not None:
        application["prior_deminimis_cents"] += facts.deminimis[(row["applicant_siren"], at.date())]
    commune = _site(row).get("commune_insee")
    zonings = (
        facts.zonings.get((commune, zoning_service.day_of(at)))
        if at is not None and commune is not None
        else None
    )
    territory_id = row["territory_id"]
    return build_context(
        application=application,
        project=row["project_snapshot"] or {},
        fund=facts.fund,
        territory=facts.territories.get(territory_id) if territory_id is not None else None,
        submitted_at=at,
        zonings=None if zonings is None else zoning_facts(zonings),
    )


def _site(row: Row) -> Mapping[str, Any]:
    site: Mapping[str, Any] = (row["project_snapshot"] or {}).get("site") or {}
    return site
