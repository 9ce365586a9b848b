"""A funding scheme and its call window."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db.base import Base, Timestamps, UUIDPrimaryKey, Versioned, pg_enum
from shared.operators.models import Operator


class FundStatus(StrEnum):
    """Where a fund stands; `open` with a window means open inside that window."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ARCHIVED = "archived"


class FundKind(StrEnum):
    """Whether projects apply to the fund, or it is a catalogue of labels."""

    AID_SCHEME = "aid_scheme"
    CALL_FOR_PROJECTS = "call_for_projects"
    LABEL_CATALOGUE = "label_catalogue"


class AidForm(StrEnum):
    """Forms the aid can take."""

    SUBSIDY = "subsidy"
    REPAYABLE_ADVANCE = "repayable_advance"
    LOAN = "loan"
    EQUITY = "equity"
    ENGINEERING = "engineering"
    LABEL = "label"


class Fund(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """A scheme projects apply to (or a label catalogue), instructed by one operator."""

    __tablename__ = "funds"
    __table_args__ = (
        CheckConstraint("envelope_cents >= 0", name="envelope_non_negative"),
        CheckConstraint(
            "regional_share_cents >= 0 AND regional_share_cents <= envelope_cents",
            name="regional_share_within_envelope",
        ),
        CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
            name="window_ordered",
        ),
    )

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    kind: Mapped[FundKind] = mapped_column(pg_enum(FundKind, "fund_kind"))
    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id"), index=True)
    status: Mapped[FundStatus] = mapped_column(pg_enum(FundStatus, "fund_status"), index=True)
    envelope_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    regional_share_cents: Mapped[int] = mapped_column(default=0, server_default="0")
    max_award_cents: Mapped[int | None]
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    aid_forms: Mapped[list[AidForm]] = mapped_column(
        ARRAY(pg_enum(AidForm, "aid_form")), default=list
    )
    regional_preselection: Mapped[bool] = mapped_column(default=False, server_default="false")
    source_url: Mapped[str | None] = mapped_column(String(500))
    question_schema: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    operator: Mapped[Operator] = relationship(lazy="raise")

    @property
    def operator_code(self) -> str:
        """The code of the operator that instructs the fund."""
        return self.operator.code

    def is_open_at(self, moment: datetime) -> bool:
        """Whether applications may be submitted at `moment`."""
        return (
            self.status is FundStatus.OPEN
            and (self.opens_at is None or self.opens_at <= moment)
            and (self.closes_at is None or moment < self.closes_at)
        )
