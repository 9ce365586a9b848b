"""The export contract: formats, the statistics tables, and the typed tables every export
writes (columns with a kind, rows read one at a time)."""

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from enum import StrEnum


class ExportFormat(StrEnum):
    """A file format: CSV (UTF-8, comma, RFC 4180) or XLSX (Office Open XML workbook)."""

    CSV = "csv"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        """The Content-Type of a file of this format."""
        return MEDIA_TYPES[self]


MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class StatsTable(StrEnum):
    """A table of the statistics export: the programme's figures, the monthly series, the
    figures per territory or per region."""

    PROGRAMME = "programme"
    MONTHLY = "monthly"
    TERRITORIES = "territories"
    REGIONS = "regions"


class Kind(StrEnum):
    """What a column holds, which decides how each format writes it."""

    TEXT = "text"
    INTEGER = "integer"
    EUROS = "euros"
    """Given in integer cents; written in euros (a number with two decimals)."""
    DATE = "date"
    DATETIME = "datetime"
    """An instant; written in UTC."""
    SHARE = "share"
    """A fraction between 0 and 1."""


@dataclass(frozen=True, slots=True)
class Column:
    """A column: its header (the CSV header, the XLSX header row) and its kind."""

    header: str
    kind: Kind = Kind.TEXT


Row = Sequence[object]


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart of some columns of a table over its first column (the XLSX chart sheet)."""

    title: str
    series: Sequence[int]
    """Indexes of the charted columns."""
    y_title: str = ""


@dataclass(slots=True)
class Table:
    """A named table of typed columns whose rows are read as they are written."""

    name: str
    columns: Sequence[Column]
    rows: AsyncIterator[Row]
    chart: Chart | None = None
