"""Tenancy of the review and decision routes: a region key sees nothing outside its region
(and funds it preselects), an operator nothing outside its funds, a territory nothing of
another; each refused probe is a 404 that writes nothing."""

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.decisions.conftest import APPROVAL, INFORMATION, REFUSAL, TODAY, Keys
from tests.fixtures.bodies import friche_application
from tests.fixtures.builders import ALBI_EPCI, MakeKey, MakeTerritory
from tests.fixtures.flows import Portal, nothing_written, update_row
from tests.fixtures.http import assert_problem

ACTIONS: dict[str, dict[str, Any] | None] = {
    "preselect": None,
    "not_retained": REFUSAL,
    "start_review": {"assignee": "DR"},
    "request_information": INFORMATION,
    "answer": None,
    "approve": APPROVAL,
    "reject": REFUSAL,
    "sign_agreement": {"signed_on": TODAY.isoformat(), "reference": "C-1"},
    "record_payment": {"amount_cents": 1_000, "paid_on": TODAY.isoformat()},
    "close": None,
    "cancel": REFUSAL,
}
READS = ("", "/payments", "/history", "/assessments", "/completeness")


@pytest.fixture
async def strangers(
    client: Any, make_key: MakeKey, make_territory: MakeTerritory
) -> dict[str, Portal]:
    """Keys of the same roles bound elsewhere: Occitanie's region, Bpifrance (not the
    fonds friches' operator), Albi's territory."""
    albi = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
    return {
        "region": Portal(client, (await make_key("region", region_code="76")).secret),
        "operator": Portal(client, (await make_key("operator", operator_code="bpifrance")).secret),
        "territory": Portal(client, (await make_key("territory", territory_id=albi.id)).secret),
    }


@pytest.mark.parametrize(
    "status", ["eligible", "under_review", "information_requested", "agreement_signed", "funded"]
)
async def test_keys_bound_elsewhere_can_neither_read_nor_move_the_application(
    status: str,
    keys: Keys,
    strangers: dict[str, Portal],
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    team = keys["territory"]
    draft = await team.draft_application(await team.active_project(), **friche_application())
    await update_row(sessionmaker, "applications", draft["id"], status=status, submitted_at=TODAY)
    url = f"/v1/applications/{draft['id']}"
    for who, stranger in strangers.items():
        async with nothing_written(sessionmaker):
            for action, body in ACTIONS.items():
                response = await stranger.call(
                    "POST", f"{url}/{action}", json=body, headers={"If-Match": "*"}
                )
                if response.status_code == 403:  # the role may not call this route at all
                    continue
                problem = assert_problem(response, 404)
                assert problem["type"].endswith("/application-not-found"), (who, action)
            for read in READS:
                response = await stranger.call("GET", f"{url}{read}")
                if response.status_code != 403:
                    assert_problem(response, 404)
            listed = await stranger.call("GET", "/v1/applications", expect=200)
            assert listed.json()["items"] == [], who


async def test_a_region_sees_only_its_regions_applications_to_funds_it_preselects(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    team = keys["territory"]
    project = await team.active_project()
    friches = await team.draft_application(project, **friche_application())
    vert = await team.draft_application(project, fund_code="fonds-vert-ti")  # no preselection
    draft = await team.draft_application(await team.active_project(), **friche_application())
    for application in (friches, vert):
        await update_row(
            sessionmaker, "applications", application["id"], status="eligible", submitted_at=TODAY
        )
    region = keys["region"]
    listed = await region.call("GET", "/v1/applications", expect=200)
    assert [a["id"] for a in listed.json()["items"]] == [friches["id"]]  # not the draft
    assert_problem(await region.call("GET", f"/v1/applications/{vert['id']}"), 404)
    assert_problem(await region.call("GET", f"/v1/applications/{draft['id']}"), 404)
    # Its projects are those of the applications it sees.
    projects = await region.call("GET", "/v1/projects", expect=200)
    assert [p["id"] for p in projects.json()["items"]] == [project["id"]]


async def test_the_region_key_is_refused_the_operators_moves_and_vice_versa(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    team = keys["territory"]
    draft = await team.draft_application(await team.active_project(), **friche_application())
    await update_row(
        sessionmaker, "applications", draft["id"], status="eligible", submitted_at=TODAY
    )
    url = f"/v1/applications/{draft['id']}"
    async with nothing_written(sessionmaker):
        response = await keys["region"].call(
            "POST", f"{url}/approve", json=APPROVAL, headers={"If-Match": "*"}
        )
        assert_problem(response, 403)
        response = await keys["operator"].call(
            "POST", f"{url}/preselect", headers={"If-Match": "*"}
        )
        assert_problem(response, 403)
        response = await keys["territory"].call(
            "POST", f"{url}/preselect", headers={"If-Match": "*"}
        )
        assert_problem(response, 403)
