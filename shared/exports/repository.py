"""The SQL of the exports: the applications the statistics count (the caller's records,
submitted at least once, matching the statistics filters), their projects, and the awards
published as open data, each a statement read through a server-side cursor.

Each export is a list of (column, expression) pairs: the file's columns and the SQL that
fills them stay side by side, in the same order.
"""

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    Select,
    cast,
    func,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncResult, AsyncSession

from shared.applications import repository as applications_repository
from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.budgets.models import Payment
from shared.exports.schemas import Column, Kind
from shared.funds.models import Fund
from shared.geography.models import Commune
from shared.operators.models import Operator
from shared.principal import Principal
from shared.projects import repository as projects_repository
from shared.projects.models import Project
from shared.stats import selection
from shared.stats.filters import StatsFilters
from shared.territories.models import Territory

A = Application
_SNAPSHOT = A.project_snapshot
_COMMUNE = _SNAPSHOT["site"]["commune_insee"].astext
BATCH_ROWS = 1_000
"""Rows fetched per round trip of the server-side cursor."""

Fields = Sequence[tuple[Column, Any]]
"""(column, SQL expression) pairs."""


def _snapshot_int(key: str) -> ColumnElement[int]:
    return cast(_SNAPSHOT[key].astext, BigInteger)


def _snapshot_priorities() -> ColumnElement[str]:
    elements = func.jsonb_array_elements_text(_SNAPSHOT["priorities"]).table_valued("value")
    return select(func.string_agg(elements.c.value, ";")).scalar_subquery()


_PAID = (
    select(cast(func.coalesce(func.sum(Payment.amount_cents), 0), BigInteger))
    .where(Payment.application_id == A.id)
    .scalar_subquery()
)

APPLICATION_FIELDS: Fields = (
    (Column("id"), A.id),
    (Column("fund"), Fund.code),
    (Column("status"), A.status),
    (Column("territory"), Territory.code),
    (Column("region"), A.region_code),
    (Column("department"), Commune.department_code),
    (Column("commune_insee"), _COMMUNE),
    (Column("project_id"), A.project_id),
    (Column("title"), _SNAPSHOT["title"].astext),
    (Column("applicant_siren"), A.applicant_siren),
    (Column("holder_name"), _SNAPSHOT["holder"]["name"].astext),
    (Column("nature"), _SNAPSHOT["nature"].astext),
    (Column("priorities"), _snapshot_priorities()),
    (Column("submitted_at", Kind.DATETIME), A.submitted_at),
    (Column("requested_eur", Kind.EUROS), A.requested_amount_cents),
    (Column("eligible_expense_base_eur", Kind.EUROS), A.eligible_expense_base_cents),
    (Column("aid_form"), A.aid_form),
    (Column("decision"), A.decision["kind"].astext),
    (
        Column("decided_at", Kind.DATETIME),
        cast(A.decision["decided_at"].astext, DateTime(timezone=True)),
    ),
    (Column("awarded_eur", Kind.EUROS), A.awarded_cents),
    (Column("paid_eur", Kind.EUROS), _PAID),
    (Column("agreement_signed_on", Kind.DATE), cast(A.agreement["signed_on"].astext, Date)),
    (Column("agreement_reference"), A.agreement["reference"].astext),
    (Column("jobs_created", Kind.INTEGER), _snapshot_int("jobs_created")),
    (Column("jobs_maintained", Kind.INTEGER), _snapshot_int("jobs_maintained")),
    (Column("investment_eur", Kind.EUROS), _snapshot_int("investment_total_cents")),
    (Column("updated_at", Kind.DATETIME), A.updated_at),
)
"""An application as submitted (its project snapshot), with its decision and money."""


def counted(principal: Principal, filters: StatsFilters) -> list[ColumnElement[bool]]:
    """The applications exported: those the caller may read (as the applications list
    scopes them) that the statistics count with the same filters (`shared.stats`)."""
    scope = applications_repository.readable(principal).whereclause
    return [
        scope if scope is not None else true(),
        A.id.in_(selection.counted_ids(principal, filters)),
    ]


def applications(principal: Principal, filters: StatsFilters) -> Select[Any]:
    """The exported applications, by submission instant then id."""
    return (
        select(*(expression for _, expression in APPLICATION_FIELDS))
        .select_from(A)
        .join(Fund, Fund.id == A.fund_id)
        .outerjoin(Territory, Territory.id == A.territory_id)
        .outerjoin(Commune, Commune.insee_code == _COMMUNE)
        .where(*counted(principal, filters))
        .order_by(A.submitted_at, A.id)
    )


def _per_project(principal: Principal, filters: StatsFilters) -> Any:
    return (
        select(
            A.project_id,
            func.count().label("applications"),
            cast(func.coalesce(func.sum(A.requested_amount_cents), 0), BigInteger).label(
                "requested"
            ),
            cast(func.coalesce(func.sum(A.awarded_cents), 0), BigInteger).label("awarded"),
        )
        .where(*counted(principal, filters))
        .group_by(A.project_id)
        .subquery("counted")
    )


P = Project


def project_fields(counted_: Any) -> Fields:
    """A project (its current record) with the applications of it that are exported."""
    return (
        (Column("id"), P.id),
        (Column("status"), P.status),
        (Column("title"), P.title),
        (Column("territory"), Territory.code),
        (Column("region"), P.site_region_code),
        (Column("commune_insee"), P.site["commune_insee"].astext),
        (Column("site_siret"), P.site["siret"].astext),
        (Column("holder_siren"), P.holder_siren),
        (Column("holder_name"), P.holder["name"].astext),
        (Column("nature"), P.nature),
        (Column("priorities"), func.array_to_string(P.priorities, ";")),
        (Column("investment_eur", Kind.EUROS), P.investment_total_cents),
        (Column("jobs_created", Kind.INTEGER), P.jobs_created),
        (Column("jobs_maintained", Kind.INTEGER), P.jobs_maintained),
        (Column("relocation"), P.relocation["flag"].astext),
        (Column("planned_start", Kind.DATE), P.planned_start),
        (Column("planned_end", Kind.DATE), P.planned_end),
        (Column("submitted_at", Kind.DATETIME), P.submitted_at),
        (Column("applications", Kind.INTEGER), counted_.c.applications),
        (Column("requested_eur", Kind.EUROS), counted_.c.requested),
        (Column("awarded_eur", Kind.EUROS), counted_.c.awarded),
        (Column("updated_at", Kind.DATETIME), P.updated_at),
    )


def projects(principal: Principal, filters: StatsFilters) -> tuple[Fields, Select[Any]]:
    """The projects of the exported applications (each once, by creation), and their
    columns."""
    counted_ = _per_project(principal, filters)
    fields = project_fields(counted_)
    readable = projects_repository.readable(
        principal, operator_projects=applications_repository.projects_shown_to(principal)
    ).whereclause
    statement = (
        select(*(expression for _, expression in fields))
        .select_from(P)
        .join(counted_, counted_.c.project_id == P.id)
        .outerjoin(Territory, Territory.id == P.territory_id)
        .where(readable if readable is not None else true())
        .order_by(P.created_at, P.id)
    )
    return fields, statement


PUBLISHED_STATUSES = (
    ApplicationStatus.AGREEMENT_SIGNED,
    ApplicationStatus.FUNDED,
    ApplicationStatus.CLOSED,
)
"""Awards in force whose agreement (convention) is signed."""


def awards(
    principal: Principal, filters: StatsFilters, *, operator_code: str, above_cents: int
) -> Select[Any]:
    """The subsidies in force of `operator_code`'s funds above `above_cents`, with their
    signed agreement, the beneficiary as submitted and their payments (by signature date)."""
    payments = (
        select(
            Payment.application_id,
            func.count().label("count"),
            func.min(Payment.paid_on).label("first"),
            func.max(Payment.paid_on).label("last"),
            cast(func.sum(Payment.amount_cents), BigInteger).label("paid"),
        )
        .group_by(Payment.application_id)
        .subquery("payments")
    )
    signed_on = cast(A.agreement["signed_on"].astext, Date)
    return (
        select(
            A.id.label("application_id"),
            Operator.name.label("operator_name"),
            Fund.name.label("fund_name"),
            signed_on.label("signed_on"),
            _SNAPSHOT["holder"]["name"].astext.label("holder_name"),
            A.applicant_siren.label("holder_siren"),
            _SNAPSHOT["site"]["siret"].astext.label("site_siret"),
            _SNAPSHOT["title"].astext.label("title"),
            cast(_SNAPSHOT["planned_end"].astext, Date).label("planned_end"),
            A.awarded_cents.label("awarded_cents"),
            A.decision["regime"].astext.label("regime"),
            func.coalesce(payments.c.count, 0).label("payments"),
            payments.c.first.label("first_paid_on"),
            payments.c.last.label("last_paid_on"),
            func.coalesce(payments.c.paid, 0).label("paid_cents"),
        )
        .select_from(A)
        .join(Fund, Fund.id == A.fund_id)
        .join(Operator, Operator.id == A.operator_id)
        .outerjoin(payments, payments.c.application_id == A.id)
        .where(
            *counted(principal, filters),
            Operator.code == operator_code,
            A.status.in_(PUBLISHED_STATUSES),
            A.decision["kind"].astext == "approved",
            A.decision["aid_form"].astext == "subsidy",
            A.awarded_cents > above_cents,
            A.agreement["signed_on"].is_not(None),
        )
        .order_by(signed_on, A.id)
    )


async def open_stream(session: AsyncSession, statement: Select[Any]) -> AsyncResult[Any]:
    """The statement executed through a server-side cursor, `BATCH_ROWS` per round trip."""
    result: AsyncResult[Any] = await session.stream(
        statement.execution_options(yield_per=BATCH_ROWS)
    )
    return result


async def rows(result: AsyncResult[Any]) -> AsyncIterator[Any]:
    """The rows of `result` (named tuples), the cursor closed after."""
    try:
        async for partition in result.partitions():
            for row in partition:
                yield row
    finally:
        await result.close()
