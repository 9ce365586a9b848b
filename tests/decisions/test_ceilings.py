"""State-aid ceilings at approval: at, just under and just over each regime's ceiling; de
minimis cumulated across funds and aid granted elsewhere, over a sliding three-year window;
an undeclared prior amount is unknown, never 0."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from shared.applications.models import Application
from shared.eligibility import service as eligibility
from shared.eligibility.rules.rulesets import shipped_ruleset
from shared.seeding.service import seed_demo_zonings
from shared.stateaid.service import window_start
from tests.decisions.conftest import TODAY, Keys
from tests.decisions.test_budget import CLONE
from tests.fixtures.bodies import friche_application, project_body
from tests.fixtures.flows import fetch, nothing_written, update_row
from tests.fixtures.http import assert_problem, error_pointers

BASE = 980_000_000  # the test application's eligible expense base (9.8 M€)
SIREN = "552100554"  # the test project's holder
SMALL = {"headcount": 40, "turnover_cents": 800_000_000, "balance_sheet_cents": 500_000_000}
LARGE = {"headcount": 900, "turnover_cents": 90_000_000_000, "balance_sheet_cents": None}
MAUBEUGE = "59392"  # in AFR zone c in the demo zonings


async def _under_review(
    keys: Keys,
    sessionmaker: Any,
    *,
    holder: dict[str, Any] | None = None,
    commune: str | None = None,
    fund: str = "fonds-friches",
    **application: Any,
) -> tuple[dict[str, Any], str]:
    """A submitted application under review (the project with this holder and site), and
    which key instructs it."""
    team = keys["territory"]
    project: dict[str, Any] = {}
    complete = project_body()  # every fact the rules read from a project, then these
    if holder is not None:
        project["holder"] = {**complete["holder"], **holder}
    if commune is not None:
        project["site"] = {**complete["site"], "commune_insee": commune}
    overrides = friche_application() if fund == "fonds-friches" else {}
    draft = await team.draft_application(
        await team.active_project(**project), **overrides, **application
    )
    await team.act(draft, "applications", "submit")
    await update_row(sessionmaker, "applications", draft["id"], status="under_review")
    who = "operator" if fund == "fonds-friches" else "bpifrance"
    return await fetch(keys[who], "applications", draft["id"]), who


async def _approve(keys: Keys, who: str, application: dict[str, Any], **body: Any) -> Any:
    body = {"aid_form": "subsidy", **({"financer": "state"} if who == "bpifrance" else {}), **body}
    return await keys[who].call(
        "POST",
        f"/v1/applications/{application['id']}/approve",
        json=body,
        headers={"If-Match": f'"{application["version"]}"'},
    )


def _over(response: Any, cap: int, regime: str) -> dict[str, Any]:
    problem = assert_problem(response, 422)
    assert problem["type"].endswith("/state-aid-ceiling"), problem
    assert (problem["cap_cents"], problem["figures"]["regime"]) == (cap, regime)
    assert "/body/amount_cents" in error_pointers(problem)
    return problem


CEILINGS = [
    # (holder, commune, regime, cap): GBER art. 17 10 % medium, 20 % small; art. 14 zone c
    # 15 % + 10 points for a medium undertaking; de minimis 300 k€ with nothing before.
    (None, None, "gber_art17_sme", BASE * 10 // 100),
    (SMALL, None, "gber_art17_sme", BASE * 20 // 100),
    (None, MAUBEUGE, "gber_art14_afr_c", BASE * 25 // 100),
    (None, None, "de_minimis_2023_2831", 30_000_000),
]


@pytest.mark.parametrize(("holder", "commune", "regime", "cap"), CEILINGS)
@pytest.mark.parametrize("offset", [0, -1, 1], ids=["at", "just-under", "just-over"])
async def test_each_ceiling_admits_up_to_its_cap_and_refuses_a_cent_more(
    keys: Keys,
    sessionmaker: async_sessionmaker[AsyncSession],
    holder: dict[str, Any] | None,
    commune: str | None,
    regime: str,
    cap: int,
    offset: int,
) -> None:
    if commune is not None:
        async with sessionmaker() as session:
            await seed_demo_zonings(session)
            await session.commit()
    application, who = await _under_review(keys, sessionmaker, holder=holder, commune=commune)
    amount = cap + offset
    if offset > 0:
        async with nothing_written(sessionmaker):
            problem = _over(
                await _approve(keys, who, application, amount_cents=amount, regime=regime),
                cap,
                regime,
            )
        assert problem["gross_grant_equivalent_cents"] == amount
        return
    response = await _approve(keys, who, application, amount_cents=amount, regime=regime)
    assert response.status_code == 200, response.text
    decision = response.json()["decision"]
    assert (decision["regime"], decision["ceiling"]["cap_cents"]) == (regime, cap)
    async with sessionmaker() as session:
        registered = (
            await session.execute(
                text("SELECT siren, regime::text, gross_grant_equivalent_cents FROM aid_register")
            )
        ).all()
    assert registered == [(SIREN, regime, amount)]


async def test_a_large_undertaking_has_no_sme_regime_and_an_uncovered_zone_is_unknown(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    large, who = await _under_review(keys, sessionmaker, holder=LARGE)
    async with nothing_written(sessionmaker):
        response = await _approve(keys, who, large, amount_cents=1_000, regime="gber_art17_sme")
        problem = assert_problem(response, 422)
        assert problem["type"].endswith("/regime-not-applicable")
        assert problem["figures"]["eu_size"] == "large"
        # Pontivy is outside the zoning data's coverage: its AFR zone c status is unknown.
        response = await _approve(keys, who, large, amount_cents=1_000, regime="gber_art14_afr_c")
        problem = assert_problem(response, 422)
        assert problem["type"].endswith("/state-aid-inputs-missing")
        assert problem["missing"] == ["zonings.AFR_C"]


async def test_de_minimis_needs_the_declaration_of_prior_aid(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    application, who = await _under_review(keys, sessionmaker, prior_deminimis_cents=None)
    assert application["prior_deminimis_cents"] is None
    async with nothing_written(sessionmaker):
        response = await _approve(
            keys, who, application, amount_cents=1_000, regime="de_minimis_2023_2831"
        )
        problem = assert_problem(response, 422)
    assert problem["type"].endswith("/state-aid-inputs-missing")
    assert problem["missing"] == ["prior_deminimis_cents"]


async def test_de_minimis_cumulates_two_funds_aid_from_elsewhere_and_the_declaration(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    admin = keys["admin"]
    external = {
        "siren": SIREN,
        "granted_on": (TODAY - timedelta(days=400)).isoformat(),
        "regime": "de_minimis_2023_2831",
        "nominal_cents": 8_000_000,
        "granted_by": "Région Bretagne",
        "reference": "AR-2025-118",
    }
    await keys["operator"].call("POST", "/v1/aid-register", json=external, expect=201)
    friches, who = await _under_review(keys, sessionmaker, prior_deminimis_cents=2_000_000)
    moved = await _approve(
        keys, who, friches, amount_cents=10_000_000, regime="de_minimis_2023_2831"
    )
    assert moved.status_code == 200, moved.text
    # A second fund, another operator: 300 k€ - 80 k€ (elsewhere) - 100 k€ (fonds friches)
    # - 20 k€ declared by this application = 100 k€ left.
    acceleration, who = await _under_review(
        keys, sessionmaker, fund="fonds-acceleration", prior_deminimis_cents=2_000_000
    )
    problem = _over(
        await _approve(
            keys, who, acceleration, amount_cents=10_000_001, regime="de_minimis_2023_2831"
        ),
        10_000_000,
        "de_minimis_2023_2831",
    )
    assert problem["figures"]["registered_cents"] == 18_000_000
    assert problem["figures"]["declared_prior_cents"] == 2_000_000
    moved = await _approve(
        keys, who, acceleration, amount_cents=10_000_000, regime="de_minimis_2023_2831"
    )
    assert moved.status_code == 200, moved.text
    room = await admin.call("GET", f"/v1/aid-register/{SIREN}/de-minimis", expect=200)
    assert room.json()["registered_cents"] == 28_000_000
    listed = await admin.call("GET", f"/v1/aid-register?siren={SIREN}", expect=200)
    assert sorted(g["source"] for g in listed.json()["items"]) == ["external", "tidi", "tidi"]


async def test_the_three_year_window_slides(keys: Keys) -> None:
    oldest_counted = window_start(TODAY) + timedelta(days=1)
    grant = {
        "siren": SIREN,
        "granted_on": oldest_counted.isoformat(),
        "regime": "de_minimis_2023_2831",
        "nominal_cents": 12_000_000,
        "granted_by": "Département du Morbihan",
    }
    await keys["operator"].call("POST", "/v1/aid-register", json=grant, expect=201)
    url = f"/v1/aid-register/{SIREN}/de-minimis"
    today = (await keys["admin"].call("GET", url, expect=200)).json()
    assert (today["registered_cents"], today["room_cents"]) == (12_000_000, 18_000_000)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    later = (await keys["admin"].call("GET", f"{url}?on={tomorrow}", expect=200)).json()
    assert (later["registered_cents"], later["room_cents"]) == (0, 30_000_000)


async def test_concurrent_de_minimis_awards_of_one_undertaking_never_pass_its_ceiling(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Ten applications of one SIREN, approved at once for 100 k€ each: three fit."""
    first, who = await _under_review(keys, sessionmaker)
    async with sessionmaker() as session:
        rows = (await session.execute(CLONE, {"application": first["id"], "n": 9})).all()
        await session.commit()
    ids = [first["id"], *(str(row.id) for row in rows)]

    async def approve(application_id: str) -> int:
        response = await keys[who].call(
            "POST",
            f"/v1/applications/{application_id}/approve",
            json={
                "amount_cents": 10_000_000,
                "aid_form": "subsidy",
                "regime": "de_minimis_2023_2831",
            },
            headers={"If-Match": "*"},
        )
        if response.status_code != 200:
            assert assert_problem(response, 422)["type"].endswith("/state-aid-ceiling")
        return response.status_code

    statuses = await asyncio.gather(*(approve(i) for i in ids))
    assert sorted(statuses) == [200] * 3 + [422] * 7
    async with sessionmaker() as session:
        total = await session.scalar(
            text("SELECT sum(gross_grant_equivalent_cents) FROM aid_register")
        )
    assert total == 30_000_000


async def test_screening_counts_the_register_in_the_de_minimis_room(
    keys: Keys, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """G14 of the acceleration fund, for a large undertaking extending a site in Brittany
    (de minimis is its only regime): the aid registered for its SIREN narrows the room."""
    application, _ = await _under_review(
        keys,
        sessionmaker,
        holder=LARGE,
        fund="fonds-acceleration",
        requested_amount_cents=20_000_000,
    )

    async def g14() -> Any:
        async with sessionmaker() as session:
            stored = await session.scalar(
                select(Application)
                .options(joinedload(Application.fund))
                .where(Application.id == uuid.UUID(application["id"]))
            )
            assert stored is not None
            outcome = await eligibility.evaluate_with(
                session, stored, shipped_ruleset("fonds-acceleration")
            )
        [gate] = [c for c in outcome.criteria if c.id == "G14_state_aid_ceiling"]
        return gate.status.value, gate.inputs["aid_ceiling.amount_cents"]

    assert await g14() == ("pass", 30_000_000)  # 300 k€, nothing registered, 0 declared
    external = {
        "siren": SIREN,
        "granted_on": (TODAY - timedelta(days=30)).isoformat(),
        "regime": "de_minimis_2023_2831",
        "nominal_cents": 15_000_000,
        "granted_by": "Région Bretagne",
    }
    await keys["operator"].call("POST", "/v1/aid-register", json=external, expect=201)
    assert await g14() == ("fail", 15_000_000)  # 200 k€ requested, 150 k€ left
