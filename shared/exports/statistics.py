"""The statistics as tables: the programme's figures, its monthly series (with a chart in
XLSX), and the figures per territory and per region, read through the statistics service
(the same scope and filters as `GET /v1/stats/programme`)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.exports.formats import rows_of
from shared.exports.schemas import Chart, Column, Kind, Row, StatsTable, Table
from shared.principal import Principal
from shared.schemas import Page
from shared.stats import service as stats_service
from shared.stats.filters import StatsFilters
from shared.stats.schemas import ProgrammeStats

GROUP_PAGE = 200
"""Territories or regions read per statement."""

FIGURE_COLUMNS = (
    Column("figure"),
    Column("count", Kind.INTEGER),
    Column("amount_eur", Kind.EUROS),
    Column("share", Kind.SHARE),
)
MONTHLY_COLUMNS = (
    Column("month", Kind.DATE),
    Column("submitted", Kind.INTEGER),
    Column("requested_eur", Kind.EUROS),
    Column("awarded", Kind.INTEGER),
    Column("awarded_eur", Kind.EUROS),
    Column("paid_eur", Kind.EUROS),
)
MONTHLY_CHART = Chart(
    title="Money requested, awarded and paid per month", series=(2, 4, 5), y_title="€"
)
GROUP_COLUMNS = (
    Column("code"),
    Column("name"),
    Column("applications", Kind.INTEGER),
    Column("projects", Kind.INTEGER),
    Column("requested_eur", Kind.EUROS),
    Column("awarded_eur", Kind.EUROS),
    Column("committed_eur", Kind.EUROS),
    Column("paid_eur", Kind.EUROS),
    Column("planned_jobs_created", Kind.INTEGER),
    Column("planned_jobs_maintained", Kind.INTEGER),
    Column("planned_investment_eur", Kind.EUROS),
    Column("reported_jobs_created", Kind.INTEGER),
    Column("reported_investment_eur", Kind.EUROS),
    Column("relocation_projects", Kind.INTEGER),
    Column("fragile_projects", Kind.INTEGER),
    Column("fragile_project_share", Kind.SHARE),
    Column("median_decision_days", Kind.INTEGER),
)


async def tables(
    session: AsyncSession,
    principal: Principal,
    filters: StatsFilters,
    which: tuple[StatsTable, ...],
) -> list[Table]:
    """The tables asked for, in that order; groups are read a page at a time as written."""
    figures = None
    if {StatsTable.PROGRAMME, StatsTable.MONTHLY} & set(which):
        figures = await stats_service.programme(session, principal, filters)
    built: list[Table] = []
    for table in which:
        if table in _GROUPINGS:
            per_group, to_row = _GROUPINGS[table]
            rows = _groups(session, principal, filters, per_group, to_row)
            built.append(Table(table.value, GROUP_COLUMNS, rows))
        elif figures is not None and table is StatsTable.PROGRAMME:
            built.append(Table("programme", FIGURE_COLUMNS, rows_of(figure_rows(figures))))
        elif figures is not None:
            rows = rows_of(monthly_rows(figures))
            built.append(Table("monthly", MONTHLY_COLUMNS, rows, chart=MONTHLY_CHART))
    return built


def figure_rows(stats: ProgrammeStats) -> list[Row]:
    """The programme's figures, one a row: a count, an amount (cents) or a share."""
    rows: list[Row] = [("applications", stats.applications.count, None, None)]
    rows += [
        (f"applications {status}", count, None, None)
        for status, count in stats.applications.by_status.items()
    ]
    rows.append(("projects", stats.projects.count, None, None))
    rows += [
        (f"projects {status}", count, None, None)
        for status, count in stats.projects.by_status.items()
    ]
    return rows + _money_rows(stats) + _result_rows(stats)


def _money_rows(stats: ProgrammeStats) -> list[Row]:
    amounts = stats.amounts
    rows: list[Row] = [
        ("requested", None, amounts.requested_cents, None),
        ("awarded", amounts.awarded_applications, amounts.awarded_cents, None),
        ("committed", None, amounts.committed_cents, None),
        ("paid", None, amounts.paid_cents, None),
    ]
    for financer in amounts.by_financer:
        rows += [
            (f"awarded {financer.financer}", None, financer.awarded_cents, None),
            (f"committed {financer.financer}", None, financer.committed_cents, None),
            (f"paid {financer.financer}", None, financer.paid_cents, None),
        ]
    return rows


def _result_rows(stats: ProgrammeStats) -> list[Row]:
    jobs, fragile, delays = stats.jobs, stats.fragile, stats.decision_delays
    return [
        ("planned jobs created", jobs.planned_created, None, None),
        ("planned jobs maintained", jobs.planned_maintained, None, None),
        ("planned investment", None, jobs.planned_investment_cents, None),
        ("projects reporting outcomes", jobs.projects_reporting, None, None),
        ("reported jobs created", jobs.reported_created, None, None),
        ("reported jobs maintained", jobs.reported_maintained, None, None),
        ("reported investment", None, jobs.reported_investment_cents, None),
        ("relocation projects", stats.relocation.projects, None, None),
        ("relocation planned jobs created", stats.relocation.planned_jobs_created, None, None),
        ("fragile projects", fragile.projects, None, fragile.project_share),
        ("fragile undetermined projects", fragile.undetermined_projects, None, None),
        ("fragile requested", None, fragile.requested_cents, fragile.requested_share),
        ("fragile awarded", None, fragile.awarded_cents, fragile.awarded_share),
        ("decided applications", delays.decided, None, None),
        ("median decision days", _round(delays.median_days), None, None),
        ("p90 decision days", _round(delays.p90_days), None, None),
    ]


def monthly_rows(stats: ProgrammeStats) -> list[Row]:
    """The monthly series, each month as its first day."""
    return [
        (
            date.fromisoformat(f"{month.month}-01"),
            month.submitted,
            month.requested_cents,
            month.awarded,
            month.awarded_cents,
            month.paid_cents,
        )
        for month in stats.monthly
    ]


def group_row(code: str, name: str, stats: ProgrammeStats) -> Row:
    """A territory's or a region's figures as a row of `GROUP_COLUMNS`."""
    amounts, jobs = stats.amounts, stats.jobs
    return (
        code,
        name,
        stats.applications.count,
        stats.projects.count,
        amounts.requested_cents,
        amounts.awarded_cents,
        amounts.committed_cents,
        amounts.paid_cents,
        jobs.planned_created,
        jobs.planned_maintained,
        jobs.planned_investment_cents,
        jobs.reported_created,
        jobs.reported_investment_cents,
        stats.relocation.projects,
        stats.fragile.projects,
        stats.fragile.project_share,
        _round(stats.decision_delays.median_days),
    )


def _territory(item: Any) -> Row:
    return group_row(item.territory_code, item.territory_name, item)


def _region(item: Any) -> Row:
    return group_row(item.region_code, item.region_name, item)


Pager = Callable[..., Awaitable[Page[Any]]]
_GROUPINGS: dict[StatsTable, tuple[Pager, Callable[[Any], Row]]] = {
    StatsTable.TERRITORIES: (stats_service.per_territory, _territory),
    StatsTable.REGIONS: (stats_service.per_region, _region),
}


async def _groups(
    session: AsyncSession,
    principal: Principal,
    filters: StatsFilters,
    pager: Pager,
    to_row: Callable[[Any], Row],
) -> AsyncIterator[Row]:
    cursor: str | None = None
    while True:
        page = await pager(session, principal, filters, limit=GROUP_PAGE, cursor=cursor)
        for item in page.items:
            yield to_row(item)
        cursor = page.next_cursor
        if cursor is None:
            return


def _round(days: float | None) -> int | None:
    return None if days is None else round(days)
