"""Queries over the audit log."""

from datetime import datetime

from sqlalchemy import Select, select

from shared.audit.models import AuditEntry
from shared.db.pagination import SortKey

NEWEST_FIRST = SortKey("newest", ((AuditEntry.occurred_at, True), (AuditEntry.id, True)))


def list_statement(
    *,
    subject_type: str | None,
    subject_id: str | None,
    action: str | None,
    since: datetime | None,
) -> Select[AuditEntry]:
    """Audit entries matching the filters."""
    statement = select(AuditEntry)
    if subject_type is not None:
        statement = statement.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        statement = statement.where(AuditEntry.subject_id == subject_id)
    if action is not None:
        statement = statement.where(AuditEntry.action == action)
    if since is not None:
        statement = statement.where(AuditEntry.occurred_at >= since)
    return statement
