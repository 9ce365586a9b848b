"""CSV import of territories: every line valid, or nothing imported."""

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.audit.models import AuditEntry
from shared.principal import SYSTEM
from shared.reference.files import DEMO_TERRITORIES, data_path, read_rows
from shared.territories import repository
from shared.territories.importer import (
    ImportSummary,
    LineError,
    TerritoryImportFailed,
    import_territories,
)
from shared.territories.models import Territory, TerritoryEpci
from tests.fixtures.builders import ALBI_EPCI, PONTIVY_EPCI

HEADER = "code,name,region_code,epci_sirens"
GOOD_LINES = (
    f"ti-pontivy,Pontivy,53,{PONTIVY_EPCI}",
    f"ti-albi,Albi,76,{ALBI_EPCI}",
)
COMMUNE_SIREN = "210100012"  # a valid SIREN (L'Abergement-Clémenciat), not an EPCI


def write_csv(tmp_path: Path, *lines: str, name: str = "territories.csv") -> Path:
    path = tmp_path / name
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def import_file(sessionmaker: async_sessionmaker[AsyncSession], path: Path) -> ImportSummary:
    """Import in its own transaction, committed like the CLI does."""
    async with sessionmaker() as session:
        summary = await import_territories(session, SYSTEM, path)
        await session.commit()
        return summary


async def territory(sessionmaker: async_sessionmaker[AsyncSession], code: str) -> Territory:
    async with sessionmaker() as session:
        found = await repository.get_by_code(session, code)
        assert found is not None, f"territory {code} is missing"
        return found


class TestImportDemoFile:
    async def test_first_import_creates_the_eight_demo_territories(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        path = data_path(DEMO_TERRITORIES)

        summary = await import_file(sessionmaker, path)

        assert summary == ImportSummary(created=8, updated=0, unchanged=0)
        expected = {row["code"]: row for _, row in read_rows(path)}
        async with sessionmaker() as session:
            stored = (await session.scalars(repository.list_statement(region=None, q=None))).all()
            actions = (await session.scalars(select(AuditEntry.action))).all()
        assert {t.code for t in stored} == {f"demo-0{i}" for i in range(1, 9)}
        for t in stored:
            assert (t.name, t.region_code, t.epci_sirens) == (
                expected[t.code]["name"],
                expected[t.code]["region_code"],
                expected[t.code]["epci_sirens"].split(),
            )
        assert actions == ["territory.imported"] * 8

    async def test_second_import_changes_nothing(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        path = data_path(DEMO_TERRITORIES)
        await import_file(sessionmaker, path)
        async with sessionmaker() as session:
            before = (
                await session.execute(
                    select(Territory.id, Territory.code, Territory.version, Territory.updated_at)
                )
            ).all()

        summary = await import_file(sessionmaker, path)

        assert summary == ImportSummary(created=0, updated=0, unchanged=8)
        async with sessionmaker() as session:
            after = (
                await session.execute(
                    select(Territory.id, Territory.code, Territory.version, Territory.updated_at)
                )
            ).all()
        assert sorted(after) == sorted(before)
        assert await count(sessionmaker, AuditEntry) == 8


BAD_FILES = [
    pytest.param(
        (HEADER, *GOOD_LINES, "ti-bad,Bad checksum,53,245614434"),
        [(4, "invalid SIREN '245614434'")],
        id="invalid-siren-checksum",
    ),
    pytest.param(
        (HEADER, GOOD_LINES[0], f"ti-bad,Unknown region,99,{PONTIVY_EPCI}", GOOD_LINES[1]),
        [(3, "unknown region code '99'")],
        id="unknown-region",
    ),
    pytest.param(
        (HEADER, *GOOD_LINES, f"ti-bad,Not an EPCI,84,{COMMUNE_SIREN}"),
        [(4, f"unknown EPCI SIREN {COMMUNE_SIREN}")],
        id="unknown-epci",
    ),
    pytest.param(
        (HEADER, *GOOD_LINES, f"ti-pontivy,Pontivy again,53,{PONTIVY_EPCI}"),
        [(4, "code 'ti-pontivy' already on line 2")],
        id="duplicate-code",
    ),
    pytest.param(
        ("code,name,region_code", "ti-pontivy,Pontivy,53", "ti-albi,Albi,76"),
        [(1, "missing column(s): epci_sirens")],
        id="missing-column",
    ),
    pytest.param((), [(1, "the file has no data lines")], id="empty-file"),
    pytest.param((HEADER,), [(1, "the file has no data lines")], id="header-only"),
    pytest.param(
        (HEADER, *GOOD_LINES, "ti-bad,No EPCI,53,"),
        [(4, "epci_sirens is empty")],
        id="no-epci",
    ),
    pytest.param(
        (HEADER, *GOOD_LINES, f"Ti_Bad,Not a slug,53,{PONTIVY_EPCI}"),
        [(4, "code 'Ti_Bad' is not a lower-case slug")],
        id="code-not-a-slug",
    ),
    pytest.param(
        (HEADER, *GOOD_LINES, f"ti-long,{'x' * 201},53,{PONTIVY_EPCI}"),
        [(4, "name is longer than 200 characters")],
        id="name-too-long",
    ),
    pytest.param(
        (HEADER, *GOOD_LINES, f"{'a' * 65},Long code,53,{PONTIVY_EPCI}"),
        [(4, "code is longer than 64 characters")],
        id="code-too-long",
    ),
]


class TestImportRejectsBadFiles:
    @pytest.mark.parametrize(("lines", "expected"), BAD_FILES)
    async def test_one_bad_line_imports_nothing_and_names_the_line(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        tmp_path: Path,
        lines: tuple[str, ...],
        expected: list[tuple[int, str]],
    ) -> None:
        path = write_csv(tmp_path, *lines)
        territories_before = await count(sessionmaker, Territory)
        audit_before = await count(sessionmaker, AuditEntry)

        with pytest.raises(TerritoryImportFailed) as failure:
            await import_file(sessionmaker, path)

        errors = failure.value.errors
        assert [e.line for e in errors] == [line for line, _ in expected]
        for error, (line, fragment) in zip(errors, expected, strict=True):
            assert fragment in error.message
            assert str(error).startswith(f"line {line}: ")
        assert failure.value.extensions["lines"] == [
            {"line": e.line, "message": e.message} for e in errors
        ]
        assert await count(sessionmaker, Territory) == territories_before
        assert await count(sessionmaker, TerritoryEpci) == 0
        assert await count(sessionmaker, AuditEntry) == audit_before

    async def test_every_bad_line_is_reported_in_line_order(
        self, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        path = write_csv(
            tmp_path,
            HEADER,
            f"ti-a,Unknown region,99,{PONTIVY_EPCI}",
            GOOD_LINES[0],
            "ti-b,Bad checksum,53,245614434",
            f"ti-c,Not an EPCI,53,{COMMUNE_SIREN}",
        )

        with pytest.raises(TerritoryImportFailed) as failure:
            await import_file(sessionmaker, path)

        assert [e.line for e in failure.value.errors] == [2, 4, 5]
        assert failure.value.detail == "3 invalid line(s); nothing imported"
        assert await count(sessionmaker, Territory) == 0

    async def test_a_line_with_several_problems_counts_once(
        self, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path, HEADER, "Not A Slug,Two problems,53,", GOOD_LINES[0])

        with pytest.raises(TerritoryImportFailed) as failure:
            await import_file(sessionmaker, path)

        assert [e.line for e in failure.value.errors] == [2, 2]
        assert failure.value.detail == "1 invalid line(s); nothing imported"

    async def test_bad_file_leaves_existing_territories_untouched(
        self, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        await import_file(sessionmaker, write_csv(tmp_path, HEADER, *GOOD_LINES))
        renamed = "ti-pontivy,Pontivy renamed,53," + PONTIVY_EPCI
        path = write_csv(
            tmp_path, HEADER, renamed, "ti-bad,Bad checksum,53,245614434", name="second.csv"
        )

        with pytest.raises(TerritoryImportFailed):
            await import_file(sessionmaker, path)

        assert (await territory(sessionmaker, "ti-pontivy")).name == "Pontivy"
        assert await count(sessionmaker, Territory) == 2
        assert await count(sessionmaker, AuditEntry) == 2

    async def test_line_error_reads_as_line_number_then_message(self) -> None:
        assert str(LineError(7, "unknown region code '99'")) == "line 7: unknown region code '99'"


class TestReimport:
    async def test_changed_name_updates_the_row_and_writes_an_audit_entry(
        self, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        await import_file(sessionmaker, data_path(DEMO_TERRITORIES))
        original = await territory(sessionmaker, "demo-01")
        lines = [
            f"{row['code']},{row['name']},{row['region_code']},{row['epci_sirens']}"
            for _, row in read_rows(data_path(DEMO_TERRITORIES))
        ]
        lines[0] = f"demo-01,Pontivy — Centre Bretagne,53,{PONTIVY_EPCI}"
        path = write_csv(tmp_path, HEADER, *lines, name="renamed.csv")

        summary = await import_file(sessionmaker, path)

        assert summary == ImportSummary(created=0, updated=1, unchanged=7)
        updated = await territory(sessionmaker, "demo-01")
        assert updated.id == original.id
        assert updated.name == "Pontivy — Centre Bretagne"
        assert updated.epci_sirens == [PONTIVY_EPCI]
        assert updated.version == original.version + 1
        async with sessionmaker() as session:
            entry = await session.scalar(
                select(AuditEntry).where(AuditEntry.action == "territory.reimported")
            )
        assert entry is not None
        assert entry.subject_type == "territory"
        assert entry.subject_id == str(original.id)
        assert entry.changes == {
            "code": "demo-01",
            "name": "Pontivy — Centre Bretagne",
            "epci_sirens": [PONTIVY_EPCI],
        }
        assert entry.reason == "import of renamed.csv"
        assert entry.actor_role == "system"  # a command-line import
        assert await count(sessionmaker, AuditEntry) == 9

    async def test_changed_epcis_replace_the_membership(
        self, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        await import_file(sessionmaker, write_csv(tmp_path, HEADER, *GOOD_LINES))
        path = write_csv(
            tmp_path,
            HEADER,
            f"ti-pontivy,Pontivy,53,{ALBI_EPCI} {PONTIVY_EPCI}",
            f"ti-albi,Albi,76,{PONTIVY_EPCI}",
            name="epcis.csv",
        )

        summary = await import_file(sessionmaker, path)

        assert summary == ImportSummary(created=0, updated=2, unchanged=0)
        pontivy = await territory(sessionmaker, "ti-pontivy")
        albi = await territory(sessionmaker, "ti-albi")
        assert pontivy.epci_sirens == sorted([ALBI_EPCI, PONTIVY_EPCI])
        assert albi.epci_sirens == [PONTIVY_EPCI]
        assert await count(sessionmaker, TerritoryEpci) == 3
