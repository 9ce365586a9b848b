"""An outbox event: written in the transaction of the change it describes."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Identity, Index, String, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class Event(Base):
    """One domain event; `position` orders the pull API, `id` is the webhook-id.

    `audience` lists the operators it concerns (the fund's operator, operators whose
    routing rules match the project), resolved when it is written; `data` is nulled when
    the retention period ends.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_subject", "subject_type", "subject_id"),
        Index("ix_events_audience", "audience", postgresql_using="gin"),
        Index("ix_events_occurred_at", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    position: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    type: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[uuid.UUID]
    sequence: Mapped[int] = mapped_column(
        BigInteger, doc="Monotonic per subject: receivers drop stale updates."
    )
    fund_id: Mapped[uuid.UUID | None]
    operator_id: Mapped[uuid.UUID | None]
    territory_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    audience: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), server_default="{}")
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    request_id: Mapped[str | None] = mapped_column(String(64))
