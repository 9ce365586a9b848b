"""What the `tidi` commands share: the console, fresh settings, embedded servers on demand,
a database session for one command."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from rich.console import Console

from services.cli.embedded import EmbeddedServers, start_embedded
from shared.settings import Settings, get_settings

if TYPE_CHECKING:  # imported where used: commands that need no database start faster
    from sqlalchemy.ext.asyncio import AsyncSession

console = Console(stderr=True)


def fresh_settings() -> Settings:
    """The settings as the environment says now (embedded servers export their URLs)."""
    get_settings.cache_clear()
    return get_settings()


def embedded_if_needed(settings: Settings) -> EmbeddedServers:
    """Start PostgreSQL and Valkey under VAR_DIR for the URLs left unset."""
    need_db, need_redis = settings.DATABASE_URL is None, settings.REDIS_URL is None
    if need_db or need_redis:
        started = [n for n, f in (("PostgreSQL", need_db), ("Valkey", need_redis)) if f]
        console.print(
            f"[bold]Starting embedded {' and '.join(started)}[/] under {settings.VAR_DIR}/ …"
        )
    return start_embedded(settings.VAR_DIR, need_database=need_db, need_redis=need_redis)


@asynccontextmanager
async def database_session(settings: Settings) -> AsyncIterator["AsyncSession"]:
    """A session on a pool of its own, disposed with it (commit inside the block)."""
    from shared.db.engine import create_engine, create_sessionmaker

    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()
