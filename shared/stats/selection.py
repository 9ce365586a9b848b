"""The applications programme statistics count, as a CTE: the caller's scope and the
filters in its WHERE clause, and per application what the figures read (its group, status,
amounts, the planned figures of its project snapshot, whether its site was in a fragile
zoning on its submission day, its decision delay).

Fragile (domain-sources.md §2): the site's commune is a member of one of `FRAGILE_ZONINGS`
on the submission day (UTC); it is undetermined when not shown fragile and the zoning data
does not cover every fragile kind there; `FRAGILE_EXTENSION_ZONINGS` (PVD) is reported
apart. They are read from the facts stored per submission (`shared.zonings.facts`), and
looked up live for a submission that has none yet; the planned figures from the columns
the database computes from the snapshot (`shared.stats.models.PLANNED`).
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    DateTime,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    select,
    true,
)

from shared.applications.models import Application
from shared.funds.models import Fund
from shared.principal import Principal, Role
from shared.stats.filters import Grouping, StatsFilters
from shared.stats.models import DECIDED, PLANNED, SITE
from shared.zonings import facts as zoning_facts
from shared.zonings.models import ApplicationZoningFacts

A = Application
F = ApplicationZoningFacts
_SNAPSHOT = A.project_snapshot
_PLANNED = {column.name: column for column in PLANNED}
_KIND, _DECIDED_AT = DECIDED
UTC_ZONE: ColumnElement[str] = literal_column("'UTC'")
DECISIONS = ("approved", "rejected", "not_retained")
"""The decisions a decision delay ends with."""
PROGRAMME = "programme"
"""The group key of the whole scope."""
_GROUPS: dict[Grouping, Any] = {
    Grouping.PROGRAMME: literal_column(f"'{PROGRAMME}'"),
    Grouping.TERRITORY: A.territory_id,
    Grouping.REGION: A.region_code,
}


def scope(principal: Principal) -> ColumnElement[bool]:
    """The applications whose figures `principal` may read: admins and observers (aggregates
    only) all; territory keys their territory's, operator keys those to their funds, region
    keys those whose site is in their region."""
    if principal.role in (Role.ADMIN, Role.OBSERVER):
        return true()
    tenant: dict[Role, tuple[Any, object]] = {
        Role.TERRITORY: (A.territory_id, principal.territory_id),
        Role.OPERATOR: (A.operator_id, principal.operator_id),
        Role.REGION: (A.region_code, principal.region_code),
    }
    column, value = tenant[principal.role]
    return false() if value is None else column == value


def base(
    principal: Principal,
    filters: StatsFilters,
    *,
    grouping: Grouping = Grouping.PROGRAMME,
    groups: Sequence[object] | None = None,
) -> CTE:
    """The applications counted, one row each with what the figures read: scope, filters
    and (for a page of a list) the groups, all in SQL."""
    group = _GROUPS[grouping]
    facts = site_facts()
    delay = func.extract("epoch", _decided_at() - A.submitted_at) / 86400
    statement = (
        select(
            A.id,
            A.project_id,
            group.label("grp"),
            A.territory_id.label("territory_id"),
            A.status,
            A.submitted_at,
            func.coalesce(A.requested_amount_cents, 0).label("requested"),
            _PLANNED["planned_jobs_created"].label("jobs_created"),
            _PLANNED["planned_jobs_maintained"].label("jobs_maintained"),
            _PLANNED["planned_investment_cents"].label("investment_total_cents"),
            func.coalesce(_PLANNED["planned_relocation"], false()).label("relocation"),
            *[facts[name].label(name) for name in ("fragile", "extension", "undetermined")],
            facts["vintage_set"].label("vintage_set"),
            facts["vintages"].label("vintages"),
            case((_KIND.in_(DECISIONS), delay)).label("delay_days"),
        )
        .select_from(A)
        .outerjoin(F, _STORED_FACTS)
        .where(scope(principal), A.submitted_at.is_not(None), *_conditions(filters, facts))
    )
    if grouping is not Grouping.PROGRAMME:
        statement = statement.where(group.is_not(None))
    if groups is not None:
        statement = statement.where(group.in_(groups))
    return statement.cte("b")


def counted_ids(principal: Principal, filters: StatsFilters) -> Select[Any]:
    """The ids of the applications `base` counts (scope and filters), for statements that
    list them (the exports) with the statistics' meaning of every filter."""
    facts = site_facts()
    return (
        select(A.id)
        .outerjoin(F, _STORED_FACTS)
        .where(scope(principal), A.submitted_at.is_not(None), *_conditions(filters, facts))
        .correlate(None)
    )


_STORED_FACTS = and_(F.application_id == A.id, F.submitted_at == A.submitted_at)
"""An application's stored zoning facts, when they are those of its current submission."""


def site_facts() -> dict[str, ColumnElement[Any]]:
    """What the zonings said of each application's site on its submission day: its stored
    facts for this submission, else looked up now (`shared.zonings.facts`)."""
    live = zoning_facts.site_facts(SITE, zoning_facts.submission_day())
    stored: dict[str, ColumnElement[Any]] = {
        name: func.coalesce(getattr(F, name), live[name], type_=live[name].type)
        for name in zoning_facts.FACT_COLUMNS
        if name != "vintages"
    }
    # The lists read: the stored set's id, or (without facts) the lists themselves.
    stored["vintage_set"] = F.vintage_set_id.expression
    stored["vintages"] = case((F.application_id.is_(None), live["vintages"]))
    return stored


def _conditions(
    filters: StatsFilters, facts: dict[str, ColumnElement[Any]]
) -> list[ColumnElement[bool]]:
    fragile = facts["fragile"]
    conditions: list[ColumnElement[bool]] = []
    if filters.submitted_from is not None:
        conditions.append(A.submitted_at >= _midnight(filters.submitted_from, 0))
    if filters.submitted_to is not None:
        conditions.append(A.submitted_at < _midnight(filters.submitted_to, 1))
    if filters.region is not None:
        conditions.append(A.region_code == filters.region)
    if filters.department is not None:
        conditions.append(facts["department_code"] == filters.department)
    if filters.territory_id is not None:
        conditions.append(A.territory_id == filters.territory_id)
    if filters.fund is not None:
        conditions.append(A.fund_id.in_(select(Fund.id).where(Fund.code == filters.fund)))
    if filters.priority is not None:
        conditions.append(_SNAPSHOT["priorities"].contains([filters.priority.value]))
    if filters.nature is not None:
        conditions.append(_SNAPSHOT["nature"].astext == filters.nature.value)
    if filters.status:
        conditions.append(A.status.in_(filters.status))
    if filters.fragile is not None:
        conditions.append(fragile if filters.fragile else ~fragile)
    return conditions


def _decided_at() -> ColumnElement[Any]:
    return cast(_DECIDED_AT, DateTime(timezone=True))


def _midnight(day: date, days: int) -> datetime:
    return datetime.combine(day + timedelta(days=days), time(), tzinfo=UTC)
