"""The ranking of a fund's eligible applications by their latest assessment."""

from typing import Any

import pytest

from shared.principal import Role
from tests.eligibility.ruleset_flows import SHIPPED, scored_friche
from tests.fixtures.builders import Key, MakeKey
from tests.fixtures.flows import update_row

pytestmark = pytest.mark.usefixtures("open_fund_windows")
RANKING = "/v1/funds/fonds-friches/ranking"


@pytest.fixture
async def ranked(
    portal: Any, territory_key: tuple[Any, Key], sessionmaker: Any
) -> dict[str, dict[str, Any]]:
    """Friche applications: two tied at 6 points of area, one at 15, one ineligible."""
    _, key = territory_key
    p = portal(key.secret)
    apps = {
        "small_early": await scored_friche(p, sessionmaker, area_ha=4),
        "large": await scored_friche(p, sessionmaker, area_ha=10),
        "small_late": await scored_friche(p, sessionmaker, area_ha=4),
        "ineligible": await scored_friche(p, sessionmaker, former_use="forest"),
    }
    # Same points, submitted in this order: the earlier one ranks first.
    await update_row(
        sessionmaker, "applications", apps["small_late"]["id"], submitted_at=_later(apps)
    )
    return apps


def _later(apps: dict[str, dict[str, Any]]) -> Any:
    from datetime import datetime, timedelta

    return datetime.fromisoformat(apps["small_early"]["submitted_at"]) + timedelta(hours=1)


class TestRanking:
    async def test_orders_by_points_then_submission_and_pages_by_cursor(
        self, portal: Any, admin_key: Key, ranked: dict[str, dict[str, Any]]
    ) -> None:
        p = portal(admin_key.secret)

        whole = (await p.call("GET", RANKING, expect=200)).json()
        seen, cursor = [], None
        while True:
            params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
            page = (await p.call("GET", RANKING, params=params, expect=200)).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        expected = [ranked[name]["id"] for name in ("large", "small_early", "small_late")]
        assert [i["application_id"] for i in whole["items"]] == expected
        assert [i["application_id"] for i in seen] == expected
        points = [i["total_points"] for i in whole["items"]]
        assert points[0] > points[1] == points[2]
        first = whole["items"][0]
        assert (first["ruleset_version"], first["max_points"]) == (SHIPPED, 100)
        assert first["project_title"]

    @pytest.mark.usefixtures("ranked")
    async def test_the_fund_operator_sees_it_and_other_operators_get_404(
        self, portal: Any, make_key: MakeKey
    ) -> None:
        own = await make_key(Role.OPERATOR, operator_code="etat")
        other = await make_key(Role.OPERATOR, operator_code="bpifrance")

        items = (await portal(own.secret).call("GET", RANKING, expect=200)).json()["items"]
        refused = await portal(other.secret).call("GET", RANKING, expect=404)

        assert len(items) == 3
        assert refused.json()["type"].endswith("/fund-not-found")
        await portal(other.secret).call("GET", "/v1/funds/fonds-acceleration/ranking", expect=200)

    async def test_territories_and_observers_are_refused(
        self, portal: Any, territory_key: tuple[Any, Key], make_key: MakeKey
    ) -> None:
        _, key = territory_key
        observer = await make_key(Role.OBSERVER)

        await portal(key.secret).call("GET", RANKING, expect=403)
        await portal(observer.secret).call("GET", RANKING, expect=403)

    async def test_a_malformed_cursor_is_400_and_an_unknown_fund_404(
        self, portal: Any, admin_key: Key
    ) -> None:
        p = portal(admin_key.secret)

        await p.call("GET", RANKING, params={"cursor": "not-a-cursor"}, expect=400)
        await p.call("GET", "/v1/funds/no-such-fund/ranking", expect=404)
