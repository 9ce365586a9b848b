"""Over generated programmes: a territory key's statistics are the admin's filtered to that
territory, and a region key's the admin's filtered to its region, on every route."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.applications.enums import CLOSED_STATUSES
from shared.budgets.models import Financer
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

SITES = (PONTIVY, ALBI, PARIS)
FUNDS = ("fonds-acceleration", "fonds-friches", "fonds-vert-ti")
STATUSES = ("submitted", "eligible", "under_review", "rejected", "funded", "closed", "cancelled")
START = date(2026, 1, 1)


@dataclass(frozen=True)
class GeneratedApplication:
    project: int
    fund: str
    status: str
    day: int
    requested: int
    decided_after: int | None
    award: tuple[Financer, int, int, bool] | None  # financer, amount, paid, released
    outcomes: tuple[tuple[int, int, int], ...]  # (day offset, jobs created, investment)


@dataclass(frozen=True)
class GeneratedProject:
    territory: int | None
    site: int
    jobs: tuple[int, int]
    relocation: bool


awards = st.none() | st.tuples(
    st.sampled_from([Financer.STATE, Financer.REGION]),
    st.integers(1, 1_000),
    st.integers(0, 1_000),
    st.booleans(),
).map(lambda a: (a[0], a[1], min(a[1], a[2]), a[3]))
programmes = st.lists(
    st.builds(
        GeneratedProject,
        territory=st.none() | st.integers(0, 1),
        site=st.integers(0, 2),
        jobs=st.tuples(st.integers(0, 50), st.integers(0, 50)),
        relocation=st.booleans(),
    ),
    min_size=1,
    max_size=4,
).flatmap(
    lambda projects: st.tuples(
        st.just(projects),
        st.lists(
            st.builds(
                GeneratedApplication,
                project=st.integers(0, len(projects) - 1),
                fund=st.sampled_from(FUNDS),
                status=st.sampled_from(STATUSES),
                day=st.integers(0, 200),
                requested=st.integers(0, 10_000),
                decided_after=st.none() | st.integers(0, 90),
                award=awards,
                outcomes=st.lists(
                    st.tuples(st.integers(0, 60), st.integers(0, 40), st.integers(0, 9_999)),
                    max_size=2,
                ).map(tuple),
            ),
            max_size=8,
        ),
    )
)


@dataclass
class Readers:
    territories: list[Any]
    keys: dict[str, Key]


@pytest.fixture
async def readers(
    sessionmaker: async_sessionmaker[AsyncSession],
    make_territory: MakeTerritory,
    make_key: MakeKey,
) -> Readers:
    pontivy = await make_territory("ti-pontivy")
    albi = await make_territory("ti-albi", region_code="76", epci_sirens=[ALBI_EPCI])
    async with sessionmaker() as session:
        await add_zonings(session)
        await session.commit()
    keys = {
        "admin": await make_key("admin"),
        "t0": await make_key("territory", territory_id=pontivy.id),
        "t1": await make_key("territory", territory_id=albi.id),
        "r53": await make_key("region", region_code="53"),
        "r76": await make_key("region", region_code="76"),
    }
    return Readers([pontivy, albi], keys)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(generated=programmes)
async def test_a_tenant_reads_what_the_admin_reads_filtered_to_it(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    readers: Readers,
    generated: tuple[list[GeneratedProject], list[GeneratedApplication]],
) -> None:
    await _write(sessionmaker, readers, *generated)

    async def read(who: str, path: str, **params: str) -> Any:
        response = await client.get(
            f"/v1/stats/programme{path}", params=params, headers=auth(readers.keys[who].secret)
        )
        assert response.status_code == 200, response.text
        return response.json()

    cases = [
        ("t0", {"territory_id": str(readers.territories[0].id)}),
        ("t1", {"territory_id": str(readers.territories[1].id)}),
        ("r53", {"region": "53"}),
        ("r76", {"region": "76"}),
    ]
    for who, params in cases:
        for path in ("", "/territories", "/regions"):
            assert await read(who, path) == await read("admin", path, **params), (who, path)


async def _write(
    sessionmaker: async_sessionmaker[AsyncSession],
    readers: Readers,
    projects: list[GeneratedProject],
    applications: list[GeneratedApplication],
) -> None:
    async with sessionmaker() as session:
        for table in ("outcomes", "budget_payments", "budget_commitments", "applications"):
            await session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - constant names
        await session.execute(text("DELETE FROM projects"))
        rows = [
            await add_project(
                session,
                territory_id=None if p.territory is None else readers.territories[p.territory].id,
                site=SITES[p.site],
                jobs=p.jobs,
                relocation=p.relocation,
            )
            for p in projects
        ]
        open_pairs: set[tuple[int, str]] = set()
        for generated in applications:
            pair = (generated.project, generated.fund)
            if generated.status not in CLOSED_STATUSES:
                if pair in open_pairs:
                    continue  # one open application per project and fund
                open_pairs.add(pair)
            await _application(session, rows[generated.project], generated)
        await session.commit()


async def _application(session: AsyncSession, project: Any, g: GeneratedApplication) -> None:
    submitted = at((START + timedelta(days=g.day)).isoformat())
    decided = None
    if g.decided_after is not None:
        decided = ("approved", submitted + timedelta(days=g.decided_after))
    application = await add_application(
        session,
        project,
        fund=g.fund,
        status=g.status,
        submitted_at=submitted,
        requested=g.requested,
        decided=decided,
    )
    if g.award is not None and g.fund != "fonds-friches":  # friches: a State envelope only
        financer, amount, paid, released = g.award
        if g.fund == "fonds-vert-ti":
            financer = Financer.STATE
        payments = ((paid, submitted.date() + timedelta(days=10)),) if paid else ()
        await add_commitment(
            session,
            application,
            financer=financer,
            amount=amount,
            created_at=submitted,
            payments=payments,
            released=released,
        )
    for offset, jobs, investment in g.outcomes:
        await add_outcome(
            session,
            application,
            reported_on=submitted.date() + timedelta(days=offset),
            jobs=(jobs, jobs // 2),
            investment=investment,
        )
