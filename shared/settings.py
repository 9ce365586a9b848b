"""One configuration surface, read from environment variables and an optional `.env` file."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105


class Environment(StrEnum):
    """Where the service runs; production refuses development secrets."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Runtime settings; every field is named like its environment variable."""

    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", frozen=True
    )

    ENVIRONMENT: Environment = Environment.DEVELOPMENT

    # --- data stores: unset means "start the embedded servers under VAR_DIR" (tidi dev)
    DATABASE_URL: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL (postgresql+asyncpg://...). Unset: embedded server.",
    )
    REDIS_URL: SecretStr | None = Field(
        default=None, description="Redis URL (redis://...). Unset: embedded Valkey."
    )
    VAR_DIR: Path = Path("var")
    DATABASE_POOL_SIZE: Annotated[int, Field(ge=1, le=200)] = 10
    DATABASE_MAX_OVERFLOW: Annotated[int, Field(ge=0, le=200)] = 10

    # --- HTTP API
    API_HOST: str = "127.0.0.1"
    API_PORT: Annotated[int, Field(ge=1, le=65535)] = 8000
    PUBLIC_BASE_URL: str | None = None
    MAX_BODY_BYTES: Annotated[int, Field(ge=1024)] = 1_048_576
    PAGE_SIZE_DEFAULT: Annotated[int, Field(ge=1, le=500)] = 50
    PAGE_SIZE_MAX: Annotated[int, Field(ge=1, le=1000)] = 200
    API_KEY_TOUCH_INTERVAL_SECONDS: Annotated[int, Field(ge=0)] = 60

    # --- secrets
    SECRET_KEY: SecretStr = SecretStr(DEVELOPMENT_SECRET)

    # --- logging
    LOG_LEVEL: str = "INFO"
    LOG_JSON: bool = True

    # --- worker
    WORKER_HEARTBEAT_SECONDS: Annotated[int, Field(ge=1, le=3600)] = 30
    WORKER_QUEUE_NAME: str = "tidi:queue"

    @model_validator(mode="after")
    def _refuse_development_secrets_in_production(self) -> "Settings":
        if self.ENVIRONMENT is Environment.PRODUCTION:
            if self.SECRET_KEY.get_secret_value() == DEVELOPMENT_SECRET:
                raise ValueError("SECRET_KEY must be set to a real secret in production")
            if self.DATABASE_URL is None or self.REDIS_URL is None:
                raise ValueError("DATABASE_URL and REDIS_URL are required in production")
        return self

    @property
    def base_url(self) -> str:
        """The public URL of the API, used in links and printed at start-up."""
        return self.PUBLIC_BASE_URL or f"http://{self.API_HOST}:{self.API_PORT}"

    def database_url(self) -> str:
        """The database URL as a plain string (raises if unresolved)."""
        if self.DATABASE_URL is None:
            raise RuntimeError("DATABASE_URL is not set and no embedded server is running")
        return self.DATABASE_URL.get_secret_value()

    def redis_url(self) -> str:
        """The Redis URL as a plain string (raises if unresolved)."""
        if self.REDIS_URL is None:
            raise RuntimeError("REDIS_URL is not set and no embedded server is running")
        return self.REDIS_URL.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
