"""Programme statistics: the figures of the caller's scope, in total and per territory or
region (a page at a time), from the SQL aggregates of `shared.stats.repository`.

Nothing is filtered here: the scope, the filters and the page are in the statements; this
module only shapes their rows.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import CTE
from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications.enums import ApplicationStatus
from shared.budgets.models import Financer
from shared.db.pagination import SortKey, decode_cursor, encode_cursor
from shared.geography.models import Region
from shared.principal import Principal
from shared.projects.enums import ProjectStatus
from shared.schemas import Page
from shared.stats import repository, selection
from shared.stats.filters import Grouping, StatsFilters
from shared.stats.schemas import (
    AmountFigures,
    ApplicationFigures,
    DecisionDelays,
    EndowmentFigures,
    FinancerAmounts,
    FinancerEndowment,
    FragileExtension,
    FragileFigures,
    JobFigures,
    MonthFigures,
    ProgrammeStats,
    ProjectFigures,
    RegionStats,
    RelocationFigures,
    TerritoryFigures,
    TerritoryStats,
    ZoningVintage,
)
from shared.territories.models import Territory
from shared.zonings.kinds import FRAGILE_EXTENSION_ZONINGS, FRAGILE_ZONINGS, ZoningKind

_BY_TERRITORY_CODE = SortKey("territory_code", ((Territory.code, False),))
_BY_REGION_CODE = SortKey("region_code", ((Region.code, False),))


async def programme(
    session: AsyncSession, principal: Principal, filters: StatsFilters
) -> ProgrammeStats:
    """The figures of every application in the caller's scope matching `filters`."""
    figures = await _figures(session, selection.base(principal, filters))
    stats = figures.get(selection.PROGRAMME) or _stats(None)
    stats.labelled_sites_by_region = await repository.labelled_sites_by_region(session, filters)
    stats.endowment = _endowment(await repository.endowment(session, principal, filters))
    return stats


async def per_territory(
    session: AsyncSession,
    principal: Principal,
    filters: StatsFilters,
    *,
    limit: int,
    cursor: str | None,
) -> Page[TerritoryStats]:
    """A page of territories (by code) with applications in scope, each with its figures."""
    keys, next_cursor = await _page(
        session, principal, filters, Grouping.TERRITORY, _BY_TERRITORY_CODE, limit, cursor
    )
    figures = await _group_figures(session, principal, filters, Grouping.TERRITORY, keys)
    items = [
        TerritoryStats(
            territory_id=key.key,
            territory_code=key.code,
            territory_name=key.name,
            **dict(figures[key.key]),
        )
        for key in keys
    ]
    return Page[TerritoryStats](items=items, next_cursor=next_cursor)


async def per_region(
    session: AsyncSession,
    principal: Principal,
    filters: StatsFilters,
    *,
    limit: int,
    cursor: str | None,
) -> Page[RegionStats]:
    """A page of regions (by code) with applications in scope, each with its figures."""
    keys, next_cursor = await _page(
        session, principal, filters, Grouping.REGION, _BY_REGION_CODE, limit, cursor
    )
    figures = await _group_figures(session, principal, filters, Grouping.REGION, keys)
    items = [
        RegionStats(region_code=key.code, region_name=key.name, **dict(figures[key.key]))
        for key in keys
    ]
    return Page[RegionStats](items=items, next_cursor=next_cursor)


async def _page(
    session: AsyncSession,
    principal: Principal,
    filters: StatsFilters,
    grouping: Grouping,
    sort: SortKey,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    after = decode_cursor(sort, cursor)[0] if cursor else None
    b = selection.base(principal, filters, grouping=grouping)
    pager = repository.territory_page if grouping is Grouping.TERRITORY else repository.region_page
    rows = await repository.page(session, pager(b, after, limit))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(sort, [rows[-1].code])


async def _group_figures(
    session: AsyncSession,
    principal: Principal,
    filters: StatsFilters,
    grouping: Grouping,
    keys: Sequence[Any],
) -> dict[object, ProgrammeStats]:
    if not keys:
        return {}
    groups = [key.key for key in keys]
    b = selection.base(principal, filters, grouping=grouping, groups=groups)
    return await _figures(session, b)


async def _figures(session: AsyncSession, b: CTE) -> dict[object, ProgrammeStats]:
    """Each group's figures, from the statements over the selection."""
    rows = await repository.figure_rows(session, b)
    return {group: _stats(row) for group, row in rows.items()}


class _Row:
    """A group's row of `repository.figure_rows` (None: no application), figures as ints."""

    def __init__(self, row: Mapping[Any, Any] | None) -> None:
        self.row: Mapping[Any, Any] = row or {}

    def __call__(self, name: str) -> int:
        return int(self.row.get(name) or 0)

    def get(self, name: str) -> Any:
        return self.row.get(name)


_JOBS = (
    "planned_created",
    "planned_maintained",
    "planned_investment_cents",
    "projects_reporting",
    "reported_created",
    "reported_maintained",
    "reported_investment_cents",
)


def _stats(row: Mapping[Any, Any] | None) -> ProgrammeStats:
    n = _Row(row)
    return ProgrammeStats(
        applications=ApplicationFigures(
            count=n("applications"),
            by_status={s: n(f"application_{s.value}") for s in ApplicationStatus},
        ),
        projects=ProjectFigures(
            count=n("projects"), by_status={s: n(f"project_{s.value}") for s in ProjectStatus}
        ),
        amounts=_amounts(n),
        jobs=JobFigures(**{name: n(name) for name in _JOBS}),
        relocation=RelocationFigures(
            projects=n("relocation_projects"),
            planned_jobs_created=n("relocation_planned_created"),
            planned_jobs_maintained=n("relocation_planned_maintained"),
            reported_jobs_created=n("relocation_reported_created"),
        ),
        fragile=_fragile(n),
        monthly=_series(n.get("submission_months"), n.get("money_months")),
        decision_delays=DecisionDelays(
            decided=n("decided"),
            median_days=_days(n.get("delay_median")),
            p90_days=_days(n.get("delay_p90")),
        ),
        territories=TerritoryFigures(count=n("territories"), epcis=n("epcis")),
    )


def _endowment(amounts: Mapping[Financer, int]) -> EndowmentFigures:
    return EndowmentFigures(
        amount_cents=sum(amounts.values()),
        by_financer=[
            FinancerEndowment(financer=financer, amount_cents=amounts.get(financer, 0))
            for financer in Financer
        ],
    )


def _amounts(n: _Row) -> AmountFigures:
    return AmountFigures(
        requested_cents=n("requested_cents"),
        awarded_cents=sum(n(f"awarded_{f.value}") for f in Financer),
        committed_cents=sum(n(f"committed_{f.value}") for f in Financer),
        paid_cents=sum(n(f"paid_{f.value}") for f in Financer),
        awarded_applications=n("awarded_applications"),
        by_financer=[
            FinancerAmounts(
                financer=f,
                awarded_cents=n(f"awarded_{f.value}"),
                committed_cents=n(f"committed_{f.value}"),
                paid_cents=n(f"paid_{f.value}"),
            )
            for f in Financer
        ],
    )


def _fragile(n: _Row) -> FragileFigures:
    projects = n("projects")
    awarded = sum(n(f"awarded_{f.value}") for f in Financer)
    return FragileFigures(
        zonings=[kind.short_label for kind in FRAGILE_ZONINGS],
        projects=n("fragile_projects"),
        project_share=_share(n("fragile_projects"), projects),
        undetermined_projects=n("undetermined_projects"),
        requested_cents=n("fragile_requested_cents"),
        requested_share=_share(n("fragile_requested_cents"), n("requested_cents")),
        awarded_cents=n("fragile_awarded_cents"),
        awarded_share=_share(n("fragile_awarded_cents"), awarded),
        extension=FragileExtension(
            zonings=[kind.short_label for kind in FRAGILE_EXTENSION_ZONINGS],
            projects=n("extension_projects"),
            project_share=_share(n("extension_projects"), projects),
        ),
        vintages=[
            ZoningVintage(kind=kind, label=ZoningKind(kind).short_label, vintage=vintage)
            for kind, vintage in n.get("vintages") or []
        ],
    )


def _series(*parts: Sequence[Mapping[str, Any]] | None) -> list[MonthFigures]:
    """Every month from the first to the last with activity (quiet months as zeros), each
    the sum of what `parts` (monthly series in order) say of it."""
    found: dict[str, dict[str, int]] = {}
    for part in parts:
        for row in part or []:
            month = found.setdefault(row["month"], dict.fromkeys(repository.ACTIVITY[2:], 0))
            for name in month:
                month[name] += int(row[name])
    if not found:
        return []
    first, last = min(found), max(found)
    year, month_number = (int(part) for part in first.split("-"))
    series = []
    while True:
        label = f"{year:04d}-{month_number:02d}"
        figures = found.get(label) or dict.fromkeys(repository.ACTIVITY[2:], 0)
        series.append(MonthFigures(month=label, **figures))
        if label == last:
            return series
        year, month_number = (year + 1, 1) if month_number == 12 else (year, month_number + 1)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _days(value: object) -> float | None:
    return None if value is None else round(float(value), 2)  # type: ignore[arg-type]
