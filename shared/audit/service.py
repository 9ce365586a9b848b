"""Writes audit entries in the caller's transaction."""

import uuid
from typing import Any

from sqlalchemy import insert
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
) -> uuid.UUID:
    """Write one audit entry (committed with the change it records, never alone).

    A plain INSERT rather than an ORM object: entries are never read back in the
    transaction that writes them, so the unit of work has nothing to track.
    """
    entry_id = uuid.uuid4()
    await session.execute(
        insert(AuditEntry).values(
            id=entry_id,
            actor_key_id=principal.key_id,
            actor_role=principal.role.value,
            action=action,
            subject_type=subject_type,
            subject_id=str(subject_id),
            changes=changes or {},
            reason=reason,
            request_id=request_id_var.get(),
        )
    )
    return entry_id
