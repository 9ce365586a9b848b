"""Engine and session factory: one of each per process."""

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from shared.settings import Settings


def create_engine(settings: Settings, *, pool_size: int | None = None) -> AsyncEngine:
    """An asyncpg engine for the configured database."""
    return create_async_engine(
        settings.database_url(),
        pool_size=pool_size or settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_MAX_OVERFLOW,
        pool_recycle=1800,
        connect_args={"server_settings": {"application_name": "tidi"}},
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded attributes after commit (responses read them)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
