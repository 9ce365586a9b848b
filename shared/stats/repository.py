"""Programme statistics in SQL: the figures of the applications `selection.base` selects,
per group (the whole scope, a territory or a region), in two statements assembled from the
parts of `shared.stats.aggregates` and run at once on two connections reading one snapshot;
the pages of the lists; the endowment (budget envelopes) and the labelled sites of the
programme figures."""

from functools import lru_cache
from typing import Any

from sqlalchemy import CTE, Row, Select, false, func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from shared.budgets.models import BudgetEnvelope, Financer
from shared.db.snapshots import both
from shared.funds.models import Fund
from shared.geography.models import Region
from shared.principal import Principal, Role
from shared.sites import repository as site_repository
from shared.sites.enums import SiteStatus
from shared.sites.models import Site
from shared.sites.repository import SiteFilters
from shared.stats import aggregates, monthly
from shared.stats.filters import StatsFilters
from shared.stats.monthly import ACTIVITY
from shared.territories.models import Territory

__all__ = [
    "ACTIVITY",
    "endowment",
    "figure_rows",
    "labelled_sites_by_region",
    "page",
    "region_page",
    "territory_page",
]


async def figure_rows(session: AsyncSession, b: CTE) -> dict[object, dict[str, Any]]:
    """The figures of each group: its aggregates, its monthly series (`submission_months`,
    `money_months`) and the zoning lists read (`vintages`), from the two statements of
    `figures_statements`, run at once on `session` and on a second connection reading the
    same snapshot (one after the other when the pool is busy)."""
    counted, linked = figures_statements(b)
    first, second = await both(
        session, lambda s: _by_group(s, counted), lambda s: _by_group(s, linked)
    )
    return {group: {**row, **second.get(group, {})} for group, row in first.items()}


async def _by_group(session: AsyncSession, statement: Select[Any]) -> dict[object, dict[str, Any]]:
    await tune(session)
    rows = (await session.execute(statement)).mappings()
    return {row["grp"]: dict(row) for row in rows}


@lru_cache(maxsize=16)
def figures_statements(b: CTE) -> tuple[Select[Any], Select[Any]]:
    """The two statements of the figures over the selection `b`, of about the same cost:
    what its applications and projects count (`cells`), with the decision delays and the
    territories (`facets`), one row per group; and what points at its applications
    (`linked`: commitments, payments, outcome reports), one row per group with any. Kept
    per selection, which `selection.base` keeps per scope and filters: assembling them
    costs about 20 ms of Python, each time the same (about 0.7 MB a pair; the last 16 are
    kept)."""
    cells, shared, facets = aggregates.cells(b), aggregates.shared_latest(b), aggregates.facets(b)
    counted = _joined(
        aggregates.applications(cells),
        [
            aggregates.projects(cells, shared),
            monthly.submissions_by_month(cells),
            aggregates.vintages(cells),
            aggregates.delays(facets),
            aggregates.territories(facets),
        ],
    )
    ids = aggregates.linked(b)
    sums, reported = aggregates.commitments(ids), aggregates.reported(ids, shared)
    groups = union(select(sums.c.grp), select(reported.c.grp)).subquery("linked_groups")
    linked = _joined(groups, [aggregates.money(sums), monthly.money_by_month(sums, ids), reported])
    return counted, linked


def _joined(first: Any, others: list[Any]) -> Select[Any]:
    """One row per group of `first` (every group), with the columns of `others` (NULL
    where a group has none)."""
    source: Any = first
    for part in others:
        source = source.outerjoin(part, part.c.grp == first.c.grp)
    return select(
        *first.c, *[column for part in others for column in part.c if column.key != "grp"]
    ).select_from(source)


WORK_MEM = "32MB"
"""Memory of each sort and hash of a statistics statement: the selection's rows (about a
hundred bytes each) sorted and hashed in memory up to a few hundred thousand of them."""


async def tune(session: AsyncSession) -> None:
    """Settings of this transaction only (one round trip): no JIT compilation (the
    planner's estimates of the correlated look-ups, for submissions without stored facts,
    exceed its thresholds, and compiling would cost seconds for an aggregate that runs in
    a fraction of one), and WORK_MEM for the sorts and hashes."""
    settings = (("jit", "off"), ("work_mem", WORK_MEM))
    await session.execute(select(*[func.set_config(name, value, True) for name, value in settings]))


def territory_page(b: CTE, after: str | None, limit: int) -> Select[Any, Any, Any]:
    """One page of the territories with applications counted, by code."""
    statement = select(Territory.id.label("key"), Territory.code, Territory.name).where(
        Territory.id.in_(select(b.c.grp))
    )
    if after is not None:
        statement = statement.where(Territory.code > after)
    return statement.order_by(Territory.code).limit(limit + 1)


def region_page(b: CTE, after: str | None, limit: int) -> Select[Any, Any, Any]:
    """One page of the regions with applications counted, by code."""
    statement = select(Region.code.label("key"), Region.code.label("code"), Region.name).where(
        Region.code.in_(select(b.c.grp))
    )
    if after is not None:
        statement = statement.where(Region.code > after)
    return statement.order_by(Region.code).limit(limit + 1)


async def page(session: AsyncSession, statement: Select[Any, Any, Any]) -> list[Row[Any, Any, Any]]:
    """The rows of a page statement (one more than the page: there is a next one)."""
    return list((await session.execute(statement)).all())


async def endowment(
    session: AsyncSession, principal: Principal, filters: StatsFilters
) -> dict[Financer, int]:
    """What the envelopes of the funds in scope hold (the fund filter; an operator key's own
    funds), by financer; with a region (filter or region key), those earmarked for it only."""
    e = BudgetEnvelope
    statement = (
        select(e.financer, func.sum(e.amount_cents))
        .join(Fund, Fund.id == e.fund_id)
        .group_by(e.financer)
    )
    if filters.fund is not None:
        statement = statement.where(Fund.code == filters.fund)
    if principal.role is Role.OPERATOR:
        mine = principal.operator_id
        statement = statement.where(false() if mine is None else Fund.operator_id == mine)
    if principal.role is Role.REGION:
        region = principal.region_code
        statement = statement.where(false() if region is None else e.region_code == region)
    if filters.region is not None:
        statement = statement.where(e.region_code == filters.region)
    rows = await session.execute(statement)
    return {Financer(financer): int(amount) for financer, amount in rows}


async def labelled_sites_by_region(session: AsyncSession, filters: StatsFilters) -> dict[str, int]:
    """Labelled sites clés en main counted by the region of their commune (regions without
    any left out). The catalogue is public, so every key counts all of it; of the filters,
    only the place (region, department) and the territory apply: the others describe
    applications."""
    place = SiteFilters(
        status=(SiteStatus.LABELLED,),
        region=filters.region,
        department=filters.department,
        territory_id=filters.territory_id,
    )
    by_region = select(Site.region_code, func.count()).group_by(Site.region_code)
    statement = site_repository.filtered(by_region, place).order_by(Site.region_code)
    rows = await session.execute(statement)
    return {region: int(count) for region, count in rows}
