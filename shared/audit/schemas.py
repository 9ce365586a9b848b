"""Audit log contract."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from shared.schemas import Schema


class AuditEntryRead(Schema):
    """One recorded change: who, what, on which record, and why."""

    id: uuid.UUID
    occurred_at: datetime
    actor_key_id: uuid.UUID | None = Field(description="The API key that acted; null: system.")
    actor_role: str = Field(examples=["admin"])
    action: str = Field(examples=["territory.updated"])
    subject_type: str = Field(examples=["territory"])
    subject_id: str = Field(examples=["5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11"])
    changes: dict[str, Any] = Field(description="Changed fields (new values).")
    reason: str | None
    request_id: str | None
