"""A versioned row change, its audit entry and its outbox event in one statement.

    WITH changed AS (UPDATE … SET …, version = version + 1, updated_at = now()
                     WHERE id = :w_id AND version = :w_version RETURNING version, updated_at),
         entry AS (INSERT INTO audit_entries … SELECT … FROM changed),
         audience, event, delivery AS (…)            -- with an event: see `event_ctes`
    SELECT version, updated_at [, each delivery written] FROM changed

The entry and the event are written only if the row was, in the same round trip (one
statement is atomic, whatever the transaction around it); the loaded object then holds
the new values as its committed state, so the session has nothing left to flush.
"""

# ruff: noqa: S608 - statements are assembled from table and column names only

from functools import cache
from typing import Any

from sqlalchemy import Table, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from shared.audit.models import AuditEntry
from shared.events.service import NewEvent
from shared.jobs import defer_job
from shared.outbox.fanout import (
    DELIVERY_COLUMNS,
    DELIVERY_JOIN,
    EVENT_PARAMETER_TYPES,
    event_ctes,
    event_parameters,
)
from shared.webhooks.jobs import first_attempt_jobs

_ENTRIES: Table = AuditEntry.__table__  # type: ignore[assignment]


async def update_audited(
    session: AsyncSession,
    record: DeclarativeBase,
    values: dict[str, Any],
    entry: dict[str, Any],
    *,
    event: NewEvent | None = None,
) -> None:
    """Write `values` to the row of `record` (a versioned model), the audit `entry` and `event`.

    `entry` holds the audit columns (`shared.audit.service.entry_values`). The version is
    bumped and `updated_at` set by the database; both are read back onto `record`, and
    stamped on the event (its `sequence` and `occurred_at`, in its columns and its data).
    The event's webhook deliveries are written with it and their first attempts deferred
    to after commit. A row changed since `record` was loaded raises `StaleDataError`
    (412), as the ORM's own version check does, and nothing is written.
    """
    table: Table = record.__table__  # type: ignore[assignment]
    statement = _statement(table, tuple(values), tuple(entry), event is not None)
    params = {f"v_{k}": v for k, v in values.items()} | {f"a_{k}": v for k, v in entry.items()}
    params |= {"w_id": record.id, "w_version": record.version}  # type: ignore[attr-defined]
    if event is not None:
        params |= event_parameters(event)
    rows = (await session.execute(statement, params)).all()
    if not rows:
        raise StaleDataError(f"{table.name} {record.id} changed since it was read")  # type: ignore[attr-defined]
    version, updated_at = rows[0][:2]
    for name, value in (*values.items(), ("version", version), ("updated_at", updated_at)):
        set_committed_value(record, name, value)
    if event is not None:
        deliveries = [tuple(row[2:]) for row in rows if row[2] is not None]
        for job in first_attempt_jobs(session, deliveries):
            defer_job(session, job)


@cache
def _statement(
    table: Table, columns: tuple[str, ...], audited: tuple[str, ...], with_event: bool
) -> TextClause:
    """The statement for one shape of change, built once (parameters bound at execution).

    Parameters are prefixed (`w_` where, `v_` values, `a_` audit; the event's are
    `event_parameters`): an UPDATE would take a parameter named after one of its columns
    as a value to SET.
    """
    assignments = ", ".join(f"{c} = :v_{c}" for c in columns)
    sql = f"""WITH changed AS (
    UPDATE {table.name} SET {assignments}, version = version + 1, updated_at = now()
    WHERE id = :w_id AND version = :w_version
    RETURNING version, updated_at
), entry AS (
    INSERT INTO {_ENTRIES.name} ({", ".join(audited)})
    SELECT {", ".join(f":a_{c}" for c in audited)} FROM changed
)"""
    if with_event:
        sql += f""",{event_ctes(stamped_by="changed")}
SELECT changed.version, changed.updated_at, {DELIVERY_COLUMNS}
FROM changed LEFT JOIN ({DELIVERY_JOIN}) ON true"""
    else:
        sql += "\nSELECT version, updated_at FROM changed"
    types = [bindparam(f"v_{c}", type_=table.c[c].type) for c in columns]
    types += [bindparam(f"a_{c}", type_=_ENTRIES.c[c].type) for c in audited]
    types += [bindparam("w_id", type_=table.c.id.type)]
    if with_event:
        types += EVENT_PARAMETER_TYPES
    return text(sql).bindparams(*types)
