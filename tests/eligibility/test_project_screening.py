"""Screening a project against every open fund at once."""

from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.eligibility.models import Assessment
from shared.principal import Role
from tests.eligibility.flows import documented_project
from tests.eligibility.test_router import simulation
from tests.fixtures.builders import ALBI_EPCI, Key, MakeKey, MakeTerritory

pytestmark = pytest.mark.usefixtures("open_fund_windows")
_ORDER = {"eligible": 0, "undetermined": 1, "ineligible": 2}


class TestScreenProject:
    async def test_every_open_fund_ranked_and_nothing_stored(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        session: AsyncSession,
    ) -> None:
        territory, key = territory_key
        p = portal(key.secret)
        project = await p.active_project(**documented_project())

        response = await p.call("POST", f"/v1/projects/{project['id']}/eligibility", expect=200)

        body = response.json()
        assert body["project_id"] == project["id"]
        items = body["items"]
        assert [i["rank"] for i in items] == list(range(1, len(items) + 1))
        assert {i["fund_code"] for i in items} == {
            "fonds-acceleration",
            "fonds-friches",
            "ecoles-de-production",
            "fonds-vert-ti",
        }
        keys = [(_ORDER[i["outcome"]], -i["total_points"], i["fund_code"]) for i in items]
        assert keys == sorted(keys)
        assert all(i["fund_name"] and i["criteria"] for i in items)
        assert await session.scalar(select(func.count()).select_from(Assessment)) == 0
        # The same engine and context as a simulation with no application inputs.
        body_sim = simulation(territory.id, documented_project())
        body_sim["application"] = {}
        body_sim["submitted_at"] = body["screened_at"]
        simulated = (
            await p.call(
                "POST",
                "/v1/funds/fonds-acceleration/eligibility/simulate",
                json=body_sim,
                expect=200,
            )
        ).json()
        screened = next(i for i in items if i["fund_code"] == "fonds-acceleration")
        for name in ("outcome", "total_points", "missing_inputs", "failed_gates", "criteria"):
            assert screened[name] == simulated[name], name

    async def test_closed_funds_and_funds_without_rules_are_left_out(
        self, portal: Any, territory_key: tuple[Any, Key], session: AsyncSession
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        project = await p.active_project()
        await session.execute(
            text(
                "UPDATE funds SET closes_at = now() - interval '1 day' WHERE code = 'fonds-vert-ti'"
            )
        )
        await session.commit()

        items = (
            await p.call("POST", f"/v1/projects/{project['id']}/eligibility", expect=200)
        ).json()["items"]

        assert "fonds-vert-ti" not in {i["fund_code"] for i in items}
        assert "sites-cles-en-main" not in {i["fund_code"] for i in items}

    async def test_another_territory_gets_404_and_observers_403(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        make_territory: MakeTerritory,
        make_key: MakeKey,
    ) -> None:
        _, key = territory_key
        project = await portal(key.secret).active_project()
        albi = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
        other = await make_key(Role.TERRITORY, territory_id=albi.id)
        observer = await make_key(Role.OBSERVER)
        operator = await make_key(Role.OPERATOR, operator_code="etat")
        url = f"/v1/projects/{project['id']}/eligibility"

        refused = await portal(other.secret).call("POST", url, expect=404)
        await portal(observer.secret).call("POST", url, expect=403)
        # An operator reads only projects that applied to its funds.
        await portal(operator.secret).call("POST", url, expect=404)

        assert refused.json()["type"].endswith("/project-not-found")
