"""Every export route, probed with a key of every role: each key gets exactly its own
scope's rows (territory: its territory's; region: its region's, for funds with regional
preselection; operator: its funds'), observers only the statistics, and the open-data
export only its publisher (an operator: its own funds; admins: any operator's)."""

import csv
import io

import openpyxl
import pytest
from fastapi import FastAPI

from tests.exports.conftest import PUBLISHER_SIRET, Programme
from tests.fixtures.http import api_routes, assert_problem

ALL = ("foundry", "friche", "glass", "kiln", "green", "pending", "advance")
VISIBLE = {
    "admin": ALL,
    "pontivy": ("foundry", "friche", "pending"),
    "albi": ("glass", "kiln", "green"),
    # Funds with regional preselection (acceleration, friches) in the region; not ADEME's.
    "brittany": ("foundry", "friche", "pending"),
    "occitania": ("glass", "kiln"),
    "bpifrance": ("foundry", "glass", "kiln", "pending", "advance"),
    "ademe": ("green",),
}
ROW_EXPORTS = ("applications", "projects")
EXPORT_ROUTES = {
    "/v1/exports/applications",
    "/v1/exports/projects",
    "/v1/exports/statistics",
    "/v1/exports/subsidies/{operator_code}",
}


def test_every_export_route_is_probed_here(app: FastAPI) -> None:
    routes = {path for _, path, _ in api_routes(app) if path.startswith("/v1/exports")}
    assert routes == EXPORT_ROUTES


class TestRowExports:
    @pytest.mark.parametrize("who", sorted(VISIBLE))
    async def test_each_key_exports_exactly_its_applications(
        self, programme: Programme, who: str
    ) -> None:
        rows = await programme.rows(who, "applications")
        assert {row["id"] for row in rows} == programme.ids(*VISIBLE[who])

    @pytest.mark.parametrize("who", sorted(VISIBLE))
    async def test_each_key_exports_exactly_the_projects_of_them(
        self, programme: Programme, who: str
    ) -> None:
        rows = await programme.rows(who, "projects")
        projects = {str(programme.applications[name].project_id) for name in VISIBLE[who]}
        assert {row["id"] for row in rows} == projects

    async def test_naming_another_territory_finds_nothing(self, programme: Programme) -> None:
        for path in ROW_EXPORTS:
            rows = await programme.rows(
                "pontivy", path, territory_id=str(programme.albi.id), format="csv"
            )
            assert rows == []

    @pytest.mark.parametrize("path", ROW_EXPORTS)
    async def test_observers_may_not_export_records(self, programme: Programme, path: str) -> None:
        assert_problem(await programme.get("observer", path, expect=403), 403)

    @pytest.mark.parametrize("path", ROW_EXPORTS)
    async def test_xlsx_holds_the_same_rows(self, programme: Programme, path: str) -> None:
        csv_ids = {row["id"] for row in await programme.rows("albi", path)}
        response = await programme.get("albi", path, format="xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(response.content))[path]
        xlsx_ids = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
        assert csv_ids
        assert xlsx_ids == csv_ids

    async def test_no_key_is_401(self, programme: Programme) -> None:
        for path in (*ROW_EXPORTS, "statistics"):
            response = await programme.client.get(f"/v1/exports/{path}")
            assert_problem(response, 401)


class TestStatisticsExport:
    @pytest.mark.parametrize("who", [*sorted(VISIBLE), "observer"])
    async def test_each_key_counts_its_own_scope(self, programme: Programme, who: str) -> None:
        rows = await programme.rows(who, "statistics")
        figures = {row["figure"]: row["count"] for row in rows}
        stats = await programme.client.get(
            "/v1/stats/programme", headers={"Authorization": f"Bearer {programme.keys[who].secret}"}
        )
        assert figures["applications"] == str(stats.json()["applications"]["count"])

    async def test_a_territory_counts_only_its_applications(self, programme: Programme) -> None:
        rows = await programme.rows("pontivy", "statistics", table="territories")
        assert [(row["code"], row["applications"]) for row in rows] == [("ti-pontivy", "3")]


class TestSubsidiesExport:
    @pytest.mark.parametrize("who", ["pontivy", "albi", "brittany", "occitania", "observer"])
    async def test_only_publishers_may_call(self, programme: Programme, who: str) -> None:
        response = await programme.get(
            who, "subsidies/bpifrance", expect=403, id_attribuant=PUBLISHER_SIRET
        )
        assert_problem(response, 403)

    async def test_an_operator_publishes_its_own_awards(self, programme: Programme) -> None:
        response = await programme.get(
            "bpifrance", "subsidies/bpifrance", id_attribuant=PUBLISHER_SIRET
        )
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert {row["referenceDecision"] for row in rows} == programme.ids("foundry", "glass")

    async def test_another_operators_awards_are_404(self, programme: Programme) -> None:
        response = await programme.get(
            "ademe", "subsidies/bpifrance", expect=404, id_attribuant=PUBLISHER_SIRET
        )
        assert_problem(response, 404)
