"""`tidi migrate` and `tidi seed`: the schema, reference data, territories and zonings."""

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

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

from services.cli.common import console, database_session, embedded_if_needed, fresh_settings
from shared.errors import TidiError
from shared.settings import Settings
from shared.territories.importer import ImportSummary
from shared.zonings.importer import ZoningImportSummary

SummaryT = TypeVar("SummaryT")
seed_app = typer.Typer(help="Load reference data, operators, funds and territories (idempotent).")


def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations (alembic upgrade)."""
    from migrations.commands import upgrade

    settings = fresh_settings()
    servers = embedded_if_needed(settings)
    try:
        upgrade(fresh_settings().database_url(), revision)
        console.print(f"[green]Database migrated to {revision}.[/]")
    finally:
        servers.stop()


@seed_app.callback(invoke_without_command=True)
def seed(
    ctx: typer.Context,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Also the demo territories and zonings (illustrative, unverified)."
        ),
    ] = False,
) -> None:
    """Seed geography, operators, funds and rulesets (idempotent); `--demo` adds demo data."""
    if ctx.invoked_subcommand is not None:
        return
    settings = fresh_settings()
    servers = embedded_if_needed(settings)
    try:
        migrate_and_seed(fresh_settings(), demo=demo)
    finally:
        servers.stop()


@seed_app.command("territories")
def seed_territories(
    file: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="CSV: code,name,region_code,epci_sirens"),
    ],
) -> None:
    """Import territories from a CSV file: every line valid, or nothing imported."""
    from shared.territories.importer import TerritoryImportFailed

    summary = _run_import(file, _import_territories, TerritoryImportFailed)
    console.print(
        f"{file.name}: {summary.created} created, {summary.updated} updated, "
        f"{summary.unchanged} unchanged.",
        style="green",
        markup=False,
    )


@seed_app.command("zonings")
def seed_zonings(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV: kind,commune_insee,code,valid_from,valid_to,vintage,source,scope[,member]",
        ),
    ],
) -> None:
    """Import zonings from a CSV file: every line valid, or nothing imported.

    Each (kind, vintage) list of the file replaces what that vintage said before; `scope`
    (france, departments, communes) says where the list is complete.
    """
    from shared.zonings.importer import ZoningImportFailed

    summary = _run_import(file, _import_zonings, ZoningImportFailed)
    console.print(
        f"{file.name}: {summary.created} list(s) created, {summary.replaced} replaced, "
        f"{summary.unchanged} unchanged; {summary.memberships} membership row(s).",
        style="green",
        markup=False,
        soft_wrap=True,
    )


def _run_import(
    file: Path,
    run: Callable[[Settings, Path], Coroutine[Any, Any, SummaryT]],
    failed: type[TidiError],
) -> SummaryT:
    """Run an all-or-nothing import (on embedded servers if no URL is set); when it fails,
    print each bad line and exit with status 1."""
    servers = embedded_if_needed(fresh_settings())
    try:
        return asyncio.run(run(fresh_settings(), file))
    except failed as failure:
        for error in getattr(failure, "errors", ()):
            console.print(f"{file.name}: {error}", style="red", markup=False, soft_wrap=True)
        console.print(f"[bold red]{failure.detail}[/]")
        raise typer.Exit(1) from None
    finally:
        servers.stop()


def migrate_and_seed(settings: Settings, *, demo: bool) -> None:
    """Migrate to head and seed the reference data; with `demo`, the demo territories and
    zonings too (`tidi seed --demo`, `tidi dev`)."""
    from migrations.commands import upgrade
    from shared.reference.files import AFR_ZONE_A, DEMO_TERRITORIES, DEMO_ZONINGS, data_path

    upgrade(settings.database_url())
    console.print("[green]Database migrated.[/]")
    summary = asyncio.run(_seed_all(settings))
    table = Table(title="Seed summary", show_edge=False)
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("created now", justify="right")
    for name, rows in summary.items():
        table.add_row(name, f"{rows[0]:,}", f"{rows[1]:,}")
    console.print(table)
    afr = asyncio.run(_import_zonings(settings, data_path(AFR_ZONE_A)))
    console.print(f"AFR zone a 2022-2027: {afr.memberships} commune(s).")
    if not demo:
        console.print("No demo data (`tidi seed --demo` loads it).")
        return
    territories = asyncio.run(_import_territories(settings, data_path(DEMO_TERRITORIES)))
    console.print(
        f"Demo territories: {territories.created} created, {territories.updated} updated, "
        f"{territories.unchanged} unchanged."
    )
    zonings = asyncio.run(_import_zonings(settings, data_path(DEMO_ZONINGS)))
    console.print(
        f"Demo zonings: {zonings.created} list(s) created, {zonings.replaced} replaced, "
        f"{zonings.unchanged} unchanged."
    )


async def _seed_all(settings: Settings) -> dict[str, tuple[int, int]]:
    from shared.seeding.service import seed_geography, seed_programme

    async with database_session(settings) as session:
        with _progress() as progress:
            tasks: dict[str, TaskID] = {}

            def advance(step: str, done: int, total: int) -> None:
                if step not in tasks:
                    tasks[step] = progress.add_task(step, total=total)
                progress.update(tasks[step], completed=done)

            geography = await seed_geography(session, advance)
            programme = await seed_programme(session, advance)
        await session.commit()
    return {
        name: (
            geography.present.get(name, 0) + programme.present.get(name, 0),
            geography.created.get(name, 0) + programme.created.get(name, 0),
        )
        for name in [*geography.present, *programme.present]
    }


async def _import_territories(settings: Settings, file: Path) -> ImportSummary:
    from shared.principal import SYSTEM
    from shared.territories.importer import import_territories

    async with database_session(settings) as session:
        summary = await import_territories(session, SYSTEM, file)
        await session.commit()
        return summary


async def _import_zonings(settings: Settings, file: Path) -> ZoningImportSummary:
    from shared.principal import SYSTEM
    from shared.zonings.importer import import_zonings

    async with database_session(settings) as session:
        summary = await import_zonings(session, SYSTEM, file)
        await session.commit()
        return summary


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
