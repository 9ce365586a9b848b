"""The applications programme statistics count, as a CTE over their narrow rows
(`shared.stats.models.ApplicationStatistics`): the caller's scope and the filters in its
WHERE clause, and per application what the figures read (its group, status, amounts, the
planned figures of its project snapshot, its project's status, whether its site was in a
fragile zoning on its submission day, its decision delay).

Fragile (domain-sources.md §2): the site's commune is a member of one of `FRAGILE_ZONINGS`
on the submission day (UTC); it is undetermined when not shown fragile and the zoning data
does not cover every fragile kind there; `FRAGILE_EXTENSION_ZONINGS` (PVD) is reported
apart. They are read from the facts stored per submission (`shared.zonings.facts`, copied
into the rows), and looked up live for a submission that has none yet.
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Select,
    case,
    false,
    func,
    literal_column,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import JSONB

from shared.funds.models import Fund
from shared.principal import Principal, Role
from shared.stats.filters import Grouping, StatsFilters
from shared.stats.models import ApplicationStatistics
from shared.zonings import facts as zoning_facts

S = ApplicationStatistics
UTC_ZONE: ColumnElement[str] = literal_column("'UTC'")
DECISIONS = ("approved", "rejected", "not_retained")
"""The decisions a decision delay ends with."""
PROGRAMME = "programme"
"""The group key of the whole scope."""
_GROUPS: dict[Grouping, Any] = {
    Grouping.PROGRAMME: literal_column(f"'{PROGRAMME}'"),
    Grouping.TERRITORY: S.territory_id,
    Grouping.REGION: S.region_code,
}


def scope(principal: Principal) -> ColumnElement[bool]:
    """The applications whose figures `principal` may read: admins and observers (aggregates
    only) all; territory keys their territory's, operator keys those to their funds, region
    keys those whose site is in their region."""
    if principal.role in (Role.ADMIN, Role.OBSERVER):
        return true()
    tenant: dict[Role, tuple[Any, object]] = {
        Role.TERRITORY: (S.territory_id, principal.territory_id),
        Role.OPERATOR: (S.operator_id, principal.operator_id),
        Role.REGION: (S.region_code, principal.region_code),
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
    """The applications counted (`_base`) for this caller's scope: the same object for the
    same scope, filters and groups, so that the statement built on it is built once
    (`shared.stats.repository`)."""
    tenant = replace(principal, key_id=None, name="")  # what the scope reads of the caller
    listed = None if groups is None else tuple(groups)
    return _base(tenant, filters, grouping, listed)


@lru_cache(maxsize=16)
def _base(
    principal: Principal,
    filters: StatsFilters,
    grouping: Grouping,
    groups: tuple[object, ...] | None,
) -> CTE:
    """The applications counted, one row each with what the figures read: scope, filters
    and (for a page of a list) the groups, all in SQL (their values as bound parameters).

    Two branches: the rows with their zoning facts stored (nearly all), read as columns,
    and those without, looked up live (through the index of the rows without facts), so
    that the planner costs each as what it is. Not materialized: each aggregate reads the
    narrow rows itself, which costs less than copying them once and scanning the copy."""
    group = _GROUPS[grouping]
    # In days, as a float (date_part): numeric arithmetic (extract) costs more per row.
    delay = func.date_part("epoch", S.decided_at - S.submitted_at) / 86400
    branches = []
    for facts in (stored_facts(), live_facts()):
        statement = select(
            S.application_id.label("id"),
            S.project_id,
            S.project_status,
            S.project_shared,
            group.label("grp"),
            S.territory_id.label("territory_id"),
            S.status,
            S.submitted_at,
            S.submitted_month.label("month"),
            func.coalesce(S.requested_amount_cents, 0).label("requested"),
            S.planned_jobs_created.label("jobs_created"),
            S.planned_jobs_maintained.label("jobs_maintained"),
            S.planned_investment_cents.label("investment_total_cents"),
            func.coalesce(S.planned_relocation, false()).label("relocation"),
            *[facts[name].label(name) for name in ("fragile", "extension", "undetermined")],
            facts["vintage_set"].label("vintage_set"),
            facts["vintages"].label("vintages"),
            case((S.decision_kind.in_(DECISIONS), delay)).label("delay_days"),
        ).where(*_selected(principal, filters, facts))
        if grouping is not Grouping.PROGRAMME:
            statement = statement.where(group.is_not(None))
        if groups is not None:
            statement = statement.where(group.in_(groups))
        branches.append(statement)
    return union_all(*branches).cte("b").prefix_with("NOT MATERIALIZED")


def counted_ids(principal: Principal, filters: StatsFilters) -> Select[Any]:
    """The ids of the applications `base` counts (scope and filters), for statements that
    list them (the exports) with the statistics' meaning of every filter."""
    branches = [
        select(S.application_id).where(*_selected(principal, filters, facts))
        for facts in (stored_facts(), live_facts())
    ]
    return select(union_all(*branches).subquery("counted").c.application_id).correlate(None)


def stored_facts() -> dict[str, ColumnElement[Any]]:
    """What the zonings said of the site on the submission day, as stored for this
    submission (`shared.zonings.facts`), for the rows that have them (`stored`)."""
    facts: dict[str, ColumnElement[Any]] = {
        name: getattr(S, name).expression
        for name in zoning_facts.FACT_COLUMNS
        if name != "vintages"
    }
    facts["vintage_set"] = S.vintage_set_id.expression
    facts["vintages"] = null().cast(JSONB)
    facts["stored"] = S.vintage_set_id.is_not(None)
    return facts


def live_facts() -> dict[str, ColumnElement[Any]]:
    """The same facts looked up now, for the rows without stored facts (`stored`)."""
    live = zoning_facts.site_facts(
        S.site_commune_insee, zoning_facts.submission_day(S.submitted_at)
    )
    facts = {name: live[name] for name in zoning_facts.FACT_COLUMNS}
    facts["vintage_set"] = null().cast(BigInteger)
    facts["stored"] = S.vintage_set_id.is_(None)
    return facts


def _selected(
    principal: Principal, filters: StatsFilters, facts: dict[str, ColumnElement[Any]]
) -> list[ColumnElement[bool]]:
    """The rows of one branch (`facts`) in the caller's scope that match the filters."""
    return [facts["stored"], scope(principal), *_conditions(filters, facts)]


def _conditions(
    filters: StatsFilters, facts: dict[str, ColumnElement[Any]]
) -> list[ColumnElement[bool]]:
    fragile = facts["fragile"]
    conditions: list[ColumnElement[bool]] = []
    if filters.submitted_from is not None:
        conditions.append(S.submitted_at >= _midnight(filters.submitted_from, 0))
    if filters.submitted_to is not None:
        conditions.append(S.submitted_at < _midnight(filters.submitted_to, 1))
    if filters.region is not None:
        conditions.append(S.region_code == filters.region)
    if filters.department is not None:
        conditions.append(facts["department_code"] == filters.department)
    if filters.territory_id is not None:
        conditions.append(S.territory_id == filters.territory_id)
    if filters.fund is not None:
        conditions.append(S.fund_id.in_(select(Fund.id).where(Fund.code == filters.fund)))
    if filters.priority is not None:
        conditions.append(S.priorities.contains([filters.priority.value]))
    if filters.nature is not None:
        conditions.append(S.nature == filters.nature.value)
    if filters.status:
        conditions.append(S.status.in_(filters.status))
    if filters.fragile is not None:
        conditions.append(fragile if filters.fragile else ~fragile)
    return conditions


def _midnight(day: date, days: int) -> datetime:
    return datetime.combine(day + timedelta(days=days), time(), tzinfo=UTC)
