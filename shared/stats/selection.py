"""The applications programme statistics count, as a CTE: the caller's scope and the
filters in its WHERE clause, and per application what the figures read (its group, status,
amounts, the planned figures of its project snapshot, whether its site was in a fragile
zoning on its submission day, its decision delay).

Fragile (domain-sources.md §2): the site's commune is a member of one of `FRAGILE_ZONINGS`
on the submission day (UTC); it is undetermined when not shown fragile and the zoning data
does not cover every fragile kind there; `FRAGILE_EXTENSION_ZONINGS` (PVD) is reported
apart.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    and_,
    any_,
    case,
    cast,
    distinct,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
)

from shared.applications.models import Application
from shared.funds.models import Fund
from shared.geography.models import Commune
from shared.principal import Principal, Role
from shared.stats.filters import Grouping, StatsFilters
from shared.zonings.kinds import FRAGILE_EXTENSION_ZONINGS, FRAGILE_ZONINGS
from shared.zonings.models import CoverageScope, ZoningCoverage, ZoningMembership

A = Application
_SNAPSHOT = A.project_snapshot
_COMMUNE = _SNAPSHOT["site"]["commune_insee"].astext
UTC_ZONE: ColumnElement[str] = literal_column("'UTC'")
_DAY = cast(func.timezone(UTC_ZONE, A.submitted_at), Date)
"""The submission day (UTC): zonings are read at it, as the screening reads them."""
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
    zonings = _site_zonings()
    fragile = zonings.c.fragile
    delay = func.extract("epoch", _decided_at() - A.submitted_at) / 86400
    statement = (
        select(
            A.id,
            A.project_id,
            group.label("grp"),
            A.status,
            A.submitted_at,
            func.coalesce(A.requested_amount_cents, 0).label("requested"),
            _integer("jobs_created"),
            _integer("jobs_maintained"),
            _integer("investment_total_cents"),
            (_SNAPSHOT["relocation"]["flag"].astext == "true").label("relocation"),
            fragile,
            zonings.c.extension,
            # CASE: the coverage is looked at only for the sites not shown fragile.
            case((fragile, false()), else_=_undetermined()).label("undetermined"),
            _COMMUNE.label("commune"),
            Commune.department_code.label("department"),
            _DAY.label("day"),
            case((A.decision["kind"].astext.in_(DECISIONS), delay)).label("delay_days"),
        )
        .select_from(A)
        .outerjoin(Commune, Commune.insee_code == _COMMUNE)
        .join(zonings, true())
        .where(scope(principal), A.submitted_at.is_not(None), *_conditions(filters, fragile))
    )
    if grouping is not Grouping.PROGRAMME:
        statement = statement.where(group.is_not(None))
    if groups is not None:
        statement = statement.where(group.in_(groups))
    return statement.cte("b")


def _conditions(filters: StatsFilters, fragile: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.submitted_from is not None:
        conditions.append(A.submitted_at >= _midnight(filters.submitted_from, 0))
    if filters.submitted_to is not None:
        conditions.append(A.submitted_at < _midnight(filters.submitted_to, 1))
    if filters.region is not None:
        conditions.append(A.region_code == filters.region)
    if filters.department is not None:
        conditions.append(Commune.department_code == filters.department)
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


def _site_zonings() -> Any:
    """Per application, in one look-up of the memberships of its site's commune on its
    submission day: whether it is in a fragile zoning, and in an extension one."""
    m = ZoningMembership
    return (
        select(
            func.coalesce(func.bool_or(m.kind.in_(FRAGILE_ZONINGS)), false()).label("fragile"),
            func.coalesce(func.bool_or(m.kind.in_(FRAGILE_EXTENSION_ZONINGS)), false()).label(
                "extension"
            ),
        )
        .where(
            m.commune_insee == _COMMUNE,
            m.kind.in_((*FRAGILE_ZONINGS, *FRAGILE_EXTENSION_ZONINGS)),
            m.valid_from <= _DAY,
            or_(m.valid_to.is_(None), m.valid_to > _DAY),
        )
        .lateral("site_zonings")
    )


def _undetermined() -> ColumnElement[bool]:
    """The zoning data does not say, for some fragile kind, whether the site is in it: an
    unknown commune, or a kind no coverage holds on the submission day."""
    z = ZoningCoverage
    covered = (
        select(func.count(distinct(z.kind)))
        .where(
            z.kind.in_(FRAGILE_ZONINGS),
            covers(z, _DAY, Commune.insee_code, Commune.department_code),
        )
        .scalar_subquery()
    )
    return or_(Commune.insee_code.is_(None), covered < len(FRAGILE_ZONINGS))


def covers(z: type[ZoningCoverage], day: Any, commune: Any, department: Any) -> ColumnElement[bool]:
    """Coverage `z` holds the commune (of the department) on `day`, as
    `shared.zonings.repository` reads it."""
    return and_(
        z.valid_from <= day,
        or_(z.valid_to.is_(None), z.valid_to > day),
        or_(
            z.scope == CoverageScope.FRANCE,
            and_(z.scope == CoverageScope.DEPARTMENTS, department == any_(z.scope_codes)),
            and_(z.scope == CoverageScope.COMMUNES, commune == any_(z.scope_codes)),
        ),
    )


def _decided_at() -> ColumnElement[Any]:
    return cast(A.decision["decided_at"].astext, DateTime(timezone=True))


def _integer(key: str) -> ColumnElement[int]:
    return cast(_SNAPSHOT[key].astext, BigInteger).label(key)


def _midnight(day: date, days: int) -> datetime:
    return datetime.combine(day + timedelta(days=days), time(), tzinfo=UTC)
