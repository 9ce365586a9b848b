"""What the `tidi` commands share: the console, fresh settings, embedded servers on demand."""

from rich.console import Console

from services.cli.embedded import EmbeddedServers, start_embedded
from shared.settings import Settings, get_settings

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
