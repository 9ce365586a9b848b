"""The aggregates of the programme figures, per group (the whole scope, a territory or a
region), over the applications `selection.base` selects (`b`), as the parts of the two
statements `repository.figures_statements` builds.

The selection is read in one pass into `cells`: its applications counted (and their
amounts summed) by everything a figure tells apart (group, month, status, project status,
fragility, relocation, the zoning lists read). The applications, the projects of one
application, the monthly submissions and the lists read are sums over those few cells,
not over the applications. The few projects with several applications (`project_shared`)
count once each, with their latest submission (`shared_latest`). The decision delays and
the territories read the selection's `facets`. Commitments, payments and outcome reports
reach the selection through `linked`, its applications' ids and what the figures of those
rows read.

A project counts once per group: its planned figures are those of its latest submitted
snapshot, its reported ones its latest outcome report, and it is fragile when the site of
one of its applications was.
"""

from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Numeric,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by, distinct_on

from shared.applications.enums import ApplicationStatus
from shared.budgets.models import BudgetEnvelope, Commitment, CommitmentStatus, Financer, Payment
from shared.outcomes.models import Outcome
from shared.projects.enums import ProjectStatus
from shared.stats.selection import UTC_ZONE
from shared.territories.models import TerritoryEpci
from shared.zonings.models import ZoningMembership, ZoningVintageSet

FACTS = ("fragile", "extension", "undetermined")
"""What the zonings said of a site: a project has it when one of its applications had."""
_KEYS = (
    "grp",
    "month",
    "status",
    "project_status",
    "project_shared",
    *FACTS,
    "relocation",
    "vintage_set",
    "vintages",
)
"""What the cells tell apart."""
_PLANNED = ("jobs_created", "jobs_maintained", "investment_total_cents")


def cells(b: CTE) -> CTE:
    """The selection's applications counted (`n`) and their amounts and planned figures
    summed, per distinct `_KEYS`: one pass over the selection."""
    return (
        select(
            *[b.c[key] for key in _KEYS],
            func.count().label("n"),
            func.sum(b.c.requested).label("requested"),
            *[func.sum(b.c[name]).label(name) for name in _PLANNED],
        )
        .group_by(*[b.c[key] for key in _KEYS])
        .cte("cells")
    )


def shared_latest(b: CTE) -> CTE:
    """Each project with several applications counted, once per group: its status, facts
    (any of its applications'), and the planned figures of its latest submission."""
    window = (b.c.grp, b.c.project_id)
    return (
        select(
            *window,
            b.c.project_status,
            *[func.bool_or(b.c[name]).over(partition_by=window).label(name) for name in FACTS],
            *[b.c[name] for name in (*_PLANNED, "relocation")],
        )
        .where(b.c.project_shared)
        .ext(distinct_on(*window))
        .order_by(*window, b.c.submitted_at.desc(), b.c.id)
        .cte("shared_latest")
    )


def linked(b: CTE) -> CTE:
    """The selection's applications that commitments, payments or outcome reports point
    at, with what the figures of those rows read: their ids looked up in a hash of those
    tables' application ids, so that only these are kept (about a quarter)."""
    columns = ("id", "grp", "project_id", "fragile", "relocation")
    pointed = union_all(*[select(table.application_id) for table in (Commitment, Payment, Outcome)])
    return select(*[b.c[name] for name in columns]).where(b.c.id.in_(pointed)).cte("linked")


def facets(b: CTE) -> CTE:
    """The selection's territory and decision delay of each application, read by two
    figures each in its own pass (which costs less than copying the rows once: each pass
    reads only its rows and columns)."""
    facets = select(b.c.grp, b.c.territory_id, b.c.delay_days).cte("facets")
    return facets.prefix_with("NOT MATERIALIZED")


def applications(c: CTE) -> Any:
    """Per group: applications by status, requested amounts."""
    return (
        select(
            c.c.grp,
            _sum(c.c.n).label("applications"),
            *[
                _sum(c.c.n, c.c.status == status).label(f"application_{status.value}")
                for status in ApplicationStatus
            ],
            _sum(c.c.requested).label("requested_cents"),
            _sum(c.c.requested, c.c.fragile).label("fragile_requested_cents"),
        )
        .group_by(c.c.grp)
        .subquery("apps")
    )


def delays(facets: CTE) -> Any:
    """Per group: decision delays (sorting only the decided applications)."""
    return (
        select(
            facets.c.grp,
            func.count().label("decided"),
            func.percentile_cont(0.5).within_group(facets.c.delay_days).label("delay_median"),
            func.percentile_cont(0.9).within_group(facets.c.delay_days).label("delay_p90"),
        )
        .where(facets.c.delay_days.is_not(None))
        .group_by(facets.c.grp)
        .subquery("delays")
    )


def projects(c: CTE, shared: CTE) -> Any:
    """Per group: projects by status, planned jobs and investment, relocation, fragility:
    the cells of the projects of one application, and the latest of the others."""
    columns = ("project_status", *FACTS, "relocation", *_PLANNED)
    only = select(c.c.grp, c.c.n, *[c.c[name] for name in columns]).where(~c.c.project_shared)
    several = select(shared.c.grp, literal(1).label("n"), *[shared.c[name] for name in columns])
    p = union_all(only, several).subquery("planned")
    relocation, fragile = p.c.relocation, p.c.fragile
    return (
        select(
            p.c.grp,
            _sum(p.c.n).label("projects"),
            *[
                _sum(p.c.n, p.c.project_status == status).label(f"project_{status.value}")
                for status in ProjectStatus
            ],
            _sum(p.c.jobs_created).label("planned_created"),
            _sum(p.c.jobs_maintained).label("planned_maintained"),
            _sum(p.c.investment_total_cents).label("planned_investment_cents"),
            _sum(p.c.n, relocation).label("relocation_projects"),
            _sum(p.c.jobs_created, relocation).label("relocation_planned_created"),
            _sum(p.c.jobs_maintained, relocation).label("relocation_planned_maintained"),
            _sum(p.c.n, fragile).label("fragile_projects"),
            _sum(p.c.n, p.c.extension).label("extension_projects"),
            _sum(p.c.n, and_(p.c.undetermined, ~fragile)).label("undetermined_projects"),
        )
        .group_by(p.c.grp)
        .subquery("projects")
    )


def reported(ids: CTE, shared: CTE) -> CTE:
    """Per group: the projects with an outcome report, their latest report's figures, and
    those of the relocation projects (a project's planned relocation: its latest
    submission's)."""
    o = _latest_outcomes()
    same = and_(shared.c.grp == ids.c.grp, shared.c.project_id == ids.c.project_id)
    per_project = (
        select(
            ids.c.grp,
            o.c.jobs_created,
            o.c.jobs_maintained,
            o.c.investment_cents,
            func.coalesce(shared.c.relocation, ids.c.relocation).label("relocation"),
        )
        .select_from(ids.join(o, o.c.application_id == ids.c.id).outerjoin(shared, same))
        .ext(distinct_on(ids.c.grp, ids.c.project_id))
        .order_by(ids.c.grp, ids.c.project_id, o.c.reported_on.desc(), o.c.created_at.desc())
        .subquery("reported_per_project")
    )
    r = per_project
    return (
        select(
            r.c.grp,
            func.count().label("projects_reporting"),
            _sum(r.c.jobs_created).label("reported_created"),
            _sum(r.c.jobs_maintained).label("reported_maintained"),
            _sum(r.c.investment_cents).label("reported_investment_cents"),
            _sum(r.c.jobs_created, r.c.relocation).label("relocation_reported_created"),
        )
        .group_by(r.c.grp)
        .cte("reported")
    )


def commitments(ids: CTE) -> CTE:
    """The commitments of the selection summed in one pass, per group (`month` NULL) and
    per group and month of the award: awarded, committed and paid by financer (their
    envelopes'), the live awards (`awarded`, `awarded_cents`), those in fragile territories."""
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
    month = _month(c.created_at)
    return (
        select(
            ids.c.grp,
            month.label("month"),
            func.grouping(month).label("all_months"),
            *columns,
            func.count().filter(live).label("awarded"),
            _sum(c.amount_cents, live).label("awarded_cents"),
            _sum(c.amount_cents, and_(live, ids.c.fragile)).label("fragile_awarded_cents"),
        )
        .select_from(ids.join(c, c.application_id == ids.c.id).join(e, e.id == c.envelope_id))
        .group_by(func.grouping_sets(tuple_(ids.c.grp), tuple_(ids.c.grp, month)))
        .cte("commitment_sums")
    )


def money(sums: CTE) -> Any:
    """Per group: awarded, committed and paid, by financer."""
    names = [
        f"{figure}_{financer.value}"
        for financer in Financer
        for figure in ("awarded", "committed", "paid")
    ]
    return (
        select(
            sums.c.grp,
            *[sums.c[name] for name in names],
            sums.c.awarded.label("awarded_applications"),
            sums.c.fragile_awarded_cents,
        )
        .where(sums.c.all_months == 1)
        .subquery("money")
    )


def vintages(c: CTE) -> Any:
    """Per group, the zoning lists its fragility was read from, as a JSON array of
    [kind, vintage]: those of each application's facts (the memberships found, the
    coverages holding its site), each pair once."""
    lists = select(c.c.grp, c.c.vintage_set, c.c.vintages).distinct().subquery("lists")
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
    ordered = aggregate_order_by(listed, found.c.kind, found.c.vintage)
    return (
        select(found.c.grp, func.jsonb_agg(ordered, type_=JSONB).label("vintages"))
        .group_by(found.c.grp)
        .subquery("vintages")
    )


def territories(facets: CTE) -> Any:
    """Per group: the Territoires d'industrie with applications counted, and their
    intercommunalités (each once)."""
    t = (
        select(facets.c.grp, facets.c.territory_id)
        .where(facets.c.territory_id.is_not(None))
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
    """The first day of the month (UTC) of `instant`."""
    return cast(func.date_trunc("month", func.timezone(UTC_ZONE, instant)), Date)
