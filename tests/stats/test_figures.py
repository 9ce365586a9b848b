"""The programme figures on a dataset of known figures: every number, the filters, the lists
per territory and per region and their pages."""

from typing import Any

from shared.applications.enums import ApplicationStatus
from shared.projects.enums import ProjectStatus
from tests.fixtures.http import assert_problem
from tests.stats.conftest import Programme

VINTAGES = [
    {"kind": "QPV", "label": "QPV", "vintage": "test-2025"},
    {"kind": "FRR", "label": "FRR", "vintage": "test-2025"},
    {"kind": "FRR_PLUS", "label": "FRR+", "vintage": "test-2025"},
    {"kind": "ACV", "label": "ACV", "vintage": "acv-test"},
    {"kind": "PVD", "label": "PVD", "vintage": "pvd-test"},
]


def applications(**counts: int) -> dict[str, int]:
    return {status.value: counts.get(status.value, 0) for status in ApplicationStatus}


def projects(**counts: int) -> dict[str, int]:
    return {status.value: counts.get(status.value, 0) for status in ProjectStatus}


def month(
    label: str, submitted: int, requested: int, awarded: int, awarded_cents: int, paid: int
) -> dict[str, Any]:
    return {
        "month": label,
        "submitted": submitted,
        "requested_cents": requested,
        "awarded": awarded,
        "awarded_cents": awarded_cents,
        "paid_cents": paid,
    }


def financers(state: tuple[int, int, int], region: tuple[int, int, int]) -> list[dict[str, Any]]:
    rows = {"state": state, "region": region, "operator": (0, 0, 0)}
    return [
        {"financer": name, "awarded_cents": a, "committed_cents": c, "paid_cents": p}
        for name, (a, c, p) in rows.items()
    ]


class TestProgrammeFigures:
    async def test_every_figure_of_the_programme(self, programme: Programme) -> None:
        stats = await programme.stats("admin")
        assert stats["applications"] == {
            "count": 5,
            "by_status": applications(
                funded=1, rejected=1, agreement_signed=1, under_review=1, cancelled=1
            ),
        }
        assert stats["projects"] == {"count": 4, "by_status": projects(active=3, completed=1)}
        assert stats["amounts"] == {
            "requested_cents": 710_000,
            "awarded_cents": 230_000,
            "committed_cents": 250_000,  # a cancelled award keeps what it paid
            "paid_cents": 70_000,
            "awarded_applications": 2,
            "by_financer": financers(state=(80_000, 100_000, 70_000), region=(150_000,) * 2 + (0,)),
        }
        # Each project once: its latest snapshot (p3 resubmitted with 32 jobs), its
        # latest report (p1's of September).
        assert stats["jobs"] == {
            "planned_created": 54,
            "planned_maintained": 33,
            "planned_investment_cents": 5_400_000,
            "projects_reporting": 2,
            "reported_created": 20,
            "reported_maintained": 28,
            "reported_investment_cents": 2_400_000,
        }
        assert stats["relocation"] == {
            "projects": 2,
            "planned_jobs_created": 42,
            "planned_jobs_maintained": 30,
            "reported_jobs_created": 20,
        }
        assert stats["fragile"] == {
            "zonings": ["FRR", "FRR+", "QPV", "ACV"],
            "projects": 2,
            "project_share": 0.5,
            "undetermined_projects": 1,  # Paris: no ACV list covers it
            "requested_cents": 150_000,
            "requested_share": 0.2113,
            "awarded_cents": 80_000,
            "awarded_share": 0.3478,
            "extension": {"zonings": ["PVD"], "projects": 1, "project_share": 0.25},
            "vintages": VINTAGES,
        }
        assert stats["monthly"] == [
            month("2026-01", 2, 150_000, 0, 0, 0),
            month("2026-02", 1, 200_000, 1, 80_000, 0),
            month("2026-03", 2, 360_000, 0, 0, 50_000),
            month("2026-04", 0, 0, 1, 150_000, 20_000),
        ]
        # 30, 40 and 50 days; the cancelled award's decision is not a first decision.
        assert stats["decision_delays"] == {"decided": 3, "median_days": 40.0, "p90_days": 48.0}

    async def test_no_application_gives_zeros_and_nulls(self, programme: Programme) -> None:
        stats = await programme.stats("admin", submitted_from="2030-01-01")
        assert stats["applications"] == {"count": 0, "by_status": applications()}
        assert stats["fragile"]["project_share"] is None
        assert stats["fragile"]["vintages"] == []
        assert stats["monthly"] == []
        assert stats["decision_delays"] == {"decided": 0, "median_days": None, "p90_days": None}


class TestFilters:
    async def _count(self, programme: Programme, **params: Any) -> int:
        stats = await programme.stats("admin", **params)
        return int(stats["applications"]["count"])

    async def test_each_filter_selects_its_applications(self, programme: Programme) -> None:
        cases: list[tuple[dict[str, Any], int]] = [
            ({"fund": "fonds-acceleration"}, 3),
            ({"status": ["funded", "cancelled"]}, 2),
            ({"submitted_from": "2026-02-01", "submitted_to": "2026-03-01"}, 2),  # both ends in
            ({"department": "81"}, 2),
            ({"region": "53"}, 2),
            ({"territory_id": str(programme.albi.id)}, 2),
            ({"priority": "innovation"}, 1),
            ({"nature": "creation"}, 1),
            ({"fragile": "true"}, 2),
            ({"fragile": "false"}, 3),
            ({"fund": "fonds-acceleration", "fragile": "true"}, 1),
        ]
        for params, expected in cases:
            assert await self._count(programme, **params) == expected, params

    async def test_a_period_ending_before_it_starts_is_422(self, programme: Programme) -> None:
        response = await programme.client.get(
            "/v1/stats/programme",
            params={"submitted_from": "2026-03-01", "submitted_to": "2026-02-01"},
            headers={"Authorization": f"Bearer {programme.keys['admin'].secret}"},
        )
        problem = assert_problem(response, 422)
        assert [e["pointer"] for e in problem["errors"]] == ["/query/submitted_to"]

    async def test_a_day_not_written_yyyy_mm_dd_is_422(self, programme: Programme) -> None:
        for written in ("0", "1767225600", "2026-3-1", "2026-03-01T00:00:00Z"):
            response = await programme.client.get(
                "/v1/stats/programme",
                params={"submitted_from": written},
                headers={"Authorization": f"Bearer {programme.keys['admin'].secret}"},
            )
            problem = assert_problem(response, 422)
            assert [e["pointer"] for e in problem["errors"]] == ["/query/submitted_from"], written

    async def test_an_unknown_filter_is_422(self, programme: Programme) -> None:
        response = await programme.client.get(
            "/v1/stats/programme",
            params={"territory": "ti-albi"},
            headers={"Authorization": f"Bearer {programme.keys['admin'].secret}"},
        )
        problem = assert_problem(response, 422)
        assert [e["pointer"] for e in problem["errors"]] == ["/query/territory"]


class TestLists:
    async def test_per_territory_figures_add_up_with_those_outside(
        self, programme: Programme
    ) -> None:
        page = await programme.stats("admin", "/territories")
        assert page["next_cursor"] is None
        albi, pontivy = page["items"]
        assert (albi["territory_code"], pontivy["territory_code"]) == ("ti-albi", "ti-pontivy")
        assert albi["territory_id"] == str(programme.albi.id)
        assert pontivy["applications"]["count"] == 2
        assert pontivy["amounts"]["by_financer"] == financers((80_000, 80_000, 50_000), (0, 0, 0))
        assert pontivy["fragile"]["project_share"] == 1.0
        assert pontivy["decision_delays"] == {"decided": 2, "median_days": 35.0, "p90_days": 39.0}
        assert albi["jobs"]["planned_created"] == 32
        assert albi["fragile"]["extension"]["project_share"] == 1.0
        assert albi["monthly"] == [
            month("2026-02", 1, 200_000, 0, 0, 0),
            month("2026-03", 1, 60_000, 0, 0, 0),
            month("2026-04", 0, 0, 1, 150_000, 0),
        ]
        # Each territory's figures are the programme's filtered to it.
        for item in page["items"]:
            alone = await programme.stats("admin", territory_id=item["territory_id"])
            assert _figures(item) == _figures(alone)

    async def test_per_region_figures(self, programme: Programme) -> None:
        page = await programme.stats("admin", "/regions")
        assert [(r["region_code"], r["region_name"]) for r in page["items"]] == [
            ("11", "Île-de-France"),
            ("53", "Bretagne"),
            ("76", "Occitanie"),
        ]
        for item in page["items"]:
            alone = await programme.stats("admin", region=item["region_code"])
            assert _figures(item) == _figures(alone)

    async def test_lists_are_paged_by_cursor(self, programme: Programme) -> None:
        first = await programme.stats("admin", "/regions", limit=2)
        assert [r["region_code"] for r in first["items"]] == ["11", "53"]
        second = await programme.stats("admin", "/regions", limit=2, cursor=first["next_cursor"])
        assert [r["region_code"] for r in second["items"]] == ["76"]
        assert second["next_cursor"] is None
        bad = await programme.client.get(
            "/v1/stats/programme/territories",
            params={"cursor": first["next_cursor"]},  # made for the regions
            headers={"Authorization": f"Bearer {programme.keys['admin'].secret}"},
        )
        assert_problem(bad, 400)

    async def test_lists_take_the_filters(self, programme: Programme) -> None:
        page = await programme.stats("admin", "/territories", fragile="true")
        assert [t["territory_code"] for t in page["items"]] == ["ti-pontivy"]


def _figures(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("territory_id", "territory_code", "territory_name", "region_code", "region_name")
    programme_only = ("labelled_sites_by_region", "endowment")  # null in the lists
    return {key: value for key, value in item.items() if key not in (*keys, *programme_only)}
