"""One configuration surface, read from environment variables and an optional `.env` file."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105
DEFAULT_RETRY_SCHEDULE: tuple[float, ...] = (
    0,
    5,
    30,
    120,
    600,
    1800,
    3600,
    7200,
    14400,
    28800,
    43200,
    86400,
    86400,
    86400,
)
"""Seconds before each of the 14 attempts of a webhook delivery (about 4 days in all)."""


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
    DATABASE_READ_URL: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL the statistics read from (a streaming replica). "
        "Unset: the primary (DATABASE_URL).",
    )
    VAR_DIR: Path = Path("var")
    DATABASE_POOL_SIZE: Annotated[int, Field(ge=1, le=200)] = 20
    DATABASE_MAX_OVERFLOW: Annotated[int, Field(ge=0, le=200)] = 10
    DATABASE_POOL_TIMEOUT_SECONDS: Annotated[float, Field(gt=0, le=300)] = Field(
        default=10.0,
        description="How long a request waits for a pooled connection before a 503.",
    )

    # --- HTTP API
    API_HOST: str = "127.0.0.1"
    API_PORT: Annotated[int, Field(ge=1, le=65535)] = 8000
    PUBLIC_BASE_URL: str | None = None
    MAX_BODY_BYTES: Annotated[int, Field(ge=1024)] = 1_048_576
    PAGE_SIZE_DEFAULT: Annotated[int, Field(ge=1, le=500)] = 50
    PAGE_SIZE_MAX: Annotated[int, Field(ge=1, le=1000)] = 200
    API_KEY_TOUCH_INTERVAL_SECONDS: Annotated[int, Field(ge=0)] = 60
    API_KEY_CACHE_SECONDS: Annotated[float, Field(ge=0, le=60)] = 5

    # --- secrets
    SECRET_KEY: SecretStr = SecretStr(DEVELOPMENT_SECRET)

    # --- logging
    LOG_LEVEL: str = "INFO"
    LOG_JSON: bool = True

    # --- worker
    WORKER_HEARTBEAT_SECONDS: Annotated[int, Field(ge=1, le=3600)] = 30
    WORKER_QUEUE_NAME: str = "tidi:queue"
    WORKER_METRICS_PORT: Annotated[int | None, Field(ge=1, le=65535)] = Field(
        default=None,
        description="Port of a `tidi worker`'s own Prometheus endpoint (unset: none).",
    )
    WORKER_HEALTH_FILE: Path | None = Field(
        default=None,
        description="Where a worker process keeps its health (unset: VAR_DIR/worker-health.json).",
    )
    WORKER_RECONNECT_MAX_SECONDS: Annotated[float, Field(gt=0, le=300)] = Field(
        default=10, description="Longest wait between two tries to reach a lost Redis."
    )
    WORKER_JOB_TIMEOUT_SECONDS: Annotated[int, Field(ge=1, le=3600)] = Field(
        default=60,
        description="Longest run of a main-queue job; the job of a worker that died is run "
        "again this long plus 10 s after it started.",
    )

    # --- webhooks (the delivery policy; tests compress the durations)
    WEBHOOK_ALLOW_HOSTS: list[str] = Field(
        default_factory=list,
        description="Hosts accepted whatever they resolve to (local development, tests).",
    )
    WEBHOOK_ALLOW_HTTP_HOSTS: list[str] = Field(
        default_factory=list, description="Hosts that may be reached over plain http."
    )
    WEBHOOK_RETRY_SCHEDULE_SECONDS: list[Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: list(DEFAULT_RETRY_SCHEDULE),
        min_length=1,
        description="Delay before each attempt (the first is normally 0).",
    )
    WEBHOOK_THROTTLED_MINIMUM_SECONDS: Annotated[float, Field(ge=0)] = 60
    WEBHOOK_CONNECT_TIMEOUT_SECONDS: Annotated[float, Field(gt=0, le=30)] = 3
    WEBHOOK_DEFAULT_TIMEOUT_SECONDS: Annotated[int, Field(ge=1, le=30)] = 15
    WEBHOOK_MAX_IN_FLIGHT: Annotated[int, Field(ge=1, le=64)] = 4
    WEBHOOK_LEASE_SECONDS: Annotated[float, Field(gt=0)] = 45
    WEBHOOK_SWEEP_GRACE_SECONDS: Annotated[float, Field(ge=0)] = 10
    WEBHOOK_LANE_BUDGET_SECONDS: Annotated[float, Field(gt=0)] = 20
    WEBHOOK_ROTATION_GRACE_SECONDS: Annotated[float, Field(ge=0)] = 72 * 3600
    WEBHOOK_DEGRADED_AFTER: Annotated[int, Field(ge=1)] = 5
    WEBHOOK_CIRCUIT_AFTER: Annotated[int, Field(ge=1)] = 20
    WEBHOOK_CIRCUIT_MIN_SPAN_SECONDS: Annotated[float, Field(ge=0)] = 600
    WEBHOOK_DISABLE_AFTER_SECONDS: Annotated[float, Field(gt=0)] = 5 * 86400
    WEBHOOK_PROBE_INITIAL_SECONDS: Annotated[float, Field(gt=0)] = 60
    WEBHOOK_PROBE_MAX_SECONDS: Annotated[float, Field(gt=0)] = 3600
    EVENT_PAYLOAD_RETENTION_DAYS: Annotated[int, Field(ge=7, le=90)] = 30
    WEBHOOK_ATTEMPT_RETENTION_DAYS: Annotated[int, Field(ge=1, le=365)] = 90

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

    @property
    def worker_health_file(self) -> Path:
        """The health file of a worker process (`tidi worker --check` reads it)."""
        return self.WORKER_HEALTH_FILE or self.VAR_DIR / "worker-health.json"

    def database_url(self) -> str:
        """The database URL as a plain string (raises if unresolved)."""
        if self.DATABASE_URL is None:
            raise RuntimeError("DATABASE_URL is not set and no embedded server is running")
        return self.DATABASE_URL.get_secret_value()

    def database_read_url(self) -> str | None:
        """The reporting database URL as a plain string; None: read from the primary."""
        return None if self.DATABASE_READ_URL is None else self.DATABASE_READ_URL.get_secret_value()

    def redis_url(self) -> str:
        """The Redis URL as a plain string (raises if unresolved)."""
        if self.REDIS_URL is None:
            raise RuntimeError("REDIS_URL is not set and no embedded server is running")
        return self.REDIS_URL.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
