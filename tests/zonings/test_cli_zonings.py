"""`tidi seed zonings FILE.csv` against the test database (never the embedded servers)."""

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from services.cli.main import app
from shared.reference.files import DEMO_ZONINGS, data_path
from shared.settings import Settings, get_settings
from shared.zonings.models import ZoningCoverage, ZoningMembership

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, test_settings: Settings, engine: object
) -> Iterator[Settings]:
    monkeypatch.setenv("DATABASE_URL", test_settings.database_url())
    monkeypatch.setenv("REDIS_URL", test_settings.redis_url())
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    for name in ("API_HOST", "API_PORT", "ENVIRONMENT", "SECRET_KEY", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield test_settings
    get_settings.cache_clear()


async def tidi(*args: str) -> Result:
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


def lines(output: str) -> list[str]:
    return [line.rstrip() for line in ANSI.sub("", output).splitlines()]


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.usefixtures("cli_env")
class TestSeedZonings:
    async def test_demo_file_imports_then_reports_its_lists_unchanged(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        demo = str(data_path(DEMO_ZONINGS))

        first = await tidi("seed", "zonings", demo)
        second = await tidi("seed", "zonings", demo)

        assert first.exit_code == 0, first.output
        assert (
            f"{DEMO_ZONINGS}: 6 list(s) created, 0 replaced, 0 unchanged; 14 membership row(s)."
        ) in lines(first.stderr)
        assert second.exit_code == 0, second.output
        assert (
            f"{DEMO_ZONINGS}: 0 list(s) created, 0 replaced, 6 unchanged; 14 membership row(s)."
        ) in lines(second.stderr)
        assert await count(sessionmaker, ZoningCoverage) == 6

    async def test_bad_file_exits_1_names_each_bad_line_and_imports_nothing(
        self, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "kind,commune_insee,code,valid_from,valid_to,vintage,source,scope\n"
            "QPV,56121,,2024-01-01,,qpv-2024,décret,france\n"
            "QPV,56121,,2024-01-01,,qpv 2024,décret,france\n"
            "AFR,[/red],,2022-01-01,,afr,,france\n",
            encoding="utf-8",
        )

        result = await tidi("seed", "zonings", str(bad))

        assert result.exit_code == 1, result.output
        errors = [line for line in lines(result.stderr) if line.startswith("bad.csv: line ")]
        assert errors == [
            "bad.csv: line 3: vintage 'qpv 2024' is not a label of 1–64 letters, digits, ._-",
            "bad.csv: line 4: kind 'AFR' is not one of TI, QPV, FRR, FRR_PLUS, AFR_A, AFR_C, "
            "ACV, PVD",
            "bad.csv: line 4: source is empty",
        ]
        assert "2 invalid line(s); nothing imported" in lines(result.stderr)
        assert await count(sessionmaker, ZoningMembership) == 0
