"""`tidi`: run the service (embedded or configured), migrate, seed, manage keys."""

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from services.cli.embedded import EmbeddedServers, start_embedded
from shared.auth.models import Role
from shared.settings import Settings, get_settings
from shared.territories.importer import ImportSummary
from shared.zonings.importer import ZoningImportSummary

app = typer.Typer(
    help="tidi — Territoires d'industrie: projects, funds, scoring, webhooks.",
    no_args_is_help=True,
)
keys_app = typer.Typer(help="Manage API keys.", no_args_is_help=True)
seed_app = typer.Typer(help="Load reference data, operators, funds and territories (idempotent).")
app.add_typer(keys_app, name="keys")
app.add_typer(seed_app, name="seed")
console = Console(stderr=True)
T = TypeVar("T")
DEMO_KEY_FILE = "demo-admin-key"


def _settings() -> Settings:
    get_settings.cache_clear()
    return get_settings()


def _embedded_if_needed(settings: Settings) -> EmbeddedServers:
    need_db, need_redis = settings.DATABASE_URL is None, settings.REDIS_URL is None
    if need_db or need_redis:
        started = [n for n, f in (("PostgreSQL", need_db), ("Valkey", need_redis)) if f]
        console.print(
            f"[bold]Starting embedded {' and '.join(started)}[/] under {settings.VAR_DIR}/ …"
        )
    return start_embedded(settings.VAR_DIR, need_database=need_db, need_redis=need_redis)


def _run_async(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into `SystemExit`, so `finally` blocks stop the embedded servers.

    uvicorn re-raises the signal after its own shutdown; with the default handler
    the process would die there, leaving PostgreSQL and Valkey running.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def _exit(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, _exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------- migrate / seed
@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations (alembic upgrade)."""
    from shared.db.migrate import upgrade

    settings = _settings()
    servers = _embedded_if_needed(settings)
    try:
        upgrade(_settings().database_url(), revision)
        console.print(f"[green]Database migrated to {revision}.[/]")
    finally:
        servers.stop()


@seed_app.callback(invoke_without_command=True)
def seed(ctx: typer.Context) -> None:
    """Seed geography, operators, funds, the demo territories and zonings (idempotent)."""
    if ctx.invoked_subcommand is not None:
        return
    settings = _settings()
    servers = _embedded_if_needed(settings)
    try:
        _migrate_and_seed(_settings())
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

    settings = _settings()
    servers = _embedded_if_needed(settings)
    try:
        summary = _run_async(_import_territories(_settings(), file))
    except TerritoryImportFailed as failure:
        for error in failure.errors:
            console.print(f"{file.name}: {error}", style="red", markup=False, soft_wrap=True)
        console.print(f"[bold red]{failure.detail}[/]")
        raise typer.Exit(1) from None
    finally:
        servers.stop()
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

    settings = _settings()
    servers = _embedded_if_needed(settings)
    try:
        summary = _run_async(_import_zonings(_settings(), file))
    except ZoningImportFailed as failure:
        for error in failure.errors:
            console.print(f"{file.name}: {error}", style="red", markup=False, soft_wrap=True)
        console.print(f"[bold red]{failure.detail}[/]")
        raise typer.Exit(1) from None
    finally:
        servers.stop()
    console.print(
        f"{file.name}: {summary.created} list(s) created, {summary.replaced} replaced, "
        f"{summary.unchanged} unchanged; {summary.memberships} membership row(s).",
        style="green",
        markup=False,
        soft_wrap=True,
    )


def _migrate_and_seed(settings: Settings) -> None:
    from shared.db.migrate import upgrade
    from shared.reference.files import DEMO_TERRITORIES, DEMO_ZONINGS, data_path

    upgrade(settings.database_url())
    console.print("[green]Database migrated.[/]")
    summary = _run_async(_seed_all(settings))
    table = Table(title="Seed summary", show_edge=False)
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("created now", justify="right")
    for name, rows in summary.items():
        table.add_row(name, f"{rows[0]:,}", f"{rows[1]:,}")
    console.print(table)
    demo = _run_async(_import_territories(settings, data_path(DEMO_TERRITORIES)))
    console.print(
        f"Demo territories: {demo.created} created, {demo.updated} updated, "
        f"{demo.unchanged} unchanged."
    )
    zonings = _run_async(_import_zonings(settings, data_path(DEMO_ZONINGS)))
    console.print(
        f"Demo zonings: {zonings.created} list(s) created, {zonings.replaced} replaced, "
        f"{zonings.unchanged} unchanged."
    )


async def _seed_all(settings: Settings) -> dict[str, tuple[int, int]]:
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.reference.seed import seed_geography, seed_programme

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            with _progress() as progress:
                tasks: dict[str, TaskID] = {}

                def advance(step: str, done: int, total: int) -> None:
                    if step not in tasks:
                        tasks[step] = progress.add_task(step, total=total)
                    progress.update(tasks[step], completed=done)

                geography = await seed_geography(session, advance)
                programme = await seed_programme(session, advance)
            await session.commit()
    finally:
        await engine.dispose()
    return {
        name: (
            geography.present.get(name, 0) + programme.present.get(name, 0),
            geography.created.get(name, 0) + programme.created.get(name, 0),
        )
        for name in [*geography.present, *programme.present]
    }


async def _import_territories(settings: Settings, file: Path) -> ImportSummary:
    from shared.auth.principal import SYSTEM
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.territories.importer import import_territories

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            summary = await import_territories(session, SYSTEM, file)
            await session.commit()
            return summary
    finally:
        await engine.dispose()


async def _import_zonings(settings: Settings, file: Path) -> ZoningImportSummary:
    from shared.auth.principal import SYSTEM
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.zonings.importer import import_zonings

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            summary = await import_zonings(session, SYSTEM, file)
            await session.commit()
            return summary
    finally:
        await engine.dispose()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


# ---------------------------------------------------------------- keys
@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="What the key is for.")],
    role: Annotated[
        Role, typer.Option(help="admin, territory, operator or observer.")
    ] = Role.ADMIN,
    territory: Annotated[str | None, typer.Option(help="Territory code (territory keys).")] = None,
    operator: Annotated[str | None, typer.Option(help="Operator code (operator keys).")] = None,
    expires_in_days: Annotated[int | None, typer.Option(min=1, help="Expiry, in days.")] = None,
) -> None:
    """Create an API key and print its secret (shown once)."""
    settings = _settings()
    servers = _embedded_if_needed(settings)
    try:
        secret = _run_async(
            _create_key(_settings(), name, role, territory, operator, expires_in_days)
        )
    finally:
        servers.stop()
    console.print(
        f"[green]Created {role.value} key {name!r}. Store it now, it will not be shown again:[/]"
    )
    typer.echo(secret)


async def _create_key(
    settings: Settings,
    name: str,
    role: Role,
    territory_code: str | None,
    operator_code: str | None,
    expires_in_days: int | None,
) -> str:
    from shared.auth import service as auth_service
    from shared.auth.principal import SYSTEM
    from shared.auth.schemas import ApiKeyCreate
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.errors import TidiError
    from shared.territories import repository as territory_repository

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            territory_id = None
            if territory_code is not None:
                territory = await territory_repository.get_by_code(session, territory_code)
                if territory is None:
                    raise typer.BadParameter(f"no territory with code {territory_code!r}")
                territory_id = territory.id
            expires_at = (
                datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
            )
            try:
                _, secret = await auth_service.create_key(
                    session,
                    SYSTEM,
                    ApiKeyCreate(
                        name=name,
                        role=role,
                        territory_id=territory_id,
                        operator_code=operator_code,
                        expires_at=expires_at,
                    ),
                )
            except TidiError as error:
                raise typer.BadParameter(error.detail) from None
            await session.commit()
            return secret
    finally:
        await engine.dispose()


async def _demo_admin_key(settings: Settings) -> str:
    """The demo admin key kept in VAR_DIR, recreated if missing or no longer valid."""
    from shared.auth import service as auth_service
    from shared.auth.errors import InvalidApiKey
    from shared.db.engine import create_engine, create_sessionmaker

    path = settings.VAR_DIR / DEMO_KEY_FILE
    if path.exists():
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session:
                secret = path.read_text().strip()
                with contextlib.suppress(InvalidApiKey):
                    await auth_service.authenticate(session, secret, touch_interval=timedelta(0))
                    await session.commit()
                    return secret
        finally:
            await engine.dispose()
    secret = await _create_key(settings, "Demo admin (tidi dev)", Role.ADMIN, None, None, None)
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return secret


# ---------------------------------------------------------------- run
@app.command()
def dev(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Run API and worker together; embedded PostgreSQL and Valkey when no URL is set."""
    if host:
        os.environ["API_HOST"] = host
    if port:
        os.environ["API_PORT"] = str(port)
    settings = _settings()
    with _sigterm_unwinds():
        servers = _embedded_if_needed(settings)
        try:
            settings = _settings()
            _migrate_and_seed(settings)
            key = _run_async(_demo_admin_key(settings))
            _banner(settings, key)
            stopped_by = asyncio.run(_serve_and_work(settings, with_worker=True))
        finally:
            servers.stop()
    if stopped_by is not None:  # the conventional status of a process a signal stopped
        raise SystemExit(128 + stopped_by)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="API worker processes.")] = 1,
) -> None:
    """Run the API only (DATABASE_URL and REDIS_URL must be set).

    With several workers each process accepts on its own socket (SO_REUSEPORT), so the
    kernel spreads connections evenly over them.
    """
    from services.cli.serving import serve as serve_app

    settings = _settings()
    serve_app(
        "services.api.main:app_factory",
        factory=True,
        host=host or settings.API_HOST,
        port=port or settings.API_PORT,
        workers=workers,
        access_log=False,
        log_config=None,
        proxy_headers=True,
    )


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Exit when the queue is empty.")] = False,
) -> None:
    """Run the arq workers: jobs and crons, webhook first attempts, webhook retries.

    DATABASE_URL and REDIS_URL must be set.
    """
    from services.worker.runner import serve_workers
    from shared.logging import configure_logging

    settings = _settings()
    configure_logging(settings.LOG_LEVEL, json=settings.LOG_JSON)
    serve_workers(settings, burst=burst)


SHUTDOWN_GRACE_SECONDS = 15


async def _serve_and_work(settings: Settings, *, with_worker: bool) -> int | None:
    """Serve the API (and run the worker) until a signal or a failure; the signal, if any."""
    import uvicorn

    from services.api.main import create_app
    from services.cli.devserver import DevServer
    from services.worker.runner import build_workers, close_workers, run_workers
    from shared.logging import configure_logging

    configure_logging(settings.LOG_LEVEL, json=settings.LOG_JSON)
    logging.getLogger("arq").setLevel(logging.WARNING)
    server = DevServer(
        uvicorn.Config(
            create_app(settings),
            host=settings.API_HOST,
            port=settings.API_PORT,
            access_log=False,
            log_config=None,
        )
    )
    tasks = [asyncio.create_task(server.serve(), name="api")]
    workers = build_workers(settings) if with_worker else []
    if workers:
        tasks.append(asyncio.create_task(run_workers(workers), name="worker"))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        await close_workers(workers)
        # Each side finishes its own shutdown (pools closed, jobs handed back); a task
        # cancelled mid-way would leave a connection half closed.
        _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return server.stopped_by


def _banner(settings: Settings, key: str) -> None:
    base = settings.base_url
    console.rule("[bold]tidi is running")
    console.print(f"  API          {base}/v1")
    console.print(f"  Swagger UI   {base}/docs   (click Authorize, paste the key below)")
    console.print(f"  ReDoc        {base}/redoc")
    console.print(f"  OpenAPI      {base}/openapi.json")
    console.print(f"  Health       {base}/readyz")
    console.print(
        f"  Admin key    [bold yellow]{key}[/]   (also in {settings.VAR_DIR}/{DEMO_KEY_FILE})"
    )
    console.print(f"  Stop with Ctrl+C; data is kept under {settings.VAR_DIR}/")
    console.rule()


def main() -> None:  # pragma: no cover - console entry point
    """Console entry point."""
    app()
