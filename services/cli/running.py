"""`tidi dev`, `tidi serve` and `tidi worker`: running the API and the workers."""

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from services.cli.common import console, embedded_if_needed, fresh_settings
from services.cli.keys import DEMO_KEY_FILE, demo_admin_key
from services.cli.seeding import migrate_and_seed
from shared.settings import Settings

if TYPE_CHECKING:  # imported where used: the other commands start faster without it
    import uvicorn

SHUTDOWN_GRACE_SECONDS = 15


class SignalStop:
    """Handler of SIGINT and SIGTERM for `tidi dev`: the first signal is kept for the exit
    status; it unwinds the start-up (SystemExit), or asks the running server to stop.

    uvicorn's `Server.serve()` handles both signals itself while serving, then restores
    the previous handlers and raises the signals it caught again: they land here, and the
    worker and the embedded servers are closed in order before the process exits.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.server: uvicorn.Server | None = None

    def __call__(self, signum: int, _frame: FrameType | None) -> None:
        """Record the signal; stop the server, or unwind when none runs yet."""
        self.signum = self.signum or signum
        if self.server is None:
            raise SystemExit(128 + signum)
        self.server.should_exit = True

    @contextlib.contextmanager
    def installed(self) -> Iterator["SignalStop"]:
        """Handle SIGINT and SIGTERM here within the block."""
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {signum: signal.signal(signum, self) for signum in stops}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def dev(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Run API and worker together on demo data (territories, zonings, an admin key);
    embedded PostgreSQL and Valkey when no URL is set."""
    if host:
        os.environ["API_HOST"] = host
    if port:
        os.environ["API_PORT"] = str(port)
    settings = fresh_settings()
    with SignalStop().installed() as stop:
        servers = embedded_if_needed(settings)
        try:
            settings = fresh_settings()
            migrate_and_seed(settings, demo=True)
            key = asyncio.run(demo_admin_key(settings))
            asyncio.run(_serve_and_work(settings, stop, listening=lambda: _banner(settings, key)))
        finally:
            servers.stop()
    if stop.signum is not None:  # the conventional status of a process a signal stopped
        raise SystemExit(128 + stop.signum)


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="API worker processes.")] = 1,
) -> None:
    """Run the API only (DATABASE_URL and REDIS_URL must be set).

    Several workers are uvicorn's worker processes: it restarts one that dies and stops
    them all on SIGINT or SIGTERM.
    """
    import uvicorn

    settings = fresh_settings()
    if workers > 1:
        _share_metrics(settings.VAR_DIR / "metrics")
    uvicorn.run(
        "services.api.main:app_factory",
        factory=True,
        host=host or settings.API_HOST,
        port=port or settings.API_PORT,
        workers=workers,
        access_log=False,
        log_config=None,
        proxy_headers=True,
    )


def _share_metrics(directory: Path) -> None:
    """Prometheus multiprocess mode for the worker processes: each writes its counters in
    `directory` (emptied now), and `/metrics` in any of them sums them all. An operator's
    own `PROMETHEUS_MULTIPROC_DIR` is kept."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory.resolve())


def worker(
    burst: Annotated[bool, typer.Option(help="Exit when the queue is empty.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 0 if the running worker process is ready.")
    ] = False,
) -> None:
    """Run the arq workers: jobs and crons, webhook first attempts, webhook retries.

    DATABASE_URL and REDIS_URL must be set. The process rides out Redis outages (its
    workers restart when Redis answers again). `--check` reads the health file the
    running process refreshes every beat (WORKER_HEALTH_FILE): ready while its workers
    run and PostgreSQL and Redis answer it; exit 1, with the reason, otherwise.
    """
    settings = fresh_settings()
    if check:
        from services.worker.jobs.system import unready_reason

        reason = unready_reason(
            settings.worker_health_file, beat_seconds=settings.WORKER_HEARTBEAT_SECONDS
        )
        typer.echo(f"not ready: {reason}" if reason else "ready", err=reason is not None)
        raise typer.Exit(1 if reason else 0)

    from services.worker.runner import serve_workers
    from shared.logging import configure_logging

    configure_logging(settings.LOG_LEVEL, json=settings.LOG_JSON)
    serve_workers(settings, burst=burst)


async def _serve_and_work(
    settings: Settings, stop: SignalStop, *, listening: Callable[[], None]
) -> None:
    """Serve the API and run the worker until a signal or a failure; call `listening` once
    the API accepts connections (the banner then tells the truth)."""
    import uvicorn

    from services.api.main import create_app
    from services.worker.runner import WorkerProcess
    from shared.logging import configure_logging

    configure_logging(settings.LOG_LEVEL, json=settings.LOG_JSON)
    logging.getLogger("arq").setLevel(logging.WARNING)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.API_HOST,
        port=settings.API_PORT,
        access_log=False,
        log_config=None,
    )
    server = stop.server = uvicorn.Server(config)
    workers = WorkerProcess(settings)
    tasks = [
        asyncio.create_task(server.serve(), name="api"),
        asyncio.create_task(workers.run(), name="worker"),
    ]
    announce = asyncio.create_task(_when_listening(server, tasks[0], listening))
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        announce.cancel()
        server.should_exit = True
        workers.stop()
        # Each side finishes its own shutdown (pools closed, jobs handed back); a task
        # cancelled mid-way would leave a connection half closed.
        _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE_SECONDS)
        for task in stuck:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _when_listening(
    server: "uvicorn.Server", serving: asyncio.Task[None], listening: Callable[[], None]
) -> None:
    """Call `listening` once `server` has started (not at all if it stops first)."""
    while not server.started:
        if serving.done():
            return
        await asyncio.sleep(0.05)
    listening()


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
