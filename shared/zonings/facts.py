"""Per submitted application, what its site's zonings were on its submission day (UTC):
fragile (FRAGILE_ZONINGS), in an extension zoning (PVD), undetermined (not shown fragile
and some fragile kind has no list covering the site, or an unknown commune), and the lists
read. `site_facts` gives them as SQL over an application row; `refresh` stores them
(`application_zoning_facts`), so that the statistics read them as columns.

They are stored when an application is scored (just after its submission), and again for
every application when a zoning list is imported; the statistics compute them live for an
application that has none for its latest submission (`submitted_at` differs).
"""

import uuid
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Table,
    and_,
    any_,
    bindparam,
    cast,
    distinct,
    func,
    literal_column,
    or_,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Executable

from shared.applications.models import Application
from shared.geography.models import Commune
from shared.zonings.kinds import FRAGILE_EXTENSION_ZONINGS, FRAGILE_ZONINGS
from shared.zonings.models import (
    ApplicationZoningFacts,
    CoverageScope,
    ZoningCoverage,
    ZoningMembership,
    ZoningVintageSet,
)

A = Application
_VINTAGE_SETS: Table = ZoningVintageSet.__table__  # type: ignore[assignment]
_FACTS: Table = ApplicationZoningFacts.__table__  # type: ignore[assignment]
FACT_COLUMNS = ("department_code", "fragile", "extension", "undetermined", "vintages")
_KINDS = (*FRAGILE_ZONINGS, *FRAGILE_EXTENSION_ZONINGS)


def site_commune() -> ColumnElement[str]:
    """The commune of the application's site, as submitted (its project snapshot)."""
    commune: ColumnElement[str] = A.project_snapshot["site"]["commune_insee"].astext
    return commune


def submission_day(submitted_at: Any = A.submitted_at) -> ColumnElement[Any]:
    """The submission day (UTC) of an application (its `submitted_at` column, of
    `applications` unless told): the zonings are read at it, as the screening reads them."""
    return cast(func.timezone(literal_column("'UTC'"), submitted_at), Date)


def site_facts(commune: Any, day: Any) -> dict[str, ColumnElement[Any]]:
    """The facts of a site (`commune` on `day`, columns of the enclosing statement), each a
    correlated scalar subquery (FACT_COLUMNS)."""
    department = (
        select(Commune.department_code)
        .where(Commune.insee_code == commune)
        .correlate_except(Commune)
        .scalar_subquery()
    )
    fragile = _member_of(FRAGILE_ZONINGS, commune, day)
    return {
        "department_code": department,
        "fragile": fragile,
        "extension": _member_of(FRAGILE_EXTENSION_ZONINGS, commune, day),
        "undetermined": and_(~fragile, _uncovered(commune, department, day)),
        "vintages": _vintages(commune, department, day),
    }


def _dated(m: type[ZoningMembership], day: Any) -> ColumnElement[bool]:
    return and_(m.valid_from <= day, or_(m.valid_to.is_(None), m.valid_to > day))


def _member_of(kinds: Sequence[Any], commune: Any, day: Any) -> ColumnElement[bool]:
    m = ZoningMembership
    found = select(m.id).where(m.commune_insee == commune, m.kind.in_(kinds), _dated(m, day))
    return found.correlate_except(m).exists()


def _uncovered(commune: Any, department: Any, day: Any) -> ColumnElement[bool]:
    """An unknown commune, or a fragile kind no list holds on `day`."""
    z = ZoningCoverage
    covered = (
        select(func.count(distinct(z.kind)))
        .where(z.kind.in_(FRAGILE_ZONINGS), covers(z, day, commune, department))
        .correlate_except(z)
        .scalar_subquery()
    )
    return or_(department.is_(None), covered < len(FRAGILE_ZONINGS))


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


def _vintages(commune: Any, department: Any, day: Any) -> ColumnElement[Any]:
    """[kind, vintage] of the lists read, by kind then vintage: the memberships found, and
    the coverages holding a commune of the reference."""
    m, z = ZoningMembership, ZoningCoverage
    members = (
        select(m.kind, m.vintage)
        .where(m.commune_insee == commune, m.kind.in_(_KINDS), _dated(m, day))
        .correlate_except(m)
    )
    held = (
        select(z.kind, z.vintage)
        .where(department.is_not(None), z.kind.in_(_KINDS), covers(z, day, commune, department))
        .correlate_except(z)
    )
    found = union(members, held).subquery("found")
    pair = func.jsonb_build_array(found.c.kind, found.c.vintage)
    ordered = aggregate_order_by(pair, found.c.kind, found.c.vintage)
    listed = func.coalesce(func.jsonb_agg(ordered, type_=JSONB), func.jsonb_build_array())
    return select(listed).scalar_subquery()


async def refresh(session: AsyncSession, application_ids: Sequence[uuid.UUID] | None) -> None:
    """Store (again) the facts of these submitted applications (None: of every one), in two
    statements: the sets of lists not stored yet, then the facts pointing at theirs.

    Two, not one: a set another transaction adds at the same time is skipped by the first
    (ON CONFLICT waits for that transaction), and only a later statement's snapshot sees it.
    """
    chosen = application_ids is not None
    parameters = {"ids": list(application_ids)} if application_ids is not None else {}
    for statement in _statements(chosen):
        await session.execute(statement, parameters)


@lru_cache(maxsize=2)
def _statements(chosen: bool) -> tuple[Executable, Executable]:
    """`refresh`'s two statements, for the applications bound as `ids` (`chosen`) or for
    every one, built once: assembling them (the zonings' subqueries for each fact) costs
    several times what PostgreSQL takes to run them for one application. Core inserts into
    the tables, so that `ids` is a bound parameter, not a row to insert."""
    rows = _computed(chosen)
    s = _VINTAGE_SETS
    sets = (
        insert(s)
        .from_select(["vintages"], select(rows.c.vintages).distinct())
        .on_conflict_do_nothing(index_elements=["vintages"])
    )
    rows = _computed(chosen)
    set_id = select(s.c.id).where(s.c.vintages == rows.c.vintages).scalar_subquery()
    names = ["application_id", "submitted_at", *FACT_COLUMNS[:-1], "vintage_set_id"]
    source = select(*[rows.c[name] for name in ("id", *names[1:-1])], set_id)
    statement = insert(_FACTS).from_select(names, source)
    columns = {name: statement.excluded[name] for name in names[1:]}
    facts = statement.on_conflict_do_update(
        index_elements=["application_id"], set_={**columns, "computed_at": func.now()}
    )
    return sets, facts


def _computed(chosen: bool) -> Any:
    """The facts of the submitted applications bound as `ids` (`chosen`), else of every one,
    as a CTE."""
    facts = site_facts(site_commune(), submission_day())
    computed = select(A.id, A.submitted_at, *[facts[name].label(name) for name in FACT_COLUMNS])
    computed = computed.where(A.submitted_at.is_not(None))
    if chosen:
        computed = computed.where(A.id.in_(bindparam("ids", expanding=True)))
    return computed.cte("computed")
