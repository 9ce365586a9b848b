"""Idempotent seed: geography (upserted), operators and funds (created if missing)."""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import FromClause, Table, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.budgets.models import BudgetEnvelope
from shared.eligibility import service as eligibility_service
from shared.eligibility.models import RulesetVersion
from shared.funds.models import Fund
from shared.geography.models import Commune, Department, Epci, Region
from shared.operators.models import Operator
from shared.principal import SYSTEM
from shared.reference.files import AFR_ZONE_A, DEMO_ZONINGS, count_rows, data_path, read_rows
from shared.seeding import programme
from shared.zonings.importer import ZoningImportSummary, import_zonings

Progress = Callable[[str, int, int], None]
"""Called as progress(step, done_in_step, total_in_step)."""

_BATCH = 2_000


@dataclass
class SeedSummary:
    """Rows present per table after the seed, and rows it created."""

    present: dict[str, int] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)


def _none_if_empty(value: str) -> str | None:
    return value or None


def _int_or_none(value: str) -> int | None:
    return int(value) if value else None


GEOGRAPHY: Sequence[tuple[str, type[Any], Callable[[dict[str, str]], dict[str, Any]]]] = (
    (
        "regions.csv",
        Region,
        lambda r: {
            "code": r["code"],
            "name": r["name"],
            "zone": r["zone"],
            "chief_town_insee": _none_if_empty(r["chief_town_insee"]),
        },
    ),
    (
        "departments.csv",
        Department,
        lambda r: {
            "code": r["code"],
            "name": r["name"],
            "region_code": r["region_code"],
            "zone": r["zone"],
            "chief_town_insee": _none_if_empty(r["chief_town_insee"]),
        },
    ),
    (
        "epcis.csv",
        Epci,
        lambda r: {
            "siren": r["siren"],
            "name": r["name"],
            "kind": r["kind"],
            "population": _int_or_none(r["population"]),
            "department_code": _none_if_empty(r["department_code"]),
            "region_code": _none_if_empty(r["region_code"]),
            "member_count": _int_or_none(r["member_count"]),
        },
    ),
    (
        "communes.csv",
        Commune,
        lambda r: {
            "insee_code": r["insee_code"],
            "name": r["name"],
            "department_code": r["department_code"],
            "region_code": r["region_code"],
            "epci_siren": _none_if_empty(r["epci_siren"]),
            "siren": _none_if_empty(r["siren"]),
            "population": _int_or_none(r["population"]),
            "postal_codes": r["postal_codes"].split() if r["postal_codes"] else [],
        },
    ),
)


async def seed_geography(session: AsyncSession, progress: Progress | None = None) -> SeedSummary:
    """Upsert regions, departments, EPCIs and communes from the shipped COG files."""
    summary = SeedSummary()
    for filename, model, convert in GEOGRAPHY:
        path = data_path(filename)
        total = count_rows(path)
        table: Table = model.__table__
        before = await _count(session, table)
        done = 0
        for batch in _batches(convert(row) for _, row in read_rows(path)):
            statement = insert(table).values(batch)
            keys = [c.name for c in table.primary_key.columns]
            statement = statement.on_conflict_do_update(
                index_elements=keys,
                set_={
                    c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys
                },
            )
            await session.execute(statement)
            done += len(batch)
            if progress:
                progress(table.name, done, total)
        after = await _count(session, table)
        summary.present[table.name] = after
        summary.created[table.name] = after - before
    return summary


async def seed_programme(session: AsyncSession, progress: Progress | None = None) -> SeedSummary:
    """Create the national and regional operators, the funds and their shipped rulesets
    that are missing.

    Existing rows are left untouched: an admin's later edits survive a re-seed.
    """
    summary = SeedSummary()
    regions = (await session.execute(select(Region.code, Region.name, Region.zone))).all()
    operators = [*programme.NATIONAL_OPERATORS] + [
        programme.region_operator(code, name)
        for code, name, zone in regions
        if zone in programme.REGIONAL_ZONES
    ]
    summary.created["operators"] = await _insert_missing(
        session, Operator, [{"id": uuid.uuid4(), **o} for o in operators]
    )
    if progress:
        progress("operators", len(operators), len(operators))
    ids: dict[str, uuid.UUID] = {
        row.code: row.id for row in await session.execute(select(Operator.code, Operator.id))
    }
    funds = [
        {
            "id": uuid.uuid4(),
            "operator_id": ids[str(f["operator"])],
            **{k: v for k, v in f.items() if k != "operator"},
        }
        for f in programme.FUNDS
    ]
    summary.created["funds"] = await _insert_missing(session, Fund, funds)
    await _seed_question_schemas(session)
    if progress:
        progress("funds", len(funds), len(funds))
    summary.created["budget_envelopes"] = await _seed_envelopes(session)
    summary.created["ruleset_versions"] = await eligibility_service.seed_rulesets(session)
    for name, table in (
        ("operators", Operator.__table__),
        ("funds", Fund.__table__),
        ("budget_envelopes", BudgetEnvelope.__table__),
        ("ruleset_versions", RulesetVersion.__table__),
    ):
        summary.present[name] = await _count(session, table)
    return summary


async def _seed_question_schemas(session: AsyncSession) -> int:
    """Give each fund without a question schema its shipped one; returns how many changed.

    A schema an admin set is kept; one an admin removed comes back at the next seed.
    """
    unset = or_(Fund.question_schema.is_(None), func.jsonb_typeof(Fund.question_schema) == "null")
    changed = 0
    for fund in programme.FUNDS:
        schema = fund.get("question_schema")
        if schema is None:
            continue
        result = await session.execute(
            update(Fund)
            .where(Fund.code == fund["code"], unset)
            .values(question_schema=schema, version=Fund.version + 1, updated_at=func.now())
            .returning(Fund.id)
            .execution_options(synchronize_session=False)
        )
        changed += len(result.all())
    return changed


async def _seed_envelopes(session: AsyncSession) -> int:
    """The shipped envelopes of the funds that have none yet (an admin's later envelopes
    and figures survive a re-seed)."""
    rows_of_funds = await session.execute(select(Fund.code, Fund.id))
    funds = {row.code: row.id for row in rows_of_funds}
    with_envelopes = set(await session.scalars(select(BudgetEnvelope.fund_id).distinct()))
    rows = [
        {"id": uuid.uuid4(), "fund_id": funds[str(e["fund"])]}
        | {k: v for k, v in e.items() if k != "fund"}
        for e in programme.ENVELOPES
        if funds.get(str(e["fund"])) not in with_envelopes and str(e["fund"]) in funds
    ]
    if rows:
        await session.execute(insert(BudgetEnvelope).values(rows))
    return len(rows)


async def seed_demo_zonings(session: AsyncSession) -> ZoningImportSummary:
    """Import the shipped AFR zone a list and demo zonings; a re-run changes nothing."""
    await import_zonings(session, SYSTEM, data_path(AFR_ZONE_A))
    return await import_zonings(session, SYSTEM, data_path(DEMO_ZONINGS))


async def _insert_missing(
    session: AsyncSession, model: type[Any], rows: list[dict[str, Any]]
) -> int:
    table: Table = model.__table__
    # A multi-row VALUES takes its columns from the first row: give every row every key.
    keys = {key for row in rows for key in row}
    rows = [{key: row.get(key) for key in keys} for row in rows]
    result = await session.execute(
        insert(table)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["code"])
        .returning(table.c.id)
    )
    return len(result.all())


async def _count(session: AsyncSession, table: FromClause) -> int:
    return int(await session.scalar(select(func.count()).select_from(table)) or 0)


def _batches(rows: Iterable[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
