"""Writes audit entries in the caller's transaction."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.auth.principal import Principal
from shared.context import request_id_var


async def record(
    session: AsyncSession,
    principal: Principal,
    *,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID | str,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    """Add one audit entry (committed with the change it records, never alone)."""
    entry = AuditEntry(
        id=uuid.uuid4(),
        actor_key_id=principal.key_id,
        actor_role=principal.role.value,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        changes=changes or {},
        reason=reason,
        request_id=request_id_var.get(),
    )
    session.add(entry)
    return entry
