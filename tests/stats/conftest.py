"""A small programme of known figures (two territories and a project outside any), and the
keys of every role to read it."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.budgets.models import Financer
from shared.territories.models import Territory
from tests.fixtures.api import auth
from tests.fixtures.builders import ALBI_EPCI, Key, MakeKey, MakeTerritory
from tests.stats.dataset import (
    ALBI,
    PARIS,
    PONTIVY,
    add_application,
    add_commitment,
    add_outcome,
    add_project,
    add_zonings,
    at,
)


@dataclass
class Programme:
    """The territories of the dataset and a key per reader."""

    client: httpx.AsyncClient
    pontivy: Territory
    albi: Territory
    keys: dict[str, Key]

    async def stats(
        self, who: str, path: str = "", expect: int = 200, **params: Any
    ) -> dict[str, Any]:
        response = await self.client.get(
            f"/v1/stats/programme{path}", params=params, headers=auth(self.keys[who].secret)
        )
        assert response.status_code == expect, response.text
        return dict(response.json())


@pytest.fixture
async def programme(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_territory: MakeTerritory,
    make_key: MakeKey,
) -> Programme:
    pontivy = await make_territory("ti-pontivy")
    albi = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
    async with sessionmaker() as session:
        await _write(session, pontivy, albi)
        await session.commit()
    keys = {
        "admin": await make_key("admin"),
        "observer": await make_key("observer"),
        "pontivy": await make_key("territory", territory_id=pontivy.id),
        "albi": await make_key("territory", territory_id=albi.id),
        "brittany": await make_key("region", region_code="53"),
        "occitania": await make_key("region", region_code="76"),
        "bpifrance": await make_key("operator", operator_code="bpifrance"),
        "etat": await make_key("operator", operator_code="etat"),
    }
    return Programme(client, pontivy, albi, keys)


async def _write(session: AsyncSession, pontivy: Territory, albi: Territory) -> None:
    """Five submitted applications (and a draft) of four projects; see test_figures."""
    await add_zonings(session)
    p1 = await add_project(
        session,
        territory_id=pontivy.id,
        site=PONTIVY,
        jobs=(10, 20),
        investment=1_000_000,
        relocation=True,
    )
    a1 = await add_application(
        session,
        p1,
        fund="fonds-acceleration",
        status="funded",
        submitted_at=at("2026-01-10"),
        requested=100_000,
        decided=("approved", at("2026-02-09")),
    )
    await add_commitment(
        session,
        a1,
        financer=Financer.STATE,
        amount=80_000,
        created_at=at("2026-02-09"),
        payments=((50_000, date(2026, 3, 5)),),
    )
    await add_outcome(session, a1, reported_on=date(2026, 6, 1), jobs=(4, 18), investment=400_000)
    await add_outcome(session, a1, reported_on=date(2026, 9, 1), jobs=(8, 19), investment=900_000)
    p2 = await add_project(
        session, territory_id=pontivy.id, site=PONTIVY, jobs=(5, 0), investment=500_000
    )
    await add_application(
        session,
        p2,
        fund="fonds-friches",
        status="rejected",
        submitted_at=at("2026-01-20"),
        requested=50_000,
        decided=("rejected", at("2026-03-01")),
    )
    await add_application(
        session, p2, fund="fonds-vert-ti", status="draft", submitted_at=None, requested=999
    )
    p3 = await add_project(
        session,
        territory_id=albi.id,
        site=ALBI,
        jobs=(30, 10),
        investment=3_000_000,
        relocation=True,
    )
    a3 = await add_application(
        session,
        p3,
        fund="fonds-acceleration",
        status="agreement_signed",
        submitted_at=at("2026-02-15"),
        requested=200_000,
        decided=("approved", at("2026-04-06")),
    )
    await add_commitment(
        session, a3, financer=Financer.REGION, amount=150_000, created_at=at("2026-04-06")
    )
    await add_outcome(session, a3, reported_on=date(2026, 5, 1), jobs=(12, 9), investment=1_500_000)
    await add_application(
        session,
        p3,
        fund="fonds-vert-ti",
        status="under_review",
        submitted_at=at("2026-03-01"),
        requested=60_000,
        jobs_created=32,
        investment_total_cents=3_200_000,
    )
    p4 = await add_project(
        session,
        territory_id=None,
        site=PARIS,
        jobs=(7, 3),
        investment=700_000,
        status="completed",
        nature="creation",
        priorities=("innovation",),
    )
    a5 = await add_application(
        session,
        p4,
        fund="fonds-acceleration",
        status="cancelled",
        submitted_at=at("2026-03-20"),
        requested=300_000,
        decided=("cancelled", at("2026-04-10")),
    )
    await add_commitment(
        session,
        a5,
        financer=Financer.STATE,
        amount=100_000,
        created_at=at("2026-03-25"),
        payments=((20_000, date(2026, 4, 10)),),
        released=True,
    )
