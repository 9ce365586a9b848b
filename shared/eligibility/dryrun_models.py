"""A ruleset dry-run: a draft evaluated over a fund's applications in the background, the
running figures and, once finished, its report (kept for a while, then purged)."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, Timestamps, UUIDPrimaryKey, pg_enum


class DryRunState(StrEnum):
    """`running` until every application is evaluated, then `completed`."""

    RUNNING = "running"
    COMPLETED = "completed"


class DryRun(UUIDPrimaryKey, Timestamps, Base):
    """One dry-run of a draft (its document as it was when asked for) against the fund's
    published version; `cursor` is the last application evaluated (they go by id)."""

    __tablename__ = "ruleset_dry_runs"
    __table_args__ = (Index("ix_ruleset_dry_runs_expires_at", "expires_at"),)

    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funds.id", ondelete="CASCADE"))
    ruleset_version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ruleset_versions.id", ondelete="CASCADE"), index=True
    )
    baseline_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ruleset_versions.id", ondelete="CASCADE")
    )
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    state: Mapped[DryRunState] = mapped_column(pg_enum(DryRunState, "dry_run_state"))
    total: Mapped[int]
    evaluated: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    cursor: Mapped[uuid.UUID | None]
    tally: Mapped[dict[str, Any]] = mapped_column(JSONB)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_by_key_id: Mapped[uuid.UUID | None]
    completed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
