"""Publishing events: with their webhook deliveries, in the caller's transaction, and the
first attempts deferred to after commit (`shared.jobs.defer_job`).

`record_event` writes an event of its own; `record_change` writes a versioned row change
with its audit entry and, optionally, the event announcing it; `record_changes` writes many
such changes (a batch) at once. Each is one statement (`shared.outbox.repository`). The
webhook sweeper re-enqueues any delivery whose job was lost, so a crash or a Redis loss
between commit and enqueue loses nothing.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Row, Table
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from shared.db.engine import json_text
from shared.events.service import NewEvent
from shared.jobs import defer_job
from shared.outbox import repository
from shared.webhooks.jobs import first_attempt_jobs


async def record_event(
    session: AsyncSession, event: NewEvent, *, route_tags: Sequence[str] = ()
) -> None:
    """Write `event` (`shared.events.service.new_event`) and one delivery per subscribed
    endpoint, committed with the change.

    The audience is the event's operator (an application's fund operator) and the operators
    whose routing rules match one of `route_tags` (`priority:decarbonation`...). Each
    endpoint of that audience gets a delivery when its event-type and fund filters accept the
    event; endpoints whose circuit is open or which are disabled get one too (sent later) but
    no job.
    """
    params = _event_parameters(event, route_tags)
    rows = await session.execute(repository.publish_statement(), params)
    _start_lanes(session, rows)


async def record_change(
    session: AsyncSession,
    record: DeclarativeBase,
    values: dict[str, Any],
    entry: dict[str, Any],
    *,
    event: NewEvent | None = None,
) -> None:
    """Write `values` to the row of `record` (a versioned model), the audit `entry` and `event`.

    `entry` holds the audit columns (`shared.audit.service.entry_values`). The version is
    bumped and `updated_at` set by the database; both are read back onto `record` (so the
    session has nothing left to flush), and stamped on the event (its `sequence` and
    `occurred_at`, in its columns and in its data). A row changed since `record` was loaded
    raises `StaleDataError` (412), as the ORM's own version check does, and nothing is
    written.
    """
    table: Table = record.__table__  # type: ignore[assignment]
    statement = repository.change_statement(table, tuple(values), tuple(entry), event is not None)
    params = {f"v_{k}": v for k, v in values.items()} | {f"a_{k}": v for k, v in entry.items()}
    params |= {"w_id": record.id, "w_version": record.version}  # type: ignore[attr-defined]
    if event is not None:
        params |= _event_parameters(event, ())
    rows = (await session.execute(statement, params)).all()
    if not rows:
        raise StaleDataError(f"{table.name} {record.id} changed since it was read")  # type: ignore[attr-defined]
    version, updated_at = rows[0][:2]
    for name, value in (*values.items(), ("version", version), ("updated_at", updated_at)):
        set_committed_value(record, name, value)
    if event is not None:
        _start_lanes(session, (row[2:] for row in rows if row[2] is not None))


@dataclass(frozen=True, slots=True)
class RowChange:
    """One row's change in a batch: `values` for the row at `version`, its audit `entries`
    (`shared.audit.service.entry_values`, in order) and, optionally, its `event` (announced
    without route tags, as `record_change` does)."""

    record_id: uuid.UUID
    version: int
    values: dict[str, Any]
    entries: Sequence[dict[str, Any]]
    event: NewEvent | None = None


async def record_changes(
    session: AsyncSession, table: Table, changes: Sequence[RowChange], *, steps: int = 1
) -> None:
    """`record_change` for many rows of `table` in one statement, each row making `steps`
    moves (its version goes up by as many; its entries record them).

    Every change sets the same columns and its entries the same audit columns; the events,
    if any, are written for every row that has one. The rows are written with what they
    announce, or, if one of them changed since it was read, nothing is (`StaleDataError`).
    The records loaded in the session are not refreshed: batches work on rows, not objects.
    """
    if not changes:
        return
    columns = tuple(changes[0].values)
    audited = tuple(changes[0].entries[0]) if changes[0].entries else ()
    entries = [(change.record_id, entry) for change in changes for entry in change.entries]
    events = [(change.record_id, change.event) for change in changes if change.event]
    params: dict[str, Any] = {
        "w_id": [change.record_id for change in changes],
        "w_version": [change.version for change in changes],
        "w_steps": steps,
        "a_row": [row for row, _ in entries],
    }
    params |= {f"v_{n}": [_text(c.values[n]) for c in changes] for n in columns}
    params |= {f"a_{n}": [_text(entry[n]) for _, entry in entries] for n in audited}
    if events:
        params["e_row"] = [row for row, _ in events]
        fields = (*repository.EVENT_COLUMNS, "deciding_region")
        params |= {f"e_{n}": [getattr(event, n) for _, event in events] for n in fields}
        params["e_data"] = [json_text(event.data) for _, event in events]
    statement = repository.change_many_statement(table, columns, audited, bool(events))
    rows = (await session.execute(statement, params)).all()
    if rows[0][0] != len(changes):
        raise StaleDataError(f"{rows[0][0]} of {len(changes)} {table.name} rows written")
    if events:
        _start_lanes(session, (row[1:] for row in rows if row[1] is not None))


def _text(value: Any) -> str | None:
    """A value as the text PostgreSQL casts to its column's type (JSON for documents)."""
    if value is None or type(value) is str:
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, (dict, list)):
        return json_text(value)
    return str(value)


def _event_parameters(event: NewEvent, route_tags: Sequence[str]) -> dict[str, Any]:
    """`e_<column>` for each of the event's columns (a versioned change stamps `sequence`
    and `occurred_at` itself: those two are then not read), the route tags, and the region
    whose Region co-decides it (`e_deciding_region`)."""
    columns = {f"e_{name}": value for name, value in event.fields().items()}
    return columns | {"e_route_tags": list(route_tags)}


def _start_lanes(session: AsyncSession, deliveries: Iterable[Row[Any] | tuple[Any, ...]]) -> None:
    """Defer the first attempts of the deliveries just written (one job per lane)."""
    written = [tuple(row) for row in deliveries]
    for job in first_attempt_jobs(session, written):
        defer_job(session, job)
