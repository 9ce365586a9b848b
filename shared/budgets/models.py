"""Fund budgets: envelopes by financer and period, the commitments awards draw on them, and
the payments made against those commitments.

The database holds the invariants: an envelope's commitments never exceed its amount, and a
commitment's payments never exceed it (CHECK constraints, kept by conditional updates).
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, Timestamps, UUIDPrimaryKey, pg_enum


class Financer(StrEnum):
    """Who puts the money in: the State, the Region, or the operator itself."""

    STATE = "state"
    REGION = "region"
    OPERATOR = "operator"


class CommitmentStatus(StrEnum):
    """A commitment holds its amount until released (rejection, withdrawal, cancellation)."""

    ACTIVE = "active"
    RELEASED = "released"


class BudgetEnvelope(UUIDPrimaryKey, Timestamps, Base):
    """An amount a financer puts into a fund (or into its share for one region) for a period."""

    __tablename__ = "budget_envelopes"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_non_negative"),
        CheckConstraint(
            "committed_cents >= 0 AND committed_cents <= amount_cents", name="committed_within"
        ),
        CheckConstraint("paid_cents >= 0 AND paid_cents <= committed_cents", name="paid_within"),
        CheckConstraint("period_end >= period_start", name="period_ordered"),
    )

    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funds.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    financer: Mapped[Financer] = mapped_column(pg_enum(Financer, "financer"))
    label: Mapped[str] = mapped_column(String(200), default="", server_default="")
    amount_cents: Mapped[int]
    committed_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    paid_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    period_start: Mapped[date]
    period_end: Mapped[date]


class Commitment(UUIDPrimaryKey, Base):
    """The amount an approval holds on an envelope, and how much of it has been paid."""

    __tablename__ = "budget_commitments"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("paid_cents >= 0 AND paid_cents <= amount_cents", name="paid_within"),
        # One live commitment per application.
        Index(
            "uq_budget_commitments_active_application",
            "application_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    envelope_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("budget_envelopes.id"), index=True)
    amount_cents: Mapped[int]
    paid_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    status: Mapped[CommitmentStatus] = mapped_column(
        pg_enum(CommitmentStatus, "commitment_status"),
        default=CommitmentStatus.ACTIVE,
        server_default="active",
    )
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    released_at: Mapped[datetime | None]


class Payment(UUIDPrimaryKey, Base):
    """One tranche paid against a commitment."""

    __tablename__ = "budget_payments"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),)

    commitment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("budget_commitments.id"), index=True
    )
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    amount_cents: Mapped[int]
    paid_on: Mapped[date]
    reference: Mapped[str] = mapped_column(String(200), default="", server_default="")
    recorded_by_key_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
