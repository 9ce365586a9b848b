"""Programme statistics in SQL: the figures of the applications `selection.base` selects,
aggregated per group (the whole scope, a territory or a region) in one statement that reads
the selection once (its aggregates, its monthly series, the zoning vintages read), and the
pages of the lists.

A project counts once per group: its planned figures are those of its latest submitted
snapshot, its reported ones its latest outcome report, and it is fragile when the site of
one of its applications was.
"""

from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    DateTime,
    Numeric,
    Row,
    RowMapping,
    Select,
    and_,
    case,
    cast,
    distinct,
    func,
    literal_column,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by, distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications.enums import ApplicationStatus
from shared.budgets.models import BudgetEnvelope, Commitment, CommitmentStatus, Financer, Payment
from shared.geography.models import Region
from shared.outcomes.models import Outcome
from shared.projects.enums import ProjectStatus
from shared.projects.models import Project
from shared.stats.selection import UTC_ZONE
from shared.territories.models import Territory, TerritoryEpci
from shared.zonings.models import ZoningMembership, ZoningVintageSet

FACTS = ("fragile", "extension", "undetermined")
"""What the zonings said of a site: a project has it when one of its applications had."""
ACTIVITY = (
    "grp",
    "month",
    "submitted",
    "requested_cents",
    "awarded",
    "awarded_cents",
    "paid_cents",
)
"""The columns of the monthly series."""


async def figure_rows(session: AsyncSession, b: CTE) -> dict[object, RowMapping]:
    """The figures of each group, in one statement (the selection is read once): its
    aggregates, its monthly series (`months`) and the zoning lists read (`vintages`)."""
    await tune(session)
    apps, projects, money = _applications(b), _projects(b), _money(b)
    months, vintages, territories = _monthly(b), _vintages(b), _territories(b)
    joined = [_delays(b), projects, money, months, vintages, territories]
    source: Any = apps
    for part in joined:
        source = source.outerjoin(part, part.c.grp == apps.c.grp)
    statement = select(
        *apps.c, *[column for part in joined for column in part.c if column.key != "grp"]
    ).select_from(source)
    return {row["grp"]: row for row in (await session.execute(statement)).mappings()}


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


def _monthly(b: CTE) -> Any:
    """Per group, its months with activity (submissions, live awards, payments) in order,
    as a JSON array (each kind of activity summed per month first)."""
    c, p = Commitment, Payment
    submitted = select(
        *_activity(b.c.grp, _month(b.c.submitted_at), func.count(), _sum(b.c.requested), 0, 0, 0)
    ).group_by(b.c.grp, literal_column("month"))
    awarded = (
        select(
            *_activity(b.c.grp, _month(c.created_at), 0, 0, func.count(), _sum(c.amount_cents), 0)
        )
        .select_from(b.join(c, c.application_id == b.c.id))
        .where(c.status == CommitmentStatus.ACTIVE)
        .group_by(b.c.grp, literal_column("month"))
    )
    month_paid = func.date_trunc("month", cast(p.paid_on, DateTime(timezone=False)))
    paid = (
        select(*_activity(b.c.grp, month_paid, 0, 0, 0, 0, _sum(p.amount_cents)))
        .select_from(b.join(p, p.application_id == b.c.id))
        .group_by(b.c.grp, literal_column("month"))
    )
    events = union_all(submitted, awarded, paid).subquery("activity")
    per_month = (
        select(
            events.c.grp,
            func.to_char(events.c.month, "YYYY-MM").label("month"),
            *[cast(func.sum(events.c[name]), BigInteger).label(name) for name in ACTIVITY[2:]],
        )
        .group_by(events.c.grp, events.c.month)
        .subquery("per_month")
    )
    month = func.jsonb_build_object(
        *[arg for name in ACTIVITY[1:] for arg in (name, per_month.c[name])]
    )
    return (
        select(
            per_month.c.grp,
            func.jsonb_agg(aggregate_order_by(month, per_month.c.month), type_=JSONB).label(
                "months"
            ),
        )
        .group_by(per_month.c.grp)
        .subquery("months")
    )


def _activity(*values: Any) -> list[ColumnElement[Any]]:
    """One row of activity, its columns named (numbers as bigint)."""
    return [
        cast(value, BigInteger).label(name)
        if isinstance(value, int) or name in ACTIVITY[2:]
        else value.label(name)
        for value, name in zip(values, ACTIVITY, strict=True)
    ]


def _vintages(b: CTE) -> Any:
    """Per group, the zoning lists its fragility was read from, as a JSON array of
    [kind, vintage]: those of each application's facts (the memberships found, the
    coverages holding its site), each pair once."""
    lists = select(b.c.grp, b.c.vintage_set, b.c.vintages).distinct().subquery("lists")
    s = ZoningVintageSet
    read = func.coalesce(s.vintages, lists.c.vintages)
    pair = func.jsonb_array_elements(read).table_valued("value").render_derived()
    found = (
        select(
            lists.c.grp,
            cast(pair.c.value.op("->>")(0), ZoningMembership.kind.type).label("kind"),
            pair.c.value.op("->>")(1).label("vintage"),
        )
        .select_from(lists.outerjoin(s, s.id == lists.c.vintage_set).join(pair, true()))
        .distinct()
        .subquery("found")
    )
    listed = func.jsonb_build_array(found.c.kind, found.c.vintage)
    return (
        select(
            found.c.grp,
            func.jsonb_agg(
                aggregate_order_by(listed, found.c.kind, found.c.vintage), type_=JSONB
            ).label("vintages"),
        )
        .group_by(found.c.grp)
        .subquery("vintages")
    )


def _territories(b: CTE) -> Any:
    """Per group: the Territoires d'industrie with applications counted, and their
    intercommunalités (each once)."""
    t = (
        select(b.c.grp, b.c.territory_id)
        .where(b.c.territory_id.is_not(None))
        .distinct()
        .subquery("counted_territories")
    )
    link = TerritoryEpci
    return (
        select(
            t.c.grp,
            func.count(distinct(t.c.territory_id)).label("territories"),
            func.count(distinct(link.epci_siren)).label("epcis"),
        )
        .select_from(t.outerjoin(link, link.territory_id == t.c.territory_id))
        .group_by(t.c.grp)
        .subquery("territory_counts")
    )


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


# --- the aggregates of `figure_rows` ----------------------------------------------------------
def _applications(b: CTE) -> Any:
    """Per group: applications by status, requested amounts."""
    return (
        select(
            b.c.grp,
            func.count().label("applications"),
            *[
                func.count().filter(b.c.status == status).label(f"application_{status.value}")
                for status in ApplicationStatus
            ],
            _sum(b.c.requested).label("requested_cents"),
            _sum(b.c.requested, b.c.fragile).label("fragile_requested_cents"),
        )
        .group_by(b.c.grp)
        .subquery("apps")
    )


def _delays(b: CTE) -> Any:
    """Per group: decision delays (sorting only the decided applications)."""
    return (
        select(
            b.c.grp,
            func.count().label("decided"),
            func.percentile_cont(0.5).within_group(b.c.delay_days).label("delay_median"),
            func.percentile_cont(0.9).within_group(b.c.delay_days).label("delay_p90"),
        )
        .where(b.c.delay_days.is_not(None))
        .group_by(b.c.grp)
        .subquery("delays")
    )


def _projects(b: CTE) -> Any:
    """Per group: projects by status, planned and reported jobs and investment, relocation,
    fragility (each project once: its latest snapshot, its latest report)."""
    p, r = _planned_per_project(b), _reported_per_project(b)
    relocation, fragile = p.c.relocation, p.c.fragile
    return (
        select(
            p.c.grp,
            func.count().label("projects"),
            *[
                func.count().filter(Project.status == status).label(f"project_{status.value}")
                for status in ProjectStatus
            ],
            _sum(p.c.jobs_created).label("planned_created"),
            _sum(p.c.jobs_maintained).label("planned_maintained"),
            _sum(p.c.investment_total_cents).label("planned_investment_cents"),
            func.count(r.c.project_id).label("projects_reporting"),
            _sum(r.c.jobs_created).label("reported_created"),
            _sum(r.c.jobs_maintained).label("reported_maintained"),
            _sum(r.c.investment_cents).label("reported_investment_cents"),
            func.count().filter(relocation).label("relocation_projects"),
            _sum(p.c.jobs_created, relocation).label("relocation_planned_created"),
            _sum(p.c.jobs_maintained, relocation).label("relocation_planned_maintained"),
            _sum(r.c.jobs_created, relocation).label("relocation_reported_created"),
            func.count().filter(fragile).label("fragile_projects"),
            func.count().filter(p.c.extension).label("extension_projects"),
            func.count().filter(and_(p.c.undetermined, ~fragile)).label("undetermined_projects"),
        )
        .select_from(
            p.join(Project, Project.id == p.c.project_id).outerjoin(
                r, and_(r.c.grp == p.c.grp, r.c.project_id == p.c.project_id)
            )
        )
        .group_by(p.c.grp)
        .subquery("projects")
    )


def _planned_per_project(b: CTE) -> Any:
    """Each project of a group once: fragile (extension, undetermined) when one of its
    applications was, with the planned figures of its latest submission. Most projects
    have one application counted: only the others are sorted to find their latest."""
    window = (b.c.grp, b.c.project_id)
    figures = ("jobs_created", "jobs_maintained", "investment_total_cents", "relocation")
    per = (
        select(
            *window,
            func.count().label("applications"),
            *[func.bool_or(b.c[name]).label(name) for name in FACTS],
            *[func.max(b.c[name]).label(name) for name in figures[:3]],
            func.bool_or(b.c.relocation).label("relocation"),
        )
        .group_by(*window)
        .cte("per_project")
    )
    several = select(per.c.grp, per.c.project_id).where(per.c.applications > 1)
    latest = (
        select(*window, *[b.c[name] for name in figures])
        .where(tuple_(*window).in_(several))
        .ext(distinct_on(*window))
        .order_by(*window, b.c.submitted_at.desc(), b.c.id)
        .subquery("latest")
    )
    same = and_(latest.c.grp == per.c.grp, latest.c.project_id == per.c.project_id)
    return (
        select(
            per.c.grp,
            per.c.project_id,
            *[per.c[name] for name in FACTS],
            *[func.coalesce(latest.c[name], per.c[name]).label(name) for name in figures],
        )
        .select_from(per.outerjoin(latest, same))
        .subquery("planned")
    )


def _reported_per_project(b: CTE) -> Any:
    """Each project of a group with an outcome report: its latest."""
    window = (b.c.grp, b.c.project_id)
    o = _latest_outcomes()
    return (
        select(*window, o.c.jobs_created, o.c.jobs_maintained, o.c.investment_cents)
        .select_from(b.join(o, o.c.application_id == b.c.id))
        .ext(distinct_on(*window))
        .order_by(*window, o.c.reported_on.desc(), o.c.created_at.desc())
        .subquery("reported")
    )


def _money(b: CTE) -> Any:
    """Per group: awarded, committed and paid, by financer (the commitments' envelopes)."""
    c, e = Commitment, BudgetEnvelope
    live = c.status == CommitmentStatus.ACTIVE
    # What an envelope still holds for a commitment: all of it while live, what was paid
    # once released (`shared.budgets.repository.release`).
    held = case((live, c.amount_cents), else_=c.paid_cents)
    columns = []
    for financer in Financer:
        named = e.financer == financer
        columns += [
            _sum(c.amount_cents, and_(live, named)).label(f"awarded_{financer.value}"),
            _sum(held, named).label(f"committed_{financer.value}"),
            _sum(c.paid_cents, named).label(f"paid_{financer.value}"),
        ]
    return (
        select(
            b.c.grp,
            *columns,
            func.count().filter(live).label("awarded_applications"),
            _sum(c.amount_cents, and_(live, b.c.fragile)).label("fragile_awarded_cents"),
        )
        .select_from(b.join(c, c.application_id == b.c.id).join(e, e.id == c.envelope_id))
        .group_by(b.c.grp)
        .subquery("money")
    )


def _latest_outcomes() -> Any:
    """The report that counts of each application (joined to those counted)."""
    o = Outcome
    return (
        select(o.application_id, o.jobs_created, o.jobs_maintained, o.investment_cents)
        .add_columns(o.reported_on, o.created_at)
        .ext(distinct_on(o.application_id))
        .order_by(o.application_id, o.reported_on.desc(), o.created_at.desc())
        .subquery("latest_outcomes")
    )


def _sum(column: Any, where: ColumnElement[bool] | None = None) -> ColumnElement[Any]:
    total = func.sum(column) if where is None else func.sum(column).filter(where)
    return cast(func.coalesce(total, 0), Numeric)


def _month(instant: Any) -> ColumnElement[Any]:
    """The first instant of the month (UTC) of `instant`."""
    return func.date_trunc("month", func.timezone(UTC_ZONE, instant))
