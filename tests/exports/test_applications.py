"""Row exports: the applications and their projects, CSV parsed back and XLSX typed."""

import csv
import io
import uuid
from datetime import UTC, date, datetime

import openpyxl
from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.applications.models import Application
from shared.exports.repository import APPLICATION_FIELDS
from tests.exports.conftest import Programme
from tests.fixtures.http import assert_problem

SUBMITTED = ("foundry", "friche", "glass", "kiln", "green", "pending", "advance")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class TestApplicationsCsv:
    async def test_rows_parse_back_to_the_submitted_applications(
        self, programme: Programme
    ) -> None:
        rows = await programme.rows("admin", "applications")
        assert [column.header for column, _ in APPLICATION_FIELDS] == list(rows[0])
        assert len(rows) == len(SUBMITTED)
        assert {row["id"] for row in rows} == programme.ids(*SUBMITTED)

    async def test_values_are_written_as_documented(self, programme: Programme) -> None:
        rows = await programme.rows("admin", "applications")
        foundry = next(r for r in rows if r["id"] in programme.ids("foundry"))
        assert foundry["fund"] == "fonds-acceleration"
        assert foundry["territory"] == "ti-pontivy"
        assert foundry["department"] == "56"
        assert foundry["title"] == "Fonderie de Pontivy"
        assert foundry["priorities"] == "decarbonation"
        assert foundry["submitted_at"] == "2026-01-10T12:00:00Z"
        assert foundry["requested_eur"] == "60000.00"
        assert foundry["awarded_eur"] == "50000.00"
        assert foundry["paid_eur"] == "30000.00"
        assert foundry["agreement_signed_on"] == "2026-02-20"
        assert foundry["decided_at"] == "2026-02-09T12:00:00Z"
        assert foundry["jobs_created"] == "10"
        assert foundry["investment_eur"] == "10000.00"
        friche = next(r for r in rows if r["id"] in programme.ids("friche"))
        assert friche["awarded_eur"] == ""
        assert friche["agreement_signed_on"] == ""

    async def test_headers_name_a_csv_attachment(self, programme: Programme) -> None:
        response = await programme.get("admin", "applications")
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="tidi-applications-')
        assert disposition.endswith('.csv"')

    async def test_many_applications_cross_every_chunk_and_batch(
        self, programme: Programme, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessionmaker() as session:
            await _clone(session, programme.applications["friche"].id, 2_345)
            await session.commit()
        response = await programme.get("admin", "applications")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) == 1 + len(SUBMITTED) + 2_345
        assert len({row[0] for row in rows[1:]}) == len(rows) - 1
        assert {len(row) for row in rows} == {len(APPLICATION_FIELDS)}

    async def test_filters_are_the_statistics_filters(self, programme: Programme) -> None:
        by_fund = await programme.rows("admin", "applications", fund="fonds-vert-ti")
        assert {r["id"] for r in by_fund} == programme.ids("green")
        period = await programme.rows(
            "admin", "applications", submitted_from="2026-02-15", submitted_to="2026-02-16"
        )
        assert {r["id"] for r in period} == programme.ids("glass", "kiln")
        fragile = await programme.rows("admin", "applications", fragile="true")
        assert {r["id"] for r in fragile} == programme.ids("foundry", "friche", "pending")
        not_fragile = await programme.rows("admin", "applications", fragile="false")
        assert {r["id"] for r in not_fragile} == programme.ids("glass", "kiln", "green", "advance")
        region = await programme.rows("admin", "applications", region="76", status="funded")
        assert {r["id"] for r in region} == programme.ids("kiln")
        department = await programme.rows("admin", "applications", department="75")
        assert {r["id"] for r in department} == programme.ids("advance")

    async def test_a_period_ending_before_it_starts_is_422(self, programme: Programme) -> None:
        response = await programme.get(
            "admin",
            "applications",
            expect=422,
            submitted_from="2026-03-01",
            submitted_to="2026-02-01",
        )
        assert_problem(response, 422)

    async def test_an_unknown_format_is_422(self, programme: Programme) -> None:
        response = await programme.get("admin", "applications", expect=422, format="ods")
        assert_problem(response, 422)


class TestApplicationsXlsx:
    async def test_cells_are_typed_and_the_header_frozen(self, programme: Programme) -> None:
        response = await programme.get("admin", "applications", format="xlsx")
        assert response.headers["content-type"] == XLSX
        assert response.headers["content-disposition"].endswith('.xlsx"')
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        sheet = workbook["applications"]
        assert sheet.freeze_panes == "A2"
        header = [cell.value for cell in sheet[1]]
        assert header == [column.header for column, _ in APPLICATION_FIELDS]
        rows = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)}
        assert set(rows) == programme.ids(*SUBMITTED)
        foundry = rows[str(programme.applications["foundry"].id)]
        submitted = foundry["submitted_at"]
        assert submitted.is_date
        assert submitted.value == datetime(2026, 1, 10, 12, 0, tzinfo=UTC).replace(tzinfo=None)
        signed = foundry["agreement_signed_on"]
        assert signed.is_date
        assert signed.value.date() == date(2026, 2, 20)
        for name, euros in (("requested_eur", 60_000), ("awarded_eur", 50_000)):
            cell = foundry[name]
            assert cell.data_type == "n"
            assert cell.value == euros
            assert "€" in cell.number_format
        assert foundry["jobs_created"].value == 10

    async def test_projects_export_holds_each_project_once(self, programme: Programme) -> None:
        response = await programme.get("admin", "projects", format="xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(response.content))["projects"]
        assert sheet.freeze_panes == "A2"
        header = [cell.value for cell in sheet[1]]
        rows = [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2)]
        projects = {str(programme.applications[name].project_id) for name in SUBMITTED}
        assert sorted(row["id"].value for row in rows) == sorted(projects)
        foundry = next(r for r in rows if r["title"].value == "Fonderie de Pontivy")
        assert foundry["applications"].value == 2
        assert foundry["requested_eur"].value == 60_500
        assert "€" in foundry["awarded_eur"].number_format


class TestProjectsCsv:
    async def test_projects_of_the_filtered_applications(self, programme: Programme) -> None:
        rows = await programme.rows("admin", "projects", fund="fonds-vert-ti")
        assert [r["id"] for r in rows] == [str(programme.applications["green"].project_id)]
        assert rows[0]["applications"] == "1"
        assert rows[0]["awarded_eur"] == "24000.00"


async def _clone(session: AsyncSession, template_id: uuid.UUID, count: int) -> None:
    """`count` copies of a (closed) application, each with its own id."""
    template = await session.scalar(select(Application).where(Application.id == template_id))
    assert template is not None
    columns = {
        attribute.key: getattr(template, attribute.key)
        for attribute in inspect(Application).column_attrs
        if attribute.key not in {"id", "created_at", "updated_at"}
    }
    session.add_all(Application(id=uuid.uuid4(), **columns) for _ in range(count))
    await session.flush()
