"""The eligibility API: assessments of an application and simulations."""

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.eligibility import service
from shared.eligibility.models import Assessment
from shared.eligibility.rules.rulesets import shipped_ruleset
from shared.principal import Role
from tests.eligibility.flows import ACCELERATION_PROGRAMME_GAPS, documented_project, submitted
from tests.fixtures.bodies import application_body, friche_application, project_body
from tests.fixtures.builders import ALBI_EPCI, Key, MakeKey, MakeTerritory
from tests.fixtures.flows import fetch

pytestmark = pytest.mark.usefixtures("open_fund_windows")


async def score(sessionmaker: async_sessionmaker[AsyncSession], app_id: str) -> None:
    async with sessionmaker() as session:
        await service.score(session, uuid.UUID(app_id))
        await session.commit()


def simulation(territory_id: Any, project: dict[str, Any], **application: Any) -> dict[str, Any]:
    """A simulation body from the same builders as the stored records."""
    body = application_body(None, **application)
    for name in ("project_id", "fund_code", "attachments"):
        body.pop(name, None)
    return {"application": body, "project": project_body(territory_id, **project)}


class TestAssessments:
    async def test_lists_typed_assessments_latest_first(
        self, portal: Any, territory_key: tuple[Any, Key], sessionmaker: Any
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        application = await submitted(p, documented_project())
        await score(sessionmaker, application["id"])
        reopened = await p.act(
            await fetch(p, "applications", application["id"]), "applications", "reopen"
        )
        await p.act(reopened, "applications", "submit")
        await score(sessionmaker, application["id"])

        response = await p.call(
            "GET", f"/v1/applications/{application['id']}/assessments", expect=200
        )

        items = response.json()["items"]
        assert [i["submission_no"] for i in items] == [2, 1]
        latest = items[0]
        assert latest["application_id"] == application["id"]
        current = shipped_ruleset("fonds-acceleration").version
        assert (latest["fund_code"], latest["ruleset_version"]) == ("fonds-acceleration", current)
        assert latest["outcome"] == "undetermined"
        assert latest["missing_inputs"] == ACCELERATION_PROGRAMME_GAPS
        assert latest["unknown_gates"] == ["G14_state_aid_ceiling"]
        assert latest["failed_gates"] == []
        assert latest["max_points"] == 100
        g02 = next(c for c in latest["criteria"] if c["id"] == "G02_registered_and_active")
        assert g02["status"] == "pass"
        assert g02["inputs"]["site.siret"] == "73282932000074"
        g14 = next(c for c in latest["criteria"] if c["id"] == "G14_state_aid_ceiling")
        assert (g14["status"], g14["missing"]) == ("unknown", ["zonings.AFR_C"])
        assert "À compléter" in g14["explanation"]
        assert {c["kind"] for c in latest["criteria"]} == {"gate", "score"}

    async def test_another_territory_gets_404(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        make_territory: MakeTerritory,
        make_key: MakeKey,
        sessionmaker: Any,
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())
        await score(sessionmaker, application["id"])
        albi = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
        other = await make_key(Role.TERRITORY, territory_id=albi.id)

        response = await portal(other.secret).call(
            "GET", f"/v1/applications/{application['id']}/assessments", expect=404
        )

        assert response.json()["type"].endswith("/application-not-found")

    async def test_observers_are_refused(
        self, portal: Any, territory_key: tuple[Any, Key], make_key: MakeKey
    ) -> None:
        _, key = territory_key
        application = await submitted(portal(key.secret), **friche_application())
        observer = await make_key(Role.OBSERVER)

        await portal(observer.secret).call(
            "GET", f"/v1/applications/{application['id']}/assessments", expect=403
        )

    async def test_not_yet_scored_lists_nothing(
        self, portal: Any, territory_key: tuple[Any, Key]
    ) -> None:
        _, key = territory_key
        p = portal(key.secret)
        application = await submitted(p, **friche_application())

        response = await p.call(
            "GET", f"/v1/applications/{application['id']}/assessments", expect=200
        )

        assert response.json() == {"items": []}


class TestSimulate:
    async def test_agrees_with_the_stored_assessment_and_stores_nothing(
        self,
        portal: Any,
        territory_key: tuple[Any, Key],
        sessionmaker: Any,
        session: AsyncSession,
    ) -> None:
        territory, key = territory_key
        p = portal(key.secret)
        application = await submitted(p, **friche_application())
        await score(sessionmaker, application["id"])
        stored = (
            await p.call("GET", f"/v1/applications/{application['id']}/assessments", expect=200)
        ).json()["items"][0]
        body = simulation(territory.id, {}, answers=friche_application()["answers"])
        body["submitted_at"] = application["submitted_at"]

        response = await p.call(
            "POST", "/v1/funds/fonds-friches/eligibility/simulate", json=body, expect=200
        )

        simulated = response.json()
        assert simulated["outcome"] == "eligible"
        for name in simulated:
            assert simulated[name] == stored[name], name
        count = await session.scalar(select(func.count()).select_from(Assessment))
        assert count == 1

    async def test_ineligible_and_undetermined_paths(
        self, portal: Any, territory_key: tuple[Any, Key]
    ) -> None:
        territory, key = territory_key
        p = portal(key.secret)
        agricultural = simulation(
            territory.id, {}, answers={**friche_application()["answers"], "former_use": "forest"}
        )
        acceleration = simulation(territory.id, documented_project())

        ineligible = await p.call(
            "POST", "/v1/funds/fonds-friches/eligibility/simulate", json=agricultural, expect=200
        )
        undetermined = await p.call(
            "POST",
            "/v1/funds/fonds-acceleration/eligibility/simulate",
            json=acceleration,
            expect=200,
        )

        assert ineligible.json()["outcome"] == "ineligible"
        assert ineligible.json()["failed_gates"] == ["F03_not_agricultural_or_forest"]
        assert undetermined.json()["outcome"] == "undetermined"
        assert undetermined.json()["missing_inputs"] == ACCELERATION_PROGRAMME_GAPS

    async def test_a_fund_without_ruleset_or_unknown_fund_is_404(
        self, portal: Any, admin_key: Key
    ) -> None:
        p = portal(admin_key.secret)
        body = simulation(None, {})

        missing = await p.call(
            "POST", "/v1/funds/sites-cles-en-main/eligibility/simulate", json=body, expect=404
        )
        unknown = await p.call(
            "POST", "/v1/funds/no-such-fund/eligibility/simulate", json=body, expect=404
        )

        assert missing.json()["type"].endswith("/ruleset-not-found")
        assert unknown.json()["type"].endswith("/fund-not-found")

    async def test_unknown_commune_is_422(self, portal: Any, admin_key: Key) -> None:
        body = simulation(None, {"site": {"commune_insee": "99999"}})

        response = await portal(admin_key.secret).call(
            "POST", "/v1/funds/fonds-friches/eligibility/simulate", json=body, expect=422
        )

        assert response.json()["errors"][0]["pointer"] == "/body/project/site/commune_insee"
