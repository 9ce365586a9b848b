"""The programme statistics count the labelled sites by region (the public catalogue):
proposals and refusals are not counted; the place and territory filters apply."""

import pytest

from tests.sites.conftest import ALBI, NOYAL_PONTIVY, Keys, create, labelled

STATS = "/v1/stats/programme"


@pytest.fixture
async def sites(keys: Keys) -> None:
    """Two labelled sites in Bretagne, one in Occitanie, a proposal and a refusal."""
    await labelled(keys)
    await labelled(keys, place=NOYAL_PONTIVY, vintage=2021)
    await labelled(keys, place=ALBI, territory_id=keys.ids["other_territory"])
    proposal = await keys["territory"].act(await create(keys["territory"]), "sites", "propose")
    refused = await keys["territory"].act(await create(keys["territory"]), "sites", "propose")
    await keys["admin"].act(refused, "sites", "refuse", json={"reason": "Trop petit."})
    assert proposal["status"] == "proposed"


@pytest.mark.usefixtures("sites")
class TestLabelledSitesByRegion:
    @pytest.mark.parametrize("who", ["admin", "observer", "territory", "operator", "region"])
    async def test_counted_by_region_for_every_key(self, keys: Keys, who: str) -> None:
        stats = await keys[who].call("GET", STATS, expect=200)
        assert stats.json()["labelled_sites_by_region"] == {"53": 2, "76": 1}

    async def test_place_and_territory_filters_apply(self, keys: Keys) -> None:
        observer = keys["observer"]
        by_region = await observer.call("GET", STATS, params={"region": "76"}, expect=200)
        assert by_region.json()["labelled_sites_by_region"] == {"76": 1}
        by_department = await observer.call("GET", STATS, params={"department": "81"}, expect=200)
        assert by_department.json()["labelled_sites_by_region"] == {"76": 1}
        territory = {"territory_id": keys.ids["territory"]}
        by_territory = await keys["admin"].call("GET", STATS, params=territory, expect=200)
        assert by_territory.json()["labelled_sites_by_region"] == {"53": 2}

    async def test_per_region_figures_leave_it_out(self, keys: Keys) -> None:
        page = await keys["admin"].call("GET", f"{STATS}/regions", expect=200)
        assert all(item["labelled_sites_by_region"] is None for item in page.json()["items"])
