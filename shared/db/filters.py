"""Small helpers for SQL filters."""


def contains_pattern(text: str) -> str:
    """An ILIKE pattern matching `text` anywhere (its wildcards escaped with a backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
