"""A project's application to a fund."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.applications.enums import CLOSED_STATUSES, ApplicationStatus, TerritoryOpinion
from shared.db.base import Base, Timestamps, UUIDPrimaryKey, Versioned, pg_enum
from shared.funds.models import AidForm, Fund
from shared.projects.models import Project
from shared.territories.models import Territory

_CLOSED = ", ".join(f"'{s.value}'" for s in sorted(CLOSED_STATUSES))


class Application(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """An application; territory, operator and region are copied for tenant-scoped queries."""

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint("requested_amount_cents >= 0", name="requested_non_negative"),
        CheckConstraint("eligible_expense_base_cents >= 0", name="base_non_negative"),
        CheckConstraint("prior_deminimis_cents >= 0", name="deminimis_non_negative"),
        # One open application per project and fund: the database enforces it under concurrency.
        Index(
            "uq_applications_open_per_project_fund",
            "project_id",
            "fund_id",
            unique=True,
            postgresql_where=text(f"status NOT IN ({_CLOSED})"),
        ),
        Index("ix_applications_created_at_id", "created_at", "id"),
        Index("ix_applications_updated_at_id", "updated_at", "id"),
        CheckConstraint("awarded_cents IS NULL OR awarded_cents > 0", name="award_positive"),
        # The overdue information requests (listed, and announced by a cron).
        Index(
            "ix_applications_information_due_on",
            "information_due_on",
            postgresql_where=text("status = 'information_requested'"),
        ),
    )

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"), index=True)
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funds.id"), index=True)
    territory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("territories.id"), index=True)
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(
        pg_enum(ApplicationStatus, "application_status"), index=True
    )
    applicant_siren: Mapped[str] = mapped_column(String(9))
    expense_holder_siren: Mapped[str | None] = mapped_column(String(9))
    requested_amount_cents: Mapped[int | None]
    eligible_expense_base_cents: Mapped[int | None]
    expense_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    aid_form: Mapped[AidForm | None] = mapped_column(pg_enum(AidForm, "aid_form"))
    prior_deminimis_cents: Mapped[int | None]
    """De minimis aid declared over the last three years; None: not declared (unknown)."""
    engagements: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    attestations: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    territory_opinion: Mapped[TerritoryOpinion | None] = mapped_column(
        pg_enum(TerritoryOpinion, "territory_opinion")
    )
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    project_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    submission_no: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime | None]
    created_by_key_id: Mapped[uuid.UUID | None]
    # Review and decision (shared.decisions)
    assignee: Mapped[str | None] = mapped_column(String(200))
    information_request: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    information_due_on: Mapped[date | None]
    information_overdue_notified: Mapped[bool] = mapped_column(
        default=False, server_default="false"
    )
    decision: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    awarded_cents: Mapped[int | None]
    agreement: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    project: Mapped[Project] = relationship(lazy="raise")
    fund: Mapped[Fund] = relationship(lazy="raise")
    territory: Mapped[Territory | None] = relationship(lazy="raise")

    @property
    def fund_code(self) -> str:
        """The code of the fund applied to."""
        return self.fund.code
