"""Queries of the zoning tables: what covers a commune at a date, and its memberships."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, String, bindparam, column, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.zonings.kinds import ZoningKind
from shared.zonings.models import ZoningCoverage, ZoningMembership

Signature = tuple[tuple[Any, ...], list[tuple[Any, ...]]]
"""A stored list: (scope, scope codes, period, source) and its membership rows."""


_SITE = text(
    """
SELECT
  EXISTS (SELECT 1 FROM territory_epcis AS t WHERE t.epci_siren = c.epci_siren) AS in_territory,
  ARRAY(SELECT ARRAY[z.kind::text, z.vintage::text] FROM zoning_coverages AS z
        WHERE z.valid_from <= :at AND (z.valid_to IS NULL OR z.valid_to > :at)
          AND (z.scope = 'france'
               OR (z.scope = 'departments' AND z.scope_codes @> ARRAY[c.department_code]::varchar[])
               OR (z.scope = 'communes' AND z.scope_codes @> ARRAY[c.insee_code]::varchar[]))
        ORDER BY 1) AS coverages,
  ARRAY(SELECT DISTINCT ARRAY[m.kind::text, m.vintage::text] FROM zoning_memberships AS m
        WHERE m.commune_insee = c.insee_code
          AND m.valid_from <= :at AND (m.valid_to IS NULL OR m.valid_to > :at)
        ORDER BY 1) AS memberships
FROM communes AS c WHERE c.insee_code = :insee
"""
).bindparams(bindparam("at", type_=Date), bindparam("insee", type_=String))

SITE_SUBQUERY = _SITE.columns(
    column("in_territory"), column("coverages"), column("memberships")
).subquery("site")
"""`site`'s statement as a subquery, to read with other facts at once: no row for an
unknown commune; its parameters `insee` and `at` are bound at execution."""


@dataclass(frozen=True, slots=True)
class SiteRows:
    """What the zoning tables say of one commune at one date (see `site`)."""

    coverages: list[tuple[ZoningKind, str]]
    memberships: list[tuple[ZoningKind, str]]
    in_a_territory: bool


async def site(session: AsyncSession, commune_insee: str, at: date) -> SiteRows | None:
    """In one round trip: the coverages holding the commune, its memberships in force and
    whether its intercommunality is in a Territoire d'industrie; None for an unknown commune.
    """
    row = (await session.execute(_SITE, {"insee": commune_insee, "at": at})).first()
    return None if row is None else site_rows(row.in_territory, row.coverages, row.memberships)


def site_rows(in_territory: Any, coverages: Any, memberships: Any) -> SiteRows | None:
    """`site`'s columns as `SiteRows`; None when they are empty (an unknown commune)."""
    if in_territory is None:
        return None
    return SiteRows(
        coverages=[(ZoningKind(kind), vintage) for kind, vintage in coverages],
        memberships=[(ZoningKind(kind), vintage) for kind, vintage in memberships],
        in_a_territory=bool(in_territory),
    )


async def replace_vintage(
    session: AsyncSession,
    kind: ZoningKind,
    vintage: str,
    coverage: ZoningCoverage,
    rows: Sequence[ZoningMembership],
) -> None:
    """Replace what a vintage says about one kind by a new coverage and rows."""
    where = (ZoningMembership.kind == kind, ZoningMembership.vintage == vintage)
    await session.execute(delete(ZoningMembership).where(*where))
    await session.execute(
        delete(ZoningCoverage).where(ZoningCoverage.kind == kind, ZoningCoverage.vintage == vintage)
    )
    session.add(coverage)
    session.add_all(rows)
    await session.flush()


async def vintage_signature(
    session: AsyncSession, kind: ZoningKind, vintage: str
) -> Signature | None:
    """What is stored for one kind of one vintage, to tell an unchanged re-import."""
    coverage = await session.scalar(
        select(ZoningCoverage).where(ZoningCoverage.kind == kind, ZoningCoverage.vintage == vintage)
    )
    if coverage is None:
        return None
    rows = await session.execute(
        select(
            ZoningMembership.commune_insee,
            ZoningMembership.code,
            ZoningMembership.valid_from,
            ZoningMembership.valid_to,
            ZoningMembership.source,
        )
        .where(ZoningMembership.kind == kind, ZoningMembership.vintage == vintage)
        .order_by(
            ZoningMembership.commune_insee, ZoningMembership.code, ZoningMembership.valid_from
        )
    )
    head = (
        coverage.scope,
        tuple(sorted(coverage.scope_codes)),
        coverage.valid_from,
        coverage.valid_to,
        coverage.source,
    )
    return head, [tuple(row) for row in rows.all()]


async def count_rows(session: AsyncSession) -> tuple[int, int]:
    """(memberships, coverages) stored."""
    members = await session.scalar(select(func.count()).select_from(ZoningMembership))
    covers = await session.scalar(select(func.count()).select_from(ZoningCoverage))
    return int(members or 0), int(covers or 0)


_SITES = text(
    """
SELECT
  v.insee, v.at,
  EXISTS (SELECT 1 FROM territory_epcis AS t WHERE t.epci_siren = c.epci_siren) AS in_territory,
  ARRAY(SELECT ARRAY[z.kind::text, z.vintage::text] FROM zoning_coverages AS z
        WHERE z.valid_from <= v.at AND (z.valid_to IS NULL OR z.valid_to > v.at)
          AND (z.scope = 'france'
               OR (z.scope = 'departments' AND z.scope_codes @> ARRAY[c.department_code]::varchar[])
               OR (z.scope = 'communes' AND z.scope_codes @> ARRAY[c.insee_code]::varchar[]))
        ORDER BY 1) AS coverages,
  ARRAY(SELECT DISTINCT ARRAY[m.kind::text, m.vintage::text] FROM zoning_memberships AS m
        WHERE m.commune_insee = c.insee_code
          AND m.valid_from <= v.at AND (m.valid_to IS NULL OR m.valid_to > v.at)
        ORDER BY 1) AS memberships
FROM unnest(CAST(:insees AS varchar[]), CAST(:ats AS date[])) AS v(insee, at)
JOIN communes AS c ON c.insee_code = v.insee
"""
)
"""`_SITE` for many (commune, date) pairs at once."""


async def sites(
    session: AsyncSession, pairs: Sequence[tuple[str, date]]
) -> dict[tuple[str, date], SiteRows]:
    """`site` for each (commune, date) pair, in one round trip; unknown communes are absent."""
    if not pairs:
        return {}
    params = {"insees": [insee for insee, _ in pairs], "ats": [at for _, at in pairs]}
    return {
        (row.insee, row.at): SiteRows(
            coverages=[(ZoningKind(kind), vintage) for kind, vintage in row.coverages],
            memberships=[(ZoningKind(kind), vintage) for kind, vintage in row.memberships],
            in_a_territory=bool(row.in_territory),
        )
        for row in await session.execute(_SITES, params)
    }
