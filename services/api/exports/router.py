"""Exports: the applications, their projects and the statistics as CSV or XLSX files, and
the awards above 23,000 € as SCDL « Subventions » open data, streamed in the response."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import AdminOrOperator, AnyRole, RecordReader
from services.api.routing import TidiRoute
from services.api.stats.deps import get_read_session
from services.api.stats.router import StatsFiltersDep
from shared.exports import service
from shared.exports.schemas import MEDIA_TYPES, ExportFormat, StatsTable
from shared.exports.service import ExportFile
from shared.types import Siret

router = APIRouter(prefix="/v1/exports", tags=["exports"], route_class=TidiRoute)

ExportSessionDep = Annotated[AsyncSession, Depends(get_read_session)]
"""The reporting session, kept open while the file streams (one consistent snapshot)."""
FormatQuery = Annotated[
    ExportFormat,
    Query(
        alias="format",
        description="`csv` (UTF-8, comma, RFC 4180: euros with a decimal point, ISO 8601 "
        "dates, instants in UTC) or `xlsx` (typed cells: euros, dates; frozen header).",
    ),
]
CSV_MEDIA = "text/csv"
XLSX_MEDIA = MEDIA_TYPES[ExportFormat.XLSX]
_DISPOSITION = {
    "Content-Disposition": {
        "description": "`attachment`, with the file's name.",
        "schema": {"type": "string"},
        "example": 'attachment; filename="tidi-applications-2026-03-02.csv"',
    }
}


def _files(csv_example: str, *, xlsx: bool = True) -> dict[int | str, dict[str, Any]]:
    content: dict[str, Any] = {CSV_MEDIA: {"schema": {"type": "string"}, "example": csv_example}}
    if xlsx:
        content[XLSX_MEDIA] = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {
            "description": "The file, streamed (`Content-Disposition: attachment`).",
            "content": content,
            "headers": _DISPOSITION,
        }
    }


_SCOPE = """Streamed as it is read, from one consistent snapshot of the reporting
database (`DATABASE_READ_URL` when set). The format is chosen by `format`. Filters are those
of `GET /v1/stats/programme`; the applications are those the statistics count (submitted at
least once) among the caller's records: territory keys their territory's, operator keys
those to their funds, region keys those to preselect in their region."""


def _response(file: ExportFile) -> StreamingResponse:
    return StreamingResponse(
        file.chunks,
        media_type=file.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/applications",
    summary="Export the applications",
    description="""One row per application: fund, status, territory, site, project as
submitted, applicant, money requested, awarded and paid (euros), decision and agreement,
jobs and investment planned.

"""
    + _SCOPE,
    response_class=StreamingResponse,
    responses=_files(
        "id,fund,status,territory,region,...\r\n"
        "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11,fonds-acceleration,funded,ti-pontivy,53,...\r\n"
    ),
)
async def export_applications(
    principal: RecordReader,
    session: ExportSessionDep,
    filters: StatsFiltersDep,
    fmt: FormatQuery = ExportFormat.CSV,
) -> StreamingResponse:
    """The applications of the caller's scope matching the filters, as a file."""
    return _response(await service.applications(session, principal, filters, fmt=fmt))


@router.get(
    "/projects",
    summary="Export the projects",
    description="""One row per project with an exported application: its current record
(holder, site, investment, jobs, dates) and the count and money of those applications.

"""
    + _SCOPE,
    response_class=StreamingResponse,
    responses=_files(
        "id,status,title,territory,...\r\n"
        "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11,active,Fonderie de Pontivy,ti-pontivy,...\r\n"
    ),
)
async def export_projects(
    principal: RecordReader,
    session: ExportSessionDep,
    filters: StatsFiltersDep,
    fmt: FormatQuery = ExportFormat.CSV,
) -> StreamingResponse:
    """The projects of the exported applications, as a file."""
    return _response(await service.projects(session, principal, filters, fmt=fmt))


@router.get(
    "/statistics",
    summary="Export the statistics",
    description="""The figures of `GET /v1/stats/programme` (and per territory and per
region) as a file, within the caller's scope (aggregates only: observers too). CSV holds one
`table`: `programme` (a figure a row: count, amount in euros or share), `monthly` (the
monthly series), `territories` or `regions` (a group a row). XLSX holds all four, a sheet
each, cells typed and header frozen, with a chart sheet of the monthly series.""",
    response_class=StreamingResponse,
    responses=_files("figure,count,amount_eur,share\r\napplications,42,,\r\n"),
)
async def export_statistics(
    principal: AnyRole,
    session: ExportSessionDep,
    filters: StatsFiltersDep,
    fmt: FormatQuery = ExportFormat.CSV,
    table: Annotated[
        StatsTable, Query(description="The table of a CSV export (XLSX holds them all).")
    ] = StatsTable.PROGRAMME,
) -> StreamingResponse:
    """The statistics of the caller's scope matching the filters, as a file."""
    return _response(
        await service.statistics_export(session, principal, filters, fmt=fmt, table=table)
    )


@router.get(
    "/subsidies/{operator_code}",
    summary="Export an operator's subsidies as SCDL open data",
    description="""The subsidies above 23,000 € in force on the operator's funds, with a
signed agreement, in the SCDL « Subventions » format (Table Schema 2.1.1 of
schema.data.gouv.fr, CSV): the data their attribuant publishes (décret n° 2017-779).
`nomAttribuant` is the operator's name; `idAttribuant` its SIRET, given here (tidi does
not store operators' SIRETs). Operator keys publish their own funds' awards; the
statistics filters apply.""",
    response_class=StreamingResponse,
    responses=_files(
        "nomAttribuant,idAttribuant,dateConvention,...\r\n"
        "Bpifrance,<id_attribuant>,2027-03-01,...\r\n",
        xlsx=False,
    ),
)
async def export_subsidies(
    principal: AdminOrOperator,
    session: ExportSessionDep,
    filters: StatsFiltersDep,
    operator_code: Annotated[
        str, Path(max_length=64, description="The operator whose awards are published.")
    ],
    id_attribuant: Annotated[
        Siret, Query(description="The publisher's SIRET (`idAttribuant`): 14 digits.")
    ],
) -> StreamingResponse:
    """The operator's awards above 23,000 € as SCDL « Subventions » CSV."""
    file = await service.subsidies(
        session,
        principal,
        filters,
        operator_code=operator_code,
        attribuant_siret=id_attribuant,
    )
    return _response(file)
