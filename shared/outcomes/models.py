"""What a funded project achieved: reports of jobs and investment, kept as a history."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, UUIDPrimaryKey


class Outcome(UUIDPrimaryKey, Base):
    """One report of what an application's project achieved at `reported_on` (immutable;
    the latest report of an application counts, the earlier ones stay as its history)."""

    __tablename__ = "outcomes"
    __table_args__ = (
        CheckConstraint("jobs_created >= 0 AND jobs_maintained >= 0", name="jobs_non_negative"),
        CheckConstraint("investment_cents >= 0", name="investment_non_negative"),
        # An application's reports, newest first (read backwards): its history and its latest.
        Index("ix_outcomes_application_reported", "application_id", "reported_on", "created_at"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"))
    reported_on: Mapped[date]
    jobs_created: Mapped[int]
    jobs_maintained: Mapped[int]
    investment_cents: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    reported_by_role: Mapped[str] = mapped_column(String(20))
    reported_by_key_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
