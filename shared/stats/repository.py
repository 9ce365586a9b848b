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
    Numeric,
    Row,
    RowMapping,
    Select,
    and_,
    case,
    cast,
    func,
    literal_column,
    or_,
    select,
    union,
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
from shared.stats.selection import UTC_ZONE, covers
from shared.territories.models import Territory
from shared.zonings.kinds import FRAGILE_EXTENSION_ZONINGS, FRAGILE_ZONINGS
from shared.zonings.models import ZoningCoverage, ZoningMembership

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
    apps, projects, money = _applications(b), _projects(b), _money(b)
    months, vintages = _monthly(b), _vintages(b)
    joined = [projects, money, months, vintages]
    source: Any = apps
    for part in joined:
        source = source.outerjoin(part, part.c.grp == apps.c.grp)
    statement = select(
        *apps.c, *[column for part in joined for column in part.c if column.key != "grp"]
    ).select_from(source)
    return {row["grp"]: row for row in (await session.execute(statement)).mappings()}


def _monthly(b: CTE) -> Any:
    """Per group, its months with activity (submissions, live awards, payments) in order,
    as a JSON array."""
    submitted = select(*_activity(b.c.grp, _month(b.c.submitted_at), 1, b.c.requested, 0, 0, 0))
    awarded = (
        select(
            *_activity(b.c.grp, _month(Commitment.created_at), 0, 0, 1, Commitment.amount_cents, 0)
        )
        .select_from(b.join(Commitment, Commitment.application_id == b.c.id))
        .where(Commitment.status == CommitmentStatus.ACTIVE)
    )
    month_paid = func.to_char(Payment.paid_on, "YYYY-MM")
    paid = select(*_activity(b.c.grp, month_paid, 0, 0, 0, 0, Payment.amount_cents)).select_from(
        b.join(Payment, Payment.application_id == b.c.id)
    )
    events = union_all(submitted, awarded, paid).subquery("activity")
    per_month = (
        select(
            events.c.grp,
            events.c.month,
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
    """One row of activity, its columns named (numbers as bigint literals)."""
    return [
        (literal_column(str(value), BigInteger) if isinstance(value, int) else value).label(name)
        for value, name in zip(values, ACTIVITY, strict=True)
    ]


def _vintages(b: CTE) -> Any:
    """Per group, the zoning lists its fragility was read from, as a JSON array of
    [kind, vintage]: the memberships found (only sites in a zoning have some) and the
    coverages consulted."""
    kinds = (*FRAGILE_ZONINGS, *FRAGILE_EXTENSION_ZONINGS)
    m, z = ZoningMembership, ZoningCoverage
    members = (
        select(b.c.grp, m.kind, m.vintage)
        .select_from(
            b.join(
                m,
                and_(
                    m.commune_insee == b.c.commune,
                    m.kind.in_(kinds),
                    m.valid_from <= b.c.day,
                    or_(m.valid_to.is_(None), m.valid_to > b.c.day),
                ),
            )
        )
        .where(or_(b.c.fragile, b.c.extension))
    )
    sites = (
        select(b.c.grp, b.c.commune, b.c.department, b.c.day)
        .where(b.c.department.is_not(None))  # a commune of the reference geography
        .distinct()
        .subquery("sites")
    )
    covering = select(sites.c.grp, z.kind, z.vintage).select_from(
        sites.join(
            z,
            and_(
                z.kind.in_(kinds),
                covers(z, sites.c.day, sites.c.commune, sites.c.department),
            ),
        )
    )
    found = union(members, covering).subquery("found")
    pair = func.jsonb_build_array(found.c.kind, found.c.vintage)
    return (
        select(
            found.c.grp,
            func.jsonb_agg(
                aggregate_order_by(pair, found.c.kind, found.c.vintage), type_=JSONB
            ).label("vintages"),
        )
        .group_by(found.c.grp)
        .subquery("vintages")
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
    """Per group: applications by status, requested amounts, decision delays."""
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
            func.count(b.c.delay_days).label("decided"),
            func.percentile_cont(0.5).within_group(b.c.delay_days).label("delay_median"),
            func.percentile_cont(0.9).within_group(b.c.delay_days).label("delay_p90"),
        )
        .group_by(b.c.grp)
        .subquery("apps")
    )


def _projects(b: CTE) -> Any:
    """Per group: projects by status, planned and reported jobs and investment, relocation,
    fragility (each project once: its latest snapshot, its latest report)."""
    window = (b.c.grp, b.c.project_id)
    p = (
        select(
            b.c.grp,
            b.c.project_id,
            b.c.jobs_created,
            b.c.jobs_maintained,
            b.c.investment_total_cents,
            b.c.relocation,
            func.bool_or(b.c.fragile).over(partition_by=window).label("fragile"),
            func.bool_or(b.c.extension).over(partition_by=window).label("extension"),
            func.bool_or(b.c.undetermined).over(partition_by=window).label("undetermined"),
        )
        .ext(distinct_on(*window))
        .order_by(*window, b.c.submitted_at.desc(), b.c.id)
        .subquery("planned")
    )
    o = _latest_outcomes(b)
    r = (
        select(b.c.grp, b.c.project_id, o.c.jobs_created, o.c.jobs_maintained, o.c.investment_cents)
        .select_from(b.join(o, o.c.application_id == b.c.id))
        .ext(distinct_on(*window))
        .order_by(*window, o.c.reported_on.desc(), o.c.created_at.desc())
        .subquery("reported")
    )
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


def _latest_outcomes(b: CTE) -> Any:
    """The report that counts of each application counted."""
    o = Outcome
    return (
        select(o.application_id, o.jobs_created, o.jobs_maintained, o.investment_cents)
        .add_columns(o.reported_on, o.created_at)
        .where(o.application_id.in_(select(b.c.id)))
        .ext(distinct_on(o.application_id))
        .order_by(o.application_id, o.reported_on.desc(), o.created_at.desc())
        .subquery("latest_outcomes")
    )


def _sum(column: Any, where: ColumnElement[bool] | None = None) -> ColumnElement[Any]:
    total = func.sum(column) if where is None else func.sum(column).filter(where)
    return cast(func.coalesce(total, 0), Numeric)


def _month(instant: Any) -> ColumnElement[str]:
    return func.to_char(func.timezone(UTC_ZONE, instant), "YYYY-MM")
