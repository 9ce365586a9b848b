"""The `tidi` command line against the test database and Redis (never the embedded servers)."""

import asyncio
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner, Result

from services.cli.main import app
from shared.auth import service as auth_service
from shared.auth.models import ApiKey
from shared.funds.models import Fund
from shared.principal import Role
from shared.reference.files import DEMO_TERRITORIES, data_path
from shared.settings import Settings, get_settings
from shared.territories.models import Territory
from shared.zonings.models import ZoningCoverage
from tests.fixtures.builders import ALBI_EPCI, PONTIVY_EPCI

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
KEY = re.compile(r"^tidi_[A-Za-z0-9_-]{43}$")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, test_settings: Settings, engine: object
) -> Iterator[Settings]:
    """Point the CLI at the test database and Redis; nothing survives the test."""
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
    """Run `tidi ARGS` in a thread: the commands call asyncio.run themselves."""
    return await asyncio.to_thread(CliRunner().invoke, app, list(args))


def lines(output: str) -> list[str]:
    return [line.rstrip() for line in ANSI.sub("", output).splitlines()]


async def count(sessionmaker: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.usefixtures("cli_env")
class TestSeedTerritories:
    async def test_bad_file_exits_1_prints_each_line_error_and_imports_nothing(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        tmp_path: Path,
    ) -> None:
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "code,name,region_code,epci_sirens\n"
            f"ti-pontivy,Pontivy,53,{PONTIVY_EPCI}\n"
            "ti-checksum,Bad checksum,53,245614434\n"
            f"ti-albi,Albi,76,{ALBI_EPCI}\n"
            f"ti-region,Unknown region,99,{PONTIVY_EPCI}\n",
            encoding="utf-8",
        )

        result = await tidi("seed", "territories", str(bad))

        assert result.exit_code == 1, result.output
        errors = [line for line in lines(result.stderr) if line.startswith("bad.csv: line ")]
        assert len(errors) == 2
        assert errors[0] == (
            "bad.csv: line 3: invalid SIREN '245614434': "
            "The number's checksum or check digit is invalid."
        )
        assert errors[1] == "bad.csv: line 5: unknown region code '99'"
        assert "2 invalid line(s); nothing imported" in lines(result.stderr)
        assert result.stdout == ""
        assert await count(sessionmaker, Territory) == 0

    async def test_markup_like_text_from_the_file_is_printed_literally(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        tmp_path: Path,
    ) -> None:
        bad = tmp_path / "markup.csv"
        bad.write_text(
            f"code,name,region_code,epci_sirens\n[/red],Markup,53,{PONTIVY_EPCI}\n",
            encoding="utf-8",
        )

        result = await tidi("seed", "territories", str(bad))

        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "markup.csv: line 2: code '[/red]' is not a lower-case slug" in lines(result.stderr)
        assert await count(sessionmaker, Territory) == 0

    async def test_empty_file_exits_1_naming_line_1(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        tmp_path: Path,
    ) -> None:
        empty = tmp_path / "empty.csv"
        empty.write_text("", encoding="utf-8")

        result = await tidi("seed", "territories", str(empty))

        assert result.exit_code == 1, result.output
        assert "empty.csv: line 1: the file has no data lines" in lines(result.stderr)
        assert await count(sessionmaker, Territory) == 0

    async def test_demo_file_imports_eight_then_reports_them_unchanged(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        demo = str(data_path(DEMO_TERRITORIES))

        first = await tidi("seed", "territories", demo)
        second = await tidi("seed", "territories", demo)

        assert first.exit_code == 0, first.output
        assert f"{DEMO_TERRITORIES}: 8 created, 0 updated, 0 unchanged." in lines(first.stderr)
        assert second.exit_code == 0, second.output
        assert f"{DEMO_TERRITORIES}: 0 created, 0 updated, 8 unchanged." in lines(second.stderr)
        assert await count(sessionmaker, Territory) == 8

    async def test_missing_file_is_a_usage_error(
        self, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
    ) -> None:
        result = await tidi("seed", "territories", str(tmp_path / "nowhere.csv"))

        assert result.exit_code == 2
        assert await count(sessionmaker, Territory) == 0


@pytest.mark.usefixtures("cli_env")
class TestKeysCreate:
    async def test_admin_key_is_printed_once_and_authenticates(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        result = await tidi("keys", "create", "--name", "x", "--role", "admin")

        assert result.exit_code == 0, result.output
        secret = result.stdout.strip()
        assert KEY.match(secret), result.stdout
        assert secret not in result.stderr
        async with sessionmaker() as session:
            principal = await auth_service.authenticate(
                session, secret, touch_interval=timedelta(0)
            )
            await session.commit()
        assert principal.role is Role.ADMIN
        assert principal.name == "x"
        assert principal.key_id is not None

    async def test_each_invocation_creates_a_distinct_key(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        first = await tidi("keys", "create", "--name", "one")
        second = await tidi("keys", "create", "--name", "two", "--role", "observer")

        assert first.exit_code == second.exit_code == 0
        assert first.stdout.strip() != second.stdout.strip()
        async with sessionmaker() as session:
            roles = dict((await session.execute(select(ApiKey.name, ApiKey.role))).all())
        assert roles == {"one": Role.ADMIN, "two": Role.OBSERVER}

    async def test_operator_key_for_unknown_operator_is_refused_and_not_created(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        result = await tidi(
            "keys", "create", "--name", "op", "--role", "operator", "--operator", "nobody"
        )

        assert result.exit_code == 2
        assert "no operator with code 'nobody'" in " ".join(lines(result.output))
        assert await count(sessionmaker, ApiKey) == 0

    async def test_a_region_key_is_bound_to_its_region(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        result = await tidi("keys", "create", "--name", "bzh", "--role", "region", "--region", "53")

        assert result.exit_code == 0, result.output
        async with sessionmaker() as session:
            key = await session.scalar(select(ApiKey).where(ApiKey.name == "bzh"))
        assert key is not None
        assert (key.role, key.region_code) == (Role.REGION, "53")


@pytest.mark.usefixtures("cli_env")
class TestMigrate:
    async def test_migrate_on_an_already_migrated_database_succeeds_and_changes_nothing(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessionmaker() as session:
            before = (await session.scalars(text("SELECT version_num FROM alembic_version"))).all()

        result = await tidi("migrate")

        assert result.exit_code == 0, result.output
        assert "Database migrated to head." in lines(result.stderr)
        async with sessionmaker() as session:
            after = (await session.scalars(text("SELECT version_num FROM alembic_version"))).all()
            regions = await session.scalar(text("SELECT count(*) FROM regions"))
        assert after == before
        assert len(after) == 1
        assert regions == 26


@pytest.mark.usefixtures("cli_env")
class TestSeedDemoOnlyOnRequest:
    async def test_seed_loads_reference_data_and_no_demo_then_demo_on_request(
        self, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        plain = await tidi("seed")

        assert plain.exit_code == 0, plain.output
        assert "No demo data (`tidi seed --demo` loads it)." in lines(plain.stderr)
        assert await count(sessionmaker, Territory) == 0
        assert await count(sessionmaker, ZoningCoverage) == 1  # AFR zone a: real, not a demo
        assert "AFR zone a 2022-2027: 129 commune(s)." in lines(plain.stderr)
        assert await count(sessionmaker, Fund) > 0

        demo = await tidi("seed", "--demo")

        assert demo.exit_code == 0, demo.output
        assert "Demo territories: 8 created, 0 updated, 0 unchanged." in lines(demo.stderr)
        assert await count(sessionmaker, Territory) == 8
        assert await count(sessionmaker, ZoningCoverage) == 7


class TestComposeFile:
    def test_no_service_loads_demo_data_and_each_worker_checks_its_own_health(self) -> None:
        compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
        services = compose["services"]

        commands = [" ".join(map(str, s.get("command") or [])) for s in services.values()]
        assert not [c for c in commands if "--demo" in c]
        assert "tidi seed" in " ".join(services["migrate"]["command"])
        assert services["worker"]["healthcheck"]["test"] == ["CMD", "tidi", "worker", "--check"]
