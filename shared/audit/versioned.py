"""A versioned row change and its audit entry in one statement, without the unit of work.

    WITH changed AS (UPDATE … SET …, version = version + 1, updated_at = now()
                     WHERE id = :id AND version = :loaded RETURNING version, updated_at),
         entry AS (INSERT INTO audit_entries … SELECT … FROM changed)
    SELECT version, updated_at FROM changed

The entry is written only if the row was, in the same round trip; the loaded object then
holds the new values as its committed state, so the session has nothing left to flush.
"""

from functools import cache
from typing import Any

from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from shared.audit.models import AuditEntry

_ENTRIES: Table = AuditEntry.__table__  # type: ignore[assignment]


async def update_audited(
    session: AsyncSession,
    record: DeclarativeBase,
    values: dict[str, Any],
    entry: dict[str, Any],
) -> None:
    """Write `values` to the row of `record` (a versioned model) and the audit `entry`.

    `entry` holds the audit columns (`shared.audit.service.entry_values`). The version is
    bumped and `updated_at` set by the database; both are read back onto `record`. A row
    changed since `record` was loaded raises `StaleDataError` (412), as the ORM's own
    version check does, and nothing is written.
    """
    table: Table = record.__table__  # type: ignore[assignment]
    statement = _statement(table, tuple(values), tuple(entry))
    params = {f"v_{k}": v for k, v in values.items()} | {f"a_{k}": v for k, v in entry.items()}
    params |= {"w_id": record.id, "w_version": record.version}  # type: ignore[attr-defined]
    row = (await session.execute(statement, params)).one_or_none()
    if row is None:
        raise StaleDataError(f"{table.name} {record.id} changed since it was read")  # type: ignore[attr-defined]
    for name, value in (*values.items(), ("version", row.version), ("updated_at", row.updated_at)):
        set_committed_value(record, name, value)


@cache
def _statement(table: Table, columns: tuple[str, ...], audited: tuple[str, ...]) -> Select[Any]:
    """The statement for one shape of change, built once (parameters bound at execution).

    Parameters are prefixed (`w_` where, `v_` values, `a_` audit): an UPDATE would take a
    parameter named after one of its columns as a value to SET.
    """
    changed = (
        update(table)
        .where(table.c.id == bindparam("w_id"), table.c.version == bindparam("w_version"))
        .values(
            {c: bindparam(f"v_{c}", type_=table.c[c].type) for c in columns}
            | {"version": table.c.version + 1, "updated_at": func.now()}
        )
        .returning(table.c.version, table.c.updated_at)
        .cte("changed")
    )
    entry = (
        _ENTRIES.insert()
        .from_select(
            list(audited),
            select(*(bindparam(f"a_{c}", type_=_ENTRIES.c[c].type) for c in audited)).select_from(
                changed
            ),
        )
        .cte("entry")
    )
    return select(changed.c.version, changed.c.updated_at).add_cte(entry)
