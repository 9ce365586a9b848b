"""A remembered creation: the request's fingerprint and the response it got."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class IdempotencyRecord(Base):
    """One `Idempotency-Key` of one API key, kept 24 hours."""

    __tablename__ = "idempotency_records"

    api_key_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
