"""Writing tables as files: CSV streamed a chunk at a time, XLSX through openpyxl's
write-only workbook (rows go to temporary files as they come, never all in memory).

CSV: UTF-8, comma, CRLF (RFC 4180); euros with two decimals and a point, dates and
instants in ISO 8601 (instants in UTC, `Z`), empty for a missing value. XLSX: one sheet per
table, its header frozen, cells typed (numbers, euros with a euro format, dates and
instants as date cells in UTC), and a chart sheet beside a table that carries a chart.
"""

import asyncio
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from shared.exports.schemas import Column, Kind, Row, Table

ROWS_PER_CHUNK = 500
"""CSV rows per chunk sent: large enough for few writes, small enough for flat memory."""
FILE_CHUNK_BYTES = 64 * 1024
EURO_FORMAT = '#,##0.00\\ "€"'
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
SHARE_FORMAT = "0.00%"
_CENT = Decimal("0.01")


def euros(cents: int) -> Decimal:
    """An amount in integer cents as euros, exactly (two decimals)."""
    return (Decimal(cents) / 100).quantize(_CENT)


def instant(value: datetime) -> str:
    """An instant in ISO 8601, in UTC with a `Z`."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _csv_value(kind: Kind, value: object) -> object:
    if value is None:
        return ""
    if kind is Kind.EUROS and isinstance(value, int | Decimal):
        return str(euros(int(value)))
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


async def csv_chunks(table: Table) -> AsyncIterator[bytes]:
    """The table as CSV, its header first, in chunks of `ROWS_PER_CHUNK` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    kinds = [column.kind for column in table.columns]
    writer.writerow([column.header for column in table.columns])
    written = 0
    async for row in table.rows:
        writer.writerow([_csv_value(k, v) for k, v in zip(kinds, row, strict=True)])
        written += 1
        if written % ROWS_PER_CHUNK == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


_FORMATS = {
    Kind.EUROS: EURO_FORMAT,
    Kind.DATE: DATE_FORMAT,
    Kind.DATETIME: DATETIME_FORMAT,
    Kind.SHARE: SHARE_FORMAT,
}


def _xlsx_value(kind: Kind, value: object) -> object:
    if value is None:
        return None
    if kind is Kind.EUROS and isinstance(value, int | Decimal):
        return euros(int(value))
    if isinstance(value, datetime):
        # Excel has no time zones: instants are written in UTC (said in the header).
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, str):
        return str(value)  # enumerations as their plain value
    if isinstance(value, int | float | Decimal | date):
        return value
    return str(value)  # identifiers (UUID)


def _cell_writer(sheet: Any, kind: Kind) -> Callable[[object], object]:
    """How a value of `kind` becomes a cell: typed cells carry their number format."""
    number_format = _FORMATS.get(kind)
    if number_format is None:
        return lambda value: _xlsx_value(kind, value)

    def typed(value: object) -> object:
        cell = WriteOnlyCell(sheet, value=_xlsx_value(kind, value))
        cell.number_format = number_format
        return cell

    return typed


async def write_xlsx(tables: Sequence[Table], path: Path) -> None:
    """Write `tables` as a workbook at `path`: a sheet per table (and a chart sheet after
    one that has a chart)."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(title=table.name[:31])
        count = await _write_sheet(sheet, table)
        if table.chart is not None and count:
            _add_chart(workbook, sheet, table, count)
    await asyncio.to_thread(workbook.save, path)


async def _write_sheet(sheet: Any, table: Table) -> int:
    """Header (bold, frozen) and rows; returns the number of rows written."""
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(column.header) + 2)
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    writers = [_cell_writer(sheet, column.kind) for column in table.columns]
    count = 0
    async for row in table.rows:
        sheet.append([write(value) for write, value in zip(writers, row, strict=True)])
        count += 1
    return count


def _add_chart(workbook: Any, sheet: Any, table: Table, count: int) -> None:
    chart_spec = table.chart
    assert chart_spec is not None  # noqa: S101 (checked by the caller)
    chart = LineChart()
    chart.title = chart_spec.title
    chart.y_axis.title = chart_spec.y_title
    chart.x_axis.title = table.columns[0].header
    for index in chart_spec.series:
        data = Reference(sheet, min_col=index + 1, min_row=1, max_row=count + 1)
        chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=count + 1))
    chartsheet = workbook.create_chartsheet(title=f"{table.name} chart"[:31])
    chartsheet.add_chart(chart)


def temporary_path(suffix: str) -> Path:
    """A new empty temporary file's path (the caller deletes it)."""
    handle, name = tempfile.mkstemp(prefix="tidi-export-", suffix=suffix)
    os.close(handle)
    return Path(name)


async def file_chunks(path: Path) -> AsyncIterator[bytes]:
    """The file's bytes a chunk at a time; the file is deleted once read (or abandoned)."""
    try:
        stream = await asyncio.to_thread(path.open, "rb")
        try:
            while chunk := await asyncio.to_thread(stream.read, FILE_CHUNK_BYTES):
                yield chunk
        finally:
            stream.close()
    finally:
        await asyncio.to_thread(path.unlink, missing_ok=True)


async def rows_of(values: Sequence[Row]) -> AsyncIterator[Row]:
    """Rows already in memory (a handful: the statistics' figures) as a table's rows."""
    for row in values:
        yield row


def headers(columns: Sequence[Column]) -> list[str]:
    """The headers of `columns`."""
    return [column.header for column in columns]
