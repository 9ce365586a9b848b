"""Exports: the applications, their projects and the statistics as CSV or XLSX, and the
awards above 23,000 € in the SCDL « Subventions » open-data format, each within the
caller's scope and with the statistics filters.

Exports are streamed in the response, not run as jobs. A row export reads one statement
through a server-side cursor (a thousand rows a round trip) inside one read-only
REPEATABLE READ transaction (the reporting replica when configured): the file is one
consistent snapshot, memory stays flat whatever the row count, and the first bytes leave
as soon as the first rows are read. CSV is written as rows arrive; XLSX is written by
openpyxl's write-only workbook into a temporary file (its rows go to disk as they come),
then that file is streamed and deleted. A job would need storage for the files, their
expiry, access control on a download link and a progress channel, for an export that
takes seconds even at 100,000 applications (`bench/exports.py`); a client that loses the
connection asks again.
"""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.fr import siret as stdnum_siret

from shared.exports import formats, repository, scdl, statistics
from shared.exports.errors import InvalidAttribuant
from shared.exports.schemas import ExportFormat, Row, StatsTable, Table
from shared.operators import service as operators_service
from shared.operators.errors import OperatorNotFound
from shared.operators.models import Operator
from shared.principal import Principal, Role
from shared.stats.filters import StatsFilters


@dataclass(frozen=True, slots=True)
class ExportFile:
    """A file being produced: its name, media type and bytes (read once)."""

    filename: str
    media_type: str
    chunks: AsyncIterator[bytes]


async def applications(
    session: AsyncSession, principal: Principal, filters: StatsFilters, *, fmt: ExportFormat
) -> ExportFile:
    """The applications the statistics count, in the caller's scope, matching `filters`:
    one row each, as submitted, with its decision, award and payments."""
    statement = repository.applications(principal, filters)
    columns = [column for column, _ in repository.APPLICATION_FIELDS]
    rows = await _rows(session, statement)
    return await _file("applications", fmt, [Table("applications", columns, rows)])


async def projects(
    session: AsyncSession, principal: Principal, filters: StatsFilters, *, fmt: ExportFormat
) -> ExportFile:
    """The projects of those applications, each once, with their current record and the
    count and money of their applications in the export."""
    fields, statement = repository.projects(principal, filters)
    rows = await _rows(session, statement)
    return await _file("projects", fmt, [Table("projects", [c for c, _ in fields], rows)])


async def statistics_export(
    session: AsyncSession,
    principal: Principal,
    filters: StatsFilters,
    *,
    fmt: ExportFormat,
    table: StatsTable,
) -> ExportFile:
    """The statistics: CSV holds the one `table`; XLSX every table, a sheet each, with a
    chart sheet of the monthly series."""
    which = (table,) if fmt is ExportFormat.CSV else tuple(StatsTable)
    tables = await statistics.tables(session, principal, filters, which)
    stem = f"statistics-{table}" if fmt is ExportFormat.CSV else "statistics"
    return await _file(stem, fmt, tables)


async def subsidies(
    session: AsyncSession,
    principal: Principal,
    filters: StatsFilters,
    *,
    operator_code: str,
    attribuant_siret: str,
) -> ExportFile:
    """The subsidies in force of an operator's funds above 23,000 €, with a signed
    agreement, as SCDL « Subventions » 2.1.1 CSV (see `shared.exports.scdl`).

    Raises:
        OperatorNotFound: no such operator, or another operator's (for an operator key).
        InvalidAttribuant: `attribuant_siret` is not a valid SIRET.
    """
    operator = await _publisher(session, principal, operator_code)
    if not stdnum_siret.is_valid(attribuant_siret):
        raise InvalidAttribuant(
            "idAttribuant must be a valid SIRET (14 digits, Luhn key)",
            pointer="/query/id_attribuant",
        )
    statement = repository.awards(
        principal,
        filters,
        operator_code=operator.code,
        above_cents=scdl.PUBLICATION_THRESHOLD_CENTS,
    )
    awards = await _rows(session, statement)

    async def records() -> AsyncIterator[Row]:
        async for award in awards:
            yield scdl.record(
                award, attribuant_name=operator.name, attribuant_siret=attribuant_siret
            )

    table = Table("subventions", scdl.COLUMNS, records())
    return await _file(f"subventions-{operator.code}", ExportFormat.CSV, [table])


async def _publisher(session: AsyncSession, principal: Principal, code: str) -> Operator:
    """The operator whose awards are published: an operator key publishes its own only."""
    operator = await operators_service.get(session, code)
    if principal.role is Role.OPERATOR and operator.id != principal.operator_id:
        raise OperatorNotFound(f"no operator with code {code!r}")
    return operator


async def _rows(session: AsyncSession, statement: Select[Any]) -> AsyncIterator[Any]:
    """The statement's rows, its execution started now (so that an error is raised before
    any byte is sent)."""
    result = await repository.open_stream(session, statement)
    return repository.rows(result)


async def _file(stem: str, fmt: ExportFormat, tables: Sequence[Table]) -> ExportFile:
    day = datetime.now(UTC).date().isoformat()
    filename = f"tidi-{stem}-{day}.{fmt.value}"
    if fmt is ExportFormat.CSV:
        return ExportFile(filename, fmt.media_type, formats.csv_chunks(tables[0]))
    path = formats.temporary_path(".xlsx")
    try:
        await formats.write_xlsx(tables, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ExportFile(filename, fmt.media_type, formats.file_chunks(path))
