"""Ruleset versions of a fund and the immutable assessments they produce."""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, Timestamps, UUIDPrimaryKey, pg_enum


class RulesetStatus(StrEnum):
    """A draft may still change; a published version never does."""

    DRAFT = "draft"
    PUBLISHED = "published"


class AssessmentOutcome(StrEnum):
    """The verdict of the rules engine."""

    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    UNDETERMINED = "undetermined"


class RulesetVersion(UUIDPrimaryKey, Timestamps, Base):
    """One version of a fund's ruleset; `definition` is the ruleset's JSON document.

    A published version is immutable: the service refuses to change it and a database
    trigger rejects any UPDATE of a published row.
    """

    __tablename__ = "ruleset_versions"
    __table_args__ = (UniqueConstraint("fund_id", "version"),)

    fund_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("funds.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    status: Mapped[RulesetStatus] = mapped_column(pg_enum(RulesetStatus, "ruleset_status"))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB)
    published_at: Mapped[datetime | None]
    created_by_key_id: Mapped[uuid.UUID | None]


class Assessment(UUIDPrimaryKey, Base):
    """The engine's outcome for one submission under one ruleset version (never updated)."""

    __tablename__ = "assessments"
    __table_args__ = (
        UniqueConstraint("application_id", "ruleset_version_id", "submission_no"),
        Index("ix_assessments_application_id_created_at", "application_id", "created_at"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"))
    # No index of its own: the unique key (application first) serves every look-up by
    # version, while an index on the version alone, planned from statistics gathered before
    # a new version had any assessment, would be read whole for each batch of a rescoring.
    ruleset_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ruleset_versions.id"))
    submission_no: Mapped[int]
    outcome: Mapped[AssessmentOutcome] = mapped_column(
        pg_enum(AssessmentOutcome, "assessment_outcome")
    )
    total_points: Mapped[Decimal] = mapped_column(Numeric(9, 2))
    max_points: Mapped[int]
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    missing_inputs: Mapped[list[str]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
