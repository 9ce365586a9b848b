"""An audit entry: who did what to which record, and why."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, UUIDPrimaryKey


class AuditEntry(UUIDPrimaryKey, Base):
    """One change to one record; never updated or deleted by the application."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_subject", "subject_type", "subject_id"),
        Index("ix_audit_entries_occurred_at_id", "occurred_at", "id"),
    )

    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor_key_id: Mapped[uuid.UUID | None]
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(100))
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
