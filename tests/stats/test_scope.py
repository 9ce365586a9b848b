"""Each key reads the statistics of its own scope, applied in the queries: a territory's
equal the programme's filtered to it, a region's to its region, an operator's to its funds;
observers read the aggregates of the whole programme."""

from typing import Any

import pytest

from tests.stats.conftest import Programme

PATHS = ("", "/territories", "/regions")


class TestScopes:
    @pytest.mark.parametrize(
        ("who", "admin_filter"),
        [
            ("pontivy", {"territory_id": "pontivy"}),
            ("albi", {"territory_id": "albi"}),
            ("brittany", {"region": "53"}),
            ("occitania", {"region": "76"}),
            ("bpifrance", {"fund": "fonds-acceleration"}),
            ("etat", {"fund": "fonds-friches"}),
            ("observer", {}),
        ],
    )
    async def test_a_key_reads_the_programme_filtered_to_its_scope(
        self, programme: Programme, who: str, admin_filter: dict[str, str]
    ) -> None:
        params = _resolved(programme, admin_filter)
        for path in PATHS:
            mine = await programme.stats(who, path)
            assert mine == await programme.stats("admin", path, **params), (who, path)

    async def test_a_territory_never_reads_another_territory(self, programme: Programme) -> None:
        other = await programme.stats("pontivy", territory_id=str(programme.albi.id))
        assert other["applications"]["count"] == 0
        assert other["amounts"]["requested_cents"] == 0
        listed = await programme.stats("pontivy", "/territories")
        assert [t["territory_code"] for t in listed["items"]] == ["ti-pontivy"]
        regions = await programme.stats("albi", "/regions")
        assert [r["region_code"] for r in regions["items"]] == ["76"]

    async def test_an_operator_reads_only_its_funds(self, programme: Programme) -> None:
        stats = await programme.stats("etat")
        assert stats["applications"]["count"] == 1
        assert stats["amounts"]["requested_cents"] == 50_000
        elsewhere = await programme.stats("etat", fund="fonds-acceleration")
        assert elsewhere["applications"]["count"] == 0

    async def test_every_route_needs_a_key(self, programme: Programme) -> None:
        for path in PATHS:
            response = await programme.client.get(f"/v1/stats/programme{path}")
            assert response.status_code == 401, path


def _resolved(programme: Programme, params: dict[str, str]) -> dict[str, Any]:
    territories = {"pontivy": programme.pontivy.id, "albi": programme.albi.id}
    return {
        name: str(territories[value]) if name == "territory_id" else value
        for name, value in params.items()
    }
