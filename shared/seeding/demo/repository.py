"""The SQL of the demo: reading the reference once, refusing a database that already has
projects, clearing the previous synthetic zoning lists, and writing the rows in bulk
(Core `insert()` of batches expanded from JSON)."""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Table,
    Text,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from shared.applications.models import Application
from shared.audit.models import AuditEntry
from shared.budgets.models import BudgetEnvelope, Commitment, Payment
from shared.funds.models import Fund
from shared.geography.models import Commune as CommuneModel
from shared.geography.models import Epci as EpciModel
from shared.outcomes.models import Outcome
from shared.projects.models import Project
from shared.seeding.demo.presets import DEMO_VINTAGE
from shared.seeding.demo.reference import Commune, EnvelopeRef, Epci, FundRef, Reference
from shared.sites.models import Site
from shared.stateaid.models import AidGrant
from shared.territories.models import Territory, TerritoryEpci
from shared.zonings.kinds import FRAGILE_ZONINGS
from shared.zonings.models import ZoningCoverage, ZoningMembership

BATCH = 1_000
MODELS: dict[str, type[Any]] = {
    "zoning_coverages": ZoningCoverage,
    "zoning_memberships": ZoningMembership,
    "territories": Territory,
    "territory_epcis": TerritoryEpci,
    "budget_envelopes": BudgetEnvelope,
    "projects": Project,
    "applications": Application,
    "budget_commitments": Commitment,
    "budget_payments": Payment,
    "aid_register": AidGrant,
    "outcomes": Outcome,
    "sites": Site,
    "audit_entries": AuditEntry,
}


async def read_reference(session: AsyncSession) -> Reference:
    """The reference geography, the funds and envelopes, and the communes other zoning
    lists put in a fragile zoning, each in a stable order."""
    epcis = await session.execute(
        select(EpciModel.siren, EpciModel.name, EpciModel.region_code)
        .where(EpciModel.region_code.is_not(None))
        .order_by(EpciModel.siren)
    )
    communes = await session.execute(
        select(
            CommuneModel.insee_code,
            CommuneModel.department_code,
            CommuneModel.region_code,
            CommuneModel.epci_siren,
            CommuneModel.latitude,
            CommuneModel.longitude,
        ).order_by(CommuneModel.insee_code)
    )
    fragile = await session.scalars(
        select(ZoningMembership.commune_insee)
        .where(ZoningMembership.kind.in_(FRAGILE_ZONINGS), ZoningMembership.vintage != DEMO_VINTAGE)
        .distinct()
    )
    return Reference(
        epcis=[Epci(siren, name, region or "") for siren, name, region in epcis],
        communes=[Commune(*row) for row in communes],
        funds=await _funds(session),
        envelopes=await _envelopes(session),
        fragile_elsewhere=frozenset(fragile),
    )


async def _funds(session: AsyncSession) -> dict[str, FundRef]:
    rows = await session.execute(
        select(
            Fund.code,
            Fund.id,
            Fund.name,
            Fund.operator_id,
            Fund.regional_preselection,
            Fund.opens_at,
            Fund.closes_at,
        ).order_by(Fund.code)
    )
    return {
        row.code: FundRef(
            code=row.code,
            id=row.id,
            name=row.name,
            operator_id=row.operator_id,
            regional_preselection=row.regional_preselection,
            opens_on=row.opens_at.date() if row.opens_at else None,
            closes_on=row.closes_at.date() if row.closes_at else None,
        )
        for row in rows
    }


async def _envelopes(session: AsyncSession) -> list[EnvelopeRef]:
    e = BudgetEnvelope
    rows = await session.execute(
        select(e.id, Fund.code, e.financer, e.region_code, e.amount_cents - e.committed_cents)
        .join(Fund, Fund.id == e.fund_id)
        .order_by(Fund.code, e.financer, e.region_code.nulls_first(), e.created_at, e.id)
    )
    return [EnvelopeRef(row[0], row[1], row[2].value, row[3], int(row[4])) for row in rows]


async def has_projects(session: AsyncSession) -> bool:
    """Whether the database holds any project already."""
    return bool(await session.scalar(select(func.count()).select_from(Project).limit(1)))


async def clear_demo_zonings(session: AsyncSession) -> None:
    """Remove the synthetic zoning lists a previous demo wrote (their vintage is the
    demo's alone)."""
    for model in (ZoningMembership, ZoningCoverage):
        await session.execute(delete(model).where(model.vintage == DEMO_VINTAGE))


def _json(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as one JSON array (identifiers, instants and amounts as their text)."""
    return orjson.dumps(list(rows), default=str, option=orjson.OPT_NON_STR_KEYS).decode()


async def insert_rows(
    session: AsyncSession,
    name: str,
    rows: Sequence[dict[str, Any]],
    advance: Callable[[int], None] | None = None,
) -> None:
    """Insert `rows` into table `name`, BATCH rows per statement: each batch is one JSON
    document the database expands into the table's rows (`jsonb_populate_recordset`), so
    a table's statement triggers (the statistics rows of `applications`) run once per
    batch, set-based, where an executemany would run them once per row."""
    if not rows:
        return
    table: Table = MODELS[name].__table__
    names = list(rows[0])
    record: ColumnElement[Any] = literal_column(f"NULL::{table.name}")
    document = cast(bindparam("rows", type_=Text), JSONB)
    expanded = func.jsonb_populate_recordset(record, document)
    source = expanded.table_valued(*names)
    statement = insert(table).from_select(names, select(*[source.c[key] for key in names]))
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        await session.execute(statement, {"rows": _json(batch)})
        if advance is not None:
            advance(len(batch))


async def add_to_envelopes(session: AsyncSession, updates: list[dict[str, Any]]) -> None:
    """Add what the demo's awards hold and paid to the seeded envelopes."""
    if not updates:
        return
    table: Table = BudgetEnvelope.__table__  # type: ignore[assignment]
    statement = (
        update(table)
        .where(table.c.id == bindparam("envelope_id"))
        .values(
            committed_cents=table.c.committed_cents + bindparam("held"),
            paid_cents=table.c.paid_cents + bindparam("paid"),
            updated_at=datetime.now(UTC),
        )
    )
    await session.execute(statement, updates)


_VACUUM = text(
    "VACUUM (ANALYZE) applications, application_statistics, application_zoning_facts, projects, "
    "budget_commitments, budget_payments, outcomes, zoning_memberships, territories, "
    "territory_epcis, sites"
)
"""After a bulk load: fresh planner statistics, and the visibility map the index-only scans
of the statistics read."""


async def vacuum(engine: AsyncEngine) -> None:
    """VACUUM (ANALYZE) the tables the demo filled (outside any transaction)."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(_VACUUM)


async def busiest_region(session: AsyncSession) -> str | None:
    """The region with the most submitted applications."""
    a = Application
    statement = (
        select(a.region_code)
        .where(a.submitted_at.is_not(None), a.region_code.is_not(None))
        .group_by(a.region_code)
        .order_by(func.count().desc(), a.region_code)
        .limit(1)
    )
    return await session.scalar(statement)
