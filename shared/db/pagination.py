"""Keyset (cursor) pagination: stable under inserts, O(limit) per page."""

import base64
import binascii
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, or_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import BadRequest

RowT = TypeVar("RowT")


class InvalidCursor(BadRequest):
    """The cursor was not produced by this collection and sort."""

    type_slug = "invalid-cursor"
    title = "Invalid cursor"


@dataclass(frozen=True)
class SortKey:
    """A named ordering of a collection: columns, each ascending or descending.

    The last column must be unique (the primary key) so the order is total.
    """

    name: str
    columns: tuple[tuple[Any, bool], ...]  # (mapped column, descending)

    @functools.cached_property
    def order_by(self) -> tuple[ColumnElement[Any], ...]:
        """The ORDER BY clauses (built once: each costs a few coercions)."""
        return tuple(col.desc() if desc else col.asc() for col, desc in self.columns)


@dataclass(frozen=True)
class PageResult(Generic[RowT]):
    """Rows of one page and the cursor of the next."""

    items: list[RowT]
    next_cursor: str | None


def encode_cursor(sort: SortKey, values: Sequence[Any]) -> str:
    """An opaque, URL-safe cursor holding the sort name and the last row's key."""
    raw = json.dumps({"s": sort.name, "k": [_jsonable(v) for v in values]})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(sort: SortKey, cursor: str) -> list[Any]:
    """The key values of a cursor, checked against the sort it was made for."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values = data["k"]
        ok = data["s"] == sort.name and len(values) == len(sort.columns)
    except (ValueError, KeyError, TypeError, binascii.Error):
        ok = False
    if not ok:
        raise InvalidCursor("the cursor is malformed or was made for another sort order")
    return [_restore(col, value) for (col, _), value in zip(sort.columns, values, strict=True)]


def after_clause(sort: SortKey, values: Sequence[Any]) -> ColumnElement[bool]:
    """WHERE clause selecting rows strictly after `values` in the sort order."""
    branches = []
    for i, (column, descending) in enumerate(sort.columns):
        equal_prefix = [c == v for (c, _), v in zip(sort.columns[:i], values[:i], strict=True)]
        beyond = column < values[i] if descending else column > values[i]
        branches.append(and_(*equal_prefix, beyond))
    return or_(*branches)


async def paginate(
    session: AsyncSession,
    statement: Select[RowT],
    *,
    sort: SortKey,
    limit: int,
    cursor: str | None,
) -> PageResult[RowT]:
    """Run `statement` for one page after `cursor`, ordered by `sort`."""
    if cursor:
        statement = statement.where(after_clause(sort, decode_cursor(sort, cursor)))
    paged = _in_order(statement, sort)
    rows = list((await session.scalars(paged, {_LIMIT.key: limit + 1})).all())
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(sort, [_value_of(last, col) for col, _ in sort.columns])
    return PageResult(items=rows, next_cursor=next_cursor)


_LIMIT = bindparam("page_limit", type_=Integer)


@functools.lru_cache(maxsize=256)
def _in_order(statement: Select[RowT], sort: SortKey) -> Select[RowT]:
    """`statement` in `sort` order, its page size bound at execution. Built once for a
    statement used again (a collection without filters): a new statement costs its
    construction and SQLAlchemy's cache key on every request."""
    return statement.order_by(*sort.order_by).limit(_LIMIT)


def _value_of(row: Any, column: ColumnElement[Any]) -> Any:
    return getattr(row, str(column.key))


def _jsonable(value: Any) -> Any:
    if isinstance(value, int | float | str) or value is None:
        return value
    return str(value)


def _restore(column: ColumnElement[Any], value: Any) -> Any:
    # Sort columns are never null, and a cursor only ever holds JSON scalars: anything
    # else was not made by `encode_cursor`.
    if value is None or not isinstance(value, str | int | float):
        raise InvalidCursor("the cursor holds a malformed value")
    try:
        python_type = column.type.python_type
    except NotImplementedError:  # pragma: no cover - every sort column has one
        return value
    if isinstance(value, python_type):
        return value
    if hasattr(python_type, "fromisoformat"):
        try:
            return python_type.fromisoformat(value)
        except (TypeError, ValueError):
            raise InvalidCursor("the cursor holds a malformed value") from None
    try:
        return python_type(value)
    except (TypeError, ValueError, AttributeError):
        raise InvalidCursor("the cursor holds a malformed value") from None
