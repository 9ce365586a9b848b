"""`tidi demo generate`: the synthetic national demo dataset (never in production; `tidi
seed` and the compose file never load it)."""

import asyncio
import os
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from services.cli.common import console, database_session, fresh_settings
from services.cli.embedded import start_embedded
from shared.seeding.demo.presets import SEEDS, Preset, PresetName, national
from shared.settings import Environment, Settings

demo_app = typer.Typer(help="Synthetic demo data (never for production).", no_args_is_help=True)


@demo_app.command("generate")
def generate(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same rows.")] = 2026,
    preset: Annotated[
        PresetName,
        typer.Option(
            help="seeds: the programme's headline figures exactly; national: the same shape "
            "at --applications applications."
        ),
    ] = PresetName.SEEDS,
    applications: Annotated[
        int, typer.Option(min=100, max=2_000_000, help="Applications of the national preset.")
    ] = 100_000,
    database_url: Annotated[
        str | None,
        typer.Option(help="postgresql+asyncpg://… (default: DATABASE_URL, else embedded)."),
    ] = None,
) -> None:
    """Generate the synthetic demo dataset into a migrated, seeded database without projects
    (every name starts with "Démo —"; refused when ENVIRONMENT is production)."""
    if database_url is not None:
        os.environ["DATABASE_URL"] = database_url
    settings = fresh_settings()
    if settings.ENVIRONMENT is Environment.PRODUCTION:
        console.print("[bold red]Refused: demo data is never generated in production.[/]")
        raise typer.Exit(1)
    chosen = SEEDS if preset is PresetName.SEEDS else national(applications)
    servers = None
    if settings.DATABASE_URL is None:  # the embedded PostgreSQL of `tidi dev`
        servers = start_embedded(settings.VAR_DIR, need_database=True, need_redis=False)
    try:
        rows = asyncio.run(_generate(fresh_settings(), chosen, seed))
    finally:
        if servers is not None:
            servers.stop()
    table = Table(title=f"Demo dataset ({chosen.name.value}, seed {seed}): synthetic")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in rows.items():
        table.add_row(name, f"{count:,}")
    console.print(table)


async def _generate(settings: Settings, preset: Preset, seed: int) -> dict[str, int]:
    from shared.errors import TidiError
    from shared.seeding.demo import repository
    from shared.seeding.demo.service import generate_demo

    with _progress() as progress:
        tasks: dict[str, TaskID] = {}

        def advance(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total)
            progress.advance(tasks[step], done)

        async with database_session(settings) as session:
            try:
                summary = await generate_demo(session, preset, seed, progress=advance)
            except TidiError as refused:
                console.print(f"[bold red]{refused.detail}[/]")
                raise typer.Exit(1) from None
            await session.commit()
            await repository.vacuum(session.bind)  # type: ignore[arg-type]
    return summary.rows


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<20}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
