"""Small helpers for SQL filters."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select

from shared.classification import Priority, ProjectNature

RowT = TypeVar("RowT")


def contains_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere (its wildcards escaped with a backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class TimeWindow:
    """Creation and change bounds shared by record collections (incremental sync)."""

    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_since: datetime | None = None

    def apply(self, statement: Select[RowT], created: Any, updated: Any) -> Select[RowT]:
        """`statement` restricted to rows inside the window."""
        if self.created_after is not None:
            statement = statement.where(created >= self.created_after)
        if self.created_before is not None:
            statement = statement.where(created < self.created_before)
        if self.updated_since is not None:
            statement = statement.where(updated >= self.updated_since)
        return statement


@dataclass(frozen=True)
class RecordFilters:
    """The filters project and application lists share: tenant, place, the project's
    classification and title, and the time window."""

    territory_id: uuid.UUID | None = None
    region: str | None = None
    priority: Priority | None = None
    nature: ProjectNature | None = None
    q: str | None = None
    window: TimeWindow = field(default_factory=TimeWindow)
