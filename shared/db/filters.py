"""Small helpers for SQL filters."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select

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
