"""Queries of the zoning tables: what covers a commune at a date, and its memberships."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.eligibility.rules.context import ZoningKind
from shared.geography.models import Commune
from shared.territories.models import TerritoryEpci
from shared.zonings.models import CoverageScope, ZoningCoverage, ZoningMembership

Signature = tuple[tuple[Any, ...], list[tuple[Any, ...]]]
"""A stored list: (scope, scope codes, period, source) and its membership rows."""


def _in_force(
    model: type[ZoningCoverage] | type[ZoningMembership], at: date
) -> ColumnElement[bool]:
    return and_(model.valid_from <= at, or_(model.valid_to.is_(None), model.valid_to > at))


async def coverages(
    session: AsyncSession, commune: Commune, at: date
) -> Sequence[tuple[ZoningKind, str]]:
    """(kind, vintage) of every coverage whose scope holds the commune at the date."""
    covered = or_(
        ZoningCoverage.scope == CoverageScope.FRANCE,
        and_(
            ZoningCoverage.scope == CoverageScope.DEPARTMENTS,
            ZoningCoverage.scope_codes.contains([commune.department_code]),
        ),
        and_(
            ZoningCoverage.scope == CoverageScope.COMMUNES,
            ZoningCoverage.scope_codes.contains([commune.insee_code]),
        ),
    )
    rows = await session.execute(
        select(ZoningCoverage.kind, ZoningCoverage.vintage)
        .where(_in_force(ZoningCoverage, at), covered)
        .order_by(ZoningCoverage.kind, ZoningCoverage.vintage)
    )
    return [(kind, vintage) for kind, vintage in rows.all()]


async def memberships(
    session: AsyncSession, commune_insee: str, at: date
) -> Sequence[tuple[ZoningKind, str]]:
    """(kind, vintage) of the commune's memberships in force at the date."""
    rows = await session.execute(
        select(ZoningMembership.kind, ZoningMembership.vintage)
        .where(ZoningMembership.commune_insee == commune_insee, _in_force(ZoningMembership, at))
        .order_by(ZoningMembership.kind, ZoningMembership.vintage)
        .distinct()
    )
    return [(kind, vintage) for kind, vintage in rows.all()]


async def in_a_territory(session: AsyncSession, commune: Commune) -> bool:
    """Whether the commune's intercommunality belongs to a Territoire d'industrie."""
    if commune.epci_siren is None:
        return False
    return bool(
        await session.scalar(select(exists().where(TerritoryEpci.epci_siren == commune.epci_siren)))
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
