"""The statistics export: the figures of /v1/stats/programme as CSV tables and as a typed
workbook with a chart sheet of the monthly series."""

import io
import zipfile
from datetime import datetime

import openpyxl
from openpyxl.chartsheet import Chartsheet

from tests.exports.conftest import Programme
from tests.fixtures.api import auth


async def _stats(programme: Programme, who: str, **params: str) -> dict[str, object]:
    response = await programme.client.get(
        "/v1/stats/programme", params=params, headers=auth(programme.keys[who].secret)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestStatisticsCsv:
    async def test_programme_table_holds_the_figures_of_the_statistics(
        self, programme: Programme
    ) -> None:
        rows = await programme.rows("admin", "statistics")
        figures = {row["figure"]: row for row in rows}
        stats = await _stats(programme, "admin")
        assert figures["applications"]["count"] == str(stats["applications"]["count"])  # type: ignore[index]
        awarded = stats["amounts"]["awarded_cents"]  # type: ignore[index]
        assert figures["awarded"]["amount_eur"] == f"{awarded / 100:.2f}"
        assert figures["fragile projects"]["share"] != ""

    async def test_monthly_table_is_the_monthly_series(self, programme: Programme) -> None:
        rows = await programme.rows("admin", "statistics", table="monthly")
        stats = await _stats(programme, "admin")
        monthly = stats["monthly"]
        assert [row["month"] for row in rows] == [f"{m['month']}-01" for m in monthly]  # type: ignore[attr-defined]
        assert [row["submitted"] for row in rows] == [str(m["submitted"]) for m in monthly]  # type: ignore[attr-defined]

    async def test_group_tables_list_each_territory_and_region(self, programme: Programme) -> None:
        territories = await programme.rows("admin", "statistics", table="territories")
        assert [(r["code"], r["applications"]) for r in territories] == [
            ("ti-albi", "3"),
            ("ti-pontivy", "3"),
        ]
        regions = await programme.rows("admin", "statistics", table="regions")
        assert [r["code"] for r in regions] == ["11", "53", "76"]

    async def test_filters_apply(self, programme: Programme) -> None:
        rows = await programme.rows("admin", "statistics", fund="fonds-vert-ti")
        assert {r["figure"]: r["count"] for r in rows}["applications"] == "1"


class TestStatisticsXlsx:
    async def test_workbook_has_typed_sheets_and_a_monthly_chart(
        self, programme: Programme
    ) -> None:
        response = await programme.get("observer", "statistics", format="xlsx")
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        assert workbook.sheetnames == [
            "programme",
            "monthly",
            "monthly chart",
            "territories",
            "regions",
        ]
        (chartsheet,) = workbook.chartsheets
        assert isinstance(chartsheet, Chartsheet)
        # openpyxl reads charts back through no public API: the chart part of the package.
        with zipfile.ZipFile(io.BytesIO(response.content)) as package:
            charts = [name for name in package.namelist() if name.startswith("xl/charts/")]
            assert charts == ["xl/charts/chart1.xml"]
            chart = package.read(charts[0]).decode()
        assert "<lineChart>" in chart
        assert chart.count("<ser>") == 3
        assert "'monthly'!" in chart
        monthly = workbook["monthly"]
        assert monthly.freeze_panes == "A2"
        first = next(monthly.iter_rows(min_row=2, max_row=2))
        assert first[0].is_date
        assert first[0].value == datetime(2026, 1, 1)  # noqa: DTZ001 (Excel: naive)
        assert first[1].data_type == "n"
        assert "€" in first[2].number_format
        programme_sheet = workbook["programme"]
        assert programme_sheet.freeze_panes == "A2"
        awarded = next(r for r in programme_sheet.iter_rows(2) if r[0].value == "awarded")
        assert awarded[2].data_type == "n"
        assert "€" in awarded[2].number_format
