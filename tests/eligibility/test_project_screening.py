"""Screening a project against every open fund at once."""

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.eligibility import service
from shared.eligibility.models import Assessment
from shared.principal import Role
from tests.eligibility.flows import documented_project
from tests.eligibility.test_router import simulation
from tests.fixtures.bodies import project_body
from tests.fixtures.builders import ALBI_EPCI, Key, MakeKey, MakeTerritory
from tests.fixtures.flows import fetch

pytestmark = pytest.mark.usefixtures("open_fund_windows")
_ORDER = {"eligible": 0, "eligible_if_completed": 1, "undetermined": 2, "ineligible": 3}


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
        keys = [(_ORDER[i["prospect"]], -i["total_points"], i["fund_code"]) for i in items]
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

    async def test_what_the_application_supplies_is_awaited_not_failed(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
    ) -> None:
        """The project screened alone waits for the application's commitments and
        attestations; the application that supplies them is assessed eligible."""
        p = portal(territory_key[1].secret)
        project = await p.active_project()
        items = (
            await p.call("POST", f"/v1/projects/{project['id']}/eligibility", expect=200)
        ).json()["items"]
        acceleration = next(i for i in items if i["fund_code"] == "fonds-acceleration")
        states = {c["id"]: c for c in acceleration["screening"]}
        assert acceleration["failed_gates"] == []
        assert states["G12_engagements_filled"]["state"] == "needs_application_input"
        assert states["G12_engagements_filled"]["to_provide"] == [
            "application.engagements.solidarites",
            "application.engagements.transition_ecologique",
        ]
        assert states["G03_excluded_legal_forms"]["state"] == "pass"
        assert "application.attestations.tax_social_ok" in acceleration["application_inputs"]
        # Its AFR zone c status is programme data tidi lacks (G14 for 1.5 M€ asked).
        assert acceleration["prospect"] in ("eligible_if_completed", "undetermined")
        applied = await p.act(
            await p.draft_application(project, requested_amount_cents=90_000_000),
            "applications",
            "submit",
        )
        async with sessionmaker() as session:
            await service.score(session, uuid.UUID(applied["id"]))
            await session.commit()
        assert (await fetch(p, "applications", applied["id"]))["status"] == "eligible"

    async def test_a_gate_failing_on_the_project_makes_it_ineligible(
        self, portal: Any, territory_key: tuple[Any, Key]
    ) -> None:
        p = portal(territory_key[1].secret)
        holder = {**project_body()["holder"], "legal_form_code": "6540"}  # an SCI
        project = await p.active_project(holder=holder)
        items = (
            await p.call("POST", f"/v1/projects/{project['id']}/eligibility", expect=200)
        ).json()["items"]
        acceleration = next(i for i in items if i["fund_code"] == "fonds-acceleration")
        assert acceleration["prospect"] == "ineligible"
        assert items[-1]["prospect"] == "ineligible"
        [g03] = [c for c in acceleration["screening"] if c["id"] == "G03_excluded_legal_forms"]
        assert g03["state"] == "fail"

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
