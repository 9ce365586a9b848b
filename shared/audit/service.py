"""Writes audit entries in the caller's transaction."""

import uuid
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.models import AuditEntry
from shared.context import request_id_var
from shared.principal import SYSTEM, Principal


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
    values = entry_values(
        principal,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        changes=changes,
        reason=reason,
    )
    await session.execute(insert(AuditEntry).values(**values))
    entry_id: uuid.UUID = values["id"]
    return entry_id


def entry_values(
    principal: Principal,
    *,
    action: str,
    subject_type: str,
    subject_id: uuid.UUID | str,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """The columns of one audit entry (with a new id and the current request's id)."""
    return {
        "id": uuid.uuid4(),
        "actor_key_id": principal.key_id,
        "actor_role": "system" if principal is SYSTEM else principal.role.value,
        "action": action,
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "changes": changes or {},
        "reason": reason,
        "request_id": request_id_var.get(),
    }
