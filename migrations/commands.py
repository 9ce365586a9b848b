"""Running Alembic migrations from code (CLI, embedded start-up, tests)."""

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations

_ALEMBIC_INI = Path(migrations.__file__).parent.parent / "alembic.ini"


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for `database_url`, wherever the package is installed."""
    config = Config(str(_ALEMBIC_INI)) if _ALEMBIC_INI.exists() else Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database to `revision` (synchronous: call it outside an event loop)."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Roll the database back to `revision`."""
    command.downgrade(alembic_config(database_url), revision)
