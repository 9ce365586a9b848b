"""`tidi demo generate`: reproducible from a seed, valid identifiers, every state, labelled
as synthetic, refused over a programme that has projects, never in production, never loaded
by `tidi seed` or the compose file."""

import asyncio
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from stdnum.fr import siren, siret
from typer.testing import CliRunner

from services.cli.main import app
from shared.applications.enums import ApplicationStatus
from shared.projects.models import Project
from shared.seeding.demo import repository
from shared.seeding.demo.generate import generate
from shared.seeding.demo.presets import DEMO_PREFIX, SEEDS, national
from shared.seeding.demo.service import DemoRefused, generate_demo
from shared.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parents[2]


async def test_the_same_seed_gives_the_same_rows(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        reference = await repository.read_reference(session)
    preset = national(1_500)

    first = generate(preset, 7, reference)
    again = generate(preset, 7, reference)
    other = generate(preset, 8, reference)

    assert first.tables == again.tables
    assert first.envelope_updates == again.envelope_updates
    assert first.tables["applications"] != other.tables["applications"]


async def test_rows_are_valid_labelled_and_in_every_state(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        reference = await repository.read_reference(session)

    dataset = generate(SEEDS, 2026, reference)

    projects, applications = dataset.tables["projects"], dataset.tables["applications"]
    assert len(applications) == SEEDS.applications
    assert {a["status"] for a in applications} == set(ApplicationStatus)
    assert all(siren.is_valid(p["holder_siren"]) for p in projects)
    assert all(siret.is_valid(p["site"]["siret"]) for p in projects)
    assert all(p["site"]["siret"].startswith(p["holder_siren"]) for p in projects)
    names = [p["title"] for p in projects] + [p["holder"]["name"] for p in projects]
    names += [t["name"] for t in dataset.tables["territories"]]
    names += [s["name"] for s in dataset.tables["sites"]]
    assert all(name.startswith(DEMO_PREFIX) for name in names)
    assert {t["code"][:5] for t in dataset.tables["territories"]} == {"demo-"}
    labelled = [s for s in dataset.tables["sites"] if s["status"] == "labelled"]
    assert len(labelled) == 127


async def test_a_programme_with_projects_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        await generate_demo(session, national(200), 1)
        await session.commit()
    async with sessionmaker() as session:
        with pytest.raises(DemoRefused):
            await generate_demo(session, national(200), 1)
        count = await session.scalar(select(func.count()).select_from(Project))
    assert count == 200


def test_refused_in_production(monkeypatch: pytest.MonkeyPatch, test_settings: Settings) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("DATABASE_URL", test_settings.database_url())
    monkeypatch.setenv("REDIS_URL", test_settings.redis_url())
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-of-enough-length-0123456789")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "generate", "--preset", "national"])
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 1, result.output
    assert "never generated in production" in result.output


async def test_the_command_writes_the_dataset(
    monkeypatch: pytest.MonkeyPatch,
    test_settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    monkeypatch.delenv("ENVIRONMENT", raising=False)
    monkeypatch.setenv("DATABASE_URL", test_settings.database_url())
    get_settings.cache_clear()
    args = ["demo", "generate", "--preset", "national", "--applications", "300", "--seed", "3"]
    try:
        result = await asyncio.to_thread(CliRunner().invoke, app, args)
    finally:
        get_settings.cache_clear()

    assert result.exit_code == 0, result.output
    assert "synthetic" in result.output
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Project)) == 300


def test_seed_and_compose_never_load_demo_data() -> None:
    seeding = [
        ROOT / "services" / "cli" / "seeding.py",
        ROOT / "shared" / "seeding" / "service.py",
        ROOT / "services" / "cli" / "running.py",
    ]
    for path in seeding:
        assert "seeding.demo" not in path.read_text(encoding="utf-8"), path
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    commands = [str(s.get("command", "")) for s in compose["services"].values()]
    assert commands
    assert not any(re.search(r"\bdemo\b", command) for command in commands)
