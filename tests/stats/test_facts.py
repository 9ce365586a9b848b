"""The zoning facts the statistics read per submission (`application_zoning_facts`): the
same figures as the live look-up, stored when an application is scored and again when a
zoning list is imported, ignored once stale (a later submission)."""

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.applications.models import Application
from shared.eligibility import service as eligibility_service
from shared.principal import SYSTEM
from shared.zonings import facts
from shared.zonings.importer import import_zonings
from shared.zonings.models import ApplicationZoningFacts
from tests.stats.conftest import Programme
from tests.stats.dataset import ALBI

F = ApplicationZoningFacts
QUERIES: list[dict[str, Any]] = [
    {},
    {"fragile": "true"},
    {"fragile": "false"},
    {"department": "81"},
    {"region": "53"},
]


async def figures(programme: Programme) -> list[dict[str, Any]]:
    return [await programme.stats("admin", **query) for query in QUERIES]


async def refresh(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        await facts.refresh(session, None)
        await session.commit()


async def test_stored_facts_give_the_figures_of_the_live_look_up(
    programme: Programme, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    live = await figures(programme)

    await refresh(sessionmaker)

    async with sessionmaker() as session:
        stored = await session.scalar(select(func.count()).select_from(F))
    assert stored == 5  # the submitted applications
    assert await figures(programme) == live


async def test_the_statistics_read_the_stored_facts_unless_stale(
    programme: Programme, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    live = await figures(programme)
    await refresh(sessionmaker)
    async with sessionmaker() as session:
        await session.execute(update(F).values(fragile=~F.fragile))
        await session.commit()
    assert (await programme.stats("admin"))["fragile"] != live[0]["fragile"]  # read

    async with sessionmaker() as session:  # of an earlier submission: stale, not read
        await session.execute(update(F).values(submitted_at=F.submitted_at - timedelta(days=1)))
        await session.commit()

    assert await figures(programme) == live


async def test_scoring_stores_the_facts_of_the_submission(
    programme: Programme, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session:
        application_id = await session.scalar(
            select(Application.id).where(Application.submitted_at.is_not(None)).limit(1)
        )
        assert application_id is not None
        await eligibility_service.score(session, application_id)
        await session.commit()
        stored = await session.get(F, application_id)
    assert stored is not None


async def test_importing_a_zoning_list_reads_every_submission_again(
    programme: Programme, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await refresh(sessionmaker)
    before = await programme.stats("admin", region="76")
    assert before["fragile"]["projects"] == 0
    listed = tmp_path / "acv.csv"
    listed.write_text(
        "kind,commune_insee,code,valid_from,valid_to,vintage,source,scope,member\n"
        f"ACV,{ALBI[0]},,2020-01-01,,acv-import,test,france,yes\n",
        encoding="utf-8",
    )

    async with sessionmaker() as session:
        await import_zonings(session, SYSTEM, listed)
        await session.commit()

    after = await programme.stats("admin", region="76")
    assert after["fragile"]["projects"] == 1
    assert ["ACV", "acv-import"] in [
        [v["kind"], v["vintage"]] for v in after["fragile"]["vintages"]
    ]


async def test_two_transactions_storing_the_same_new_set_of_lists_both_succeed(
    programme: Programme, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Two scorings at once whose sites read a set of lists stored by neither yet: the second
    waits for the first's set, then points at it (no null set, no failed scoring)."""
    async with sessionmaker() as session:
        ids = list(
            await session.scalars(
                select(Application.id).where(Application.submitted_at.is_not(None)).limit(2)
            )
        )
    assert len(ids) == 2
    first, second = sessionmaker(), sessionmaker()
    try:
        await facts.refresh(first, [ids[0]])
        racing = asyncio.create_task(_refresh_and_commit(second, ids[1]))
        await asyncio.sleep(0.3)  # the second is now waiting on the first's new set
        await first.commit()
        await asyncio.wait_for(racing, timeout=10)
    finally:
        await first.close()
        await second.close()
    async with sessionmaker() as session:
        stored = (await session.execute(select(F.application_id, F.vintage_set_id))).all()
    assert {row.application_id for row in stored} == set(ids)
    assert all(row.vintage_set_id is not None for row in stored)


async def _refresh_and_commit(session: AsyncSession, application_id: Any) -> None:
    await facts.refresh(session, [application_id])
    await session.commit()
