"""The reference seed: geography upserted from the shipped CSV files, programme created once."""

import uuid
from typing import Any

import pytest
from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from migrations.models import Base, BudgetEnvelope, Fund, Operator, Region
from shared.eligibility.rules.rulesets import SHIPPED_RULESETS
from shared.reference.files import count_rows, data_path, read_rows
from shared.seeding import programme
from shared.seeding.service import seed_geography, seed_programme

SEEDED_TABLES = {
    "regions": "code",
    "departments": "code",
    "epcis": "siren",
    "communes": "insee_code",
    "operators": "code",
    "funds": "code",
}
CSV_ROWS = {
    "regions": ("regions.csv", 26),
    "departments": ("departments.csv", 109),
    "epcis": ("epcis.csv", 1_255),
    "communes": ("communes.csv", 34_969),
}
FUND_OPERATORS = {
    "fonds-acceleration": "bpifrance",
    "fonds-friches": "etat",
    "ecoles-de-production": "banque-des-territoires",
    "fonds-vert-ti": "ademe",
    "sites-cles-en-main": "etat",
}
MEUR = 100_000_000


async def _table_contents(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every row of the seeded tables, ordered by their natural key."""
    contents = {}
    for name, key in SEEDED_TABLES.items():
        table: Table = Base.metadata.tables[name]
        rows = await session.execute(select(table).order_by(table.c[key]))
        contents[name] = [tuple(row) for row in rows]
    return contents


async def _ids_by_code(session: AsyncSession, model: type[Operator] | type[Fund]) -> dict[str, Any]:
    return dict((await session.execute(select(model.code, model.id))).all())


async def _count(session: AsyncSession, name: str) -> int:
    table = Base.metadata.tables[name]
    return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _fund(session: AsyncSession, code: str) -> Fund:
    fund = await session.scalar(select(Fund).where(Fund.code == code))
    assert fund is not None, f"fund {code} is missing"
    return fund


class TestSeedIsIdempotent:
    async def test_second_run_leaves_every_row_and_id_unchanged(
        self, session: AsyncSession
    ) -> None:
        # The session fixture ran the first seed; this is the second run.
        before = await _table_contents(session)
        operator_ids = await _ids_by_code(session, Operator)
        fund_ids = await _ids_by_code(session, Fund)

        geography = await seed_geography(session)
        programme_summary = await seed_programme(session)
        await session.commit()

        after = await _table_contents(session)
        for name in SEEDED_TABLES:
            assert after[name] == before[name], f"{name} changed on the second seed"
        assert await _ids_by_code(session, Operator) == operator_ids
        assert await _ids_by_code(session, Fund) == fund_ids
        assert geography.created == dict.fromkeys(CSV_ROWS, 0)
        assert programme_summary.created == {
            "operators": 0,
            "funds": 0,
            "budget_envelopes": 0,
            "ruleset_versions": 0,
        }
        assert geography.present == {name: rows for name, (_, rows) in CSV_ROWS.items()}
        assert programme_summary.present == {
            "operators": len(operator_ids),
            "funds": len(fund_ids),
            "budget_envelopes": 4,
            "ruleset_versions": len(SHIPPED_RULESETS),
        }

    async def test_programme_seed_run_twice_creates_nothing_the_second_time(
        self, session: AsyncSession
    ) -> None:
        await session.execute(delete(BudgetEnvelope))
        await session.execute(delete(Fund))
        await session.execute(delete(Operator))
        first = await seed_programme(session)
        snapshot = await _table_contents(session)
        second = await seed_programme(session)
        await session.commit()

        assert first.created == {
            "operators": 24,
            "funds": 5,
            "budget_envelopes": 4,
            "ruleset_versions": len(SHIPPED_RULESETS),
        }
        assert second.created == {
            "operators": 0,
            "funds": 0,
            "budget_envelopes": 0,
            "ruleset_versions": 0,
        }
        assert await _table_contents(session) == snapshot


class TestSeedRowCounts:
    @pytest.mark.parametrize("table", list(CSV_ROWS))
    async def test_row_count_matches_shipped_csv_file(
        self, session: AsyncSession, table: str
    ) -> None:
        filename, expected = CSV_ROWS[table]
        assert count_rows(data_path(filename)) == expected
        assert await _count(session, table) == expected

    async def test_regions_match_the_csv_file_field_by_field(self, session: AsyncSession) -> None:
        shipped = sorted(
            (row["code"], row["name"], row["zone"], row["chief_town_insee"] or None)
            for _, row in read_rows(data_path("regions.csv"))
        )
        stored = (
            await session.execute(
                select(Region.code, Region.name, Region.zone, Region.chief_town_insee).order_by(
                    Region.code
                )
            )
        ).all()
        assert [tuple(row) for row in stored] == shipped

    async def test_one_operator_per_metropolitan_and_overseas_region_plus_nationals(
        self, session: AsyncSession
    ) -> None:
        regions = (
            await session.scalars(
                select(Region.code).where(Region.zone.in_(programme.REGIONAL_ZONES))
            )
        ).all()
        codes = set((await session.scalars(select(Operator.code))).all())

        assert len(regions) == 18
        assert codes == {o["code"] for o in programme.NATIONAL_OPERATORS} | {
            f"region-{code}" for code in regions
        }
        assert await _count(session, "operators") == 24


class TestProgrammeFunds:
    @pytest.mark.parametrize(("code", "operator_code"), list(FUND_OPERATORS.items()))
    async def test_design_fund_exists_with_its_operator(
        self, session: AsyncSession, code: str, operator_code: str
    ) -> None:
        operator = await session.scalar(
            select(Operator).join(Fund, Fund.operator_id == Operator.id).where(Fund.code == code)
        )
        assert operator is not None, f"fund {code} is missing"
        assert operator.code == operator_code

    async def test_exactly_the_design_funds_are_seeded(self, session: AsyncSession) -> None:
        codes = set((await session.scalars(select(Fund.code))).all())
        assert codes == set(FUND_OPERATORS)

    async def test_acceleration_fund_has_850_meur_envelope_of_which_143_regional(
        self, session: AsyncSession
    ) -> None:
        fund = await _fund(session, "fonds-acceleration")
        assert fund.envelope_cents == 85_000_000_000 == 850 * MEUR
        assert fund.regional_share_cents == 14_300_000_000 == 143 * MEUR
        assert fund.regional_preselection is True


class TestReseedKeepsEdits:
    async def test_fund_edited_after_seeding_is_not_overwritten(
        self, session: AsyncSession
    ) -> None:
        fund = await _fund(session, "fonds-friches")
        fund_id = fund.id
        fund.name = "Fonds friches — édition 2027"
        fund.envelope_cents = 900 * MEUR
        await session.commit()
        await session.refresh(fund)
        edited = (fund.name, fund.envelope_cents, fund.version, fund.updated_at)

        summary = await seed_programme(session)
        await session.commit()

        session.expunge_all()
        reloaded = await _fund(session, "fonds-friches")
        assert summary.created == {
            "operators": 0,
            "funds": 0,
            "budget_envelopes": 0,
            "ruleset_versions": 0,
        }
        assert reloaded.id == fund_id
        assert (
            reloaded.name,
            reloaded.envelope_cents,
            reloaded.version,
            reloaded.updated_at,
        ) == edited
        assert reloaded.version == 2

    async def test_operator_edited_after_seeding_is_not_overwritten(
        self, session: AsyncSession
    ) -> None:
        operator = await session.scalar(select(Operator).where(Operator.code == "bpifrance"))
        assert operator is not None
        operator.website = "https://bpifrance.example"
        await session.commit()

        await seed_programme(session)
        await session.commit()

        session.expunge_all()
        reloaded = await session.scalar(select(Operator).where(Operator.code == "bpifrance"))
        assert reloaded is not None
        assert reloaded.website == "https://bpifrance.example"

    async def test_deleted_fund_is_recreated_and_the_others_keep_their_ids(
        self, session: AsyncSession
    ) -> None:
        before = await _ids_by_code(session, Fund)
        await session.execute(
            delete(BudgetEnvelope).where(BudgetEnvelope.fund_id == before["fonds-vert-ti"])
        )
        await session.execute(delete(Fund).where(Fund.code == "fonds-vert-ti"))
        await session.commit()

        summary = await seed_programme(session)
        await session.commit()

        after = await _ids_by_code(session, Fund)
        assert summary.created == {
            "operators": 0,
            "funds": 1,
            "budget_envelopes": 1,
            "ruleset_versions": len([key for key in SHIPPED_RULESETS if key[0] == "fonds-vert-ti"]),
        }
        assert set(after) == set(before)
        assert isinstance(after["fonds-vert-ti"], uuid.UUID)
        assert after["fonds-vert-ti"] != before["fonds-vert-ti"]
        assert {c: i for c, i in after.items() if c != "fonds-vert-ti"} == {
            c: i for c, i in before.items() if c != "fonds-vert-ti"
        }
