"""The seeds preset of `tidi demo generate`: the statistics endpoint returns the programme's
headline figures exactly (domain.md, "Seed figures")."""

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.seeding.demo.presets import SEEDS, SUPPORTED_STATUSES
from shared.seeding.demo.service import generate_demo
from tests.fixtures.api import auth
from tests.fixtures.builders import MakeKey

MEUR = 100_000_000


@pytest.fixture
async def stats(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_key: MakeKey,
) -> Any:
    """GET /v1/stats/programme (as an admin) over the seeds preset, seed 2026."""
    async with sessionmaker() as session:
        await generate_demo(session, SEEDS, 2026)
        await session.commit()
    key = await make_key("admin")

    async def get(**params: Any) -> dict[str, Any]:
        response = await client.get("/v1/stats/programme", params=params, headers=auth(key.secret))
        assert response.status_code == 200, response.text
        return dict(response.json())

    return get


async def test_the_statistics_give_the_seed_figures_exactly(stats: Any) -> None:
    supported = await stats(fund="fonds-acceleration", status=list(SUPPORTED_STATUSES))

    assert supported["projects"]["count"] == 1_416
    assert supported["jobs"]["planned_created"] == 27_255
    assert supported["relocation"]["projects"] == 209
    assert supported["relocation"]["planned_jobs_created"] == 5_753
    assert supported["fragile"]["projects"] == 944  # two thirds
    assert supported["fragile"]["project_share"] == 0.6667
    assert supported["fragile"]["undetermined_projects"] == 0
    assert supported["territories"] == {"count": 146, "epcis": 542}
    endowment = supported["endowment"]
    assert endowment["amount_cents"] == 850 * MEUR
    regions = [f for f in endowment["by_financer"] if f["financer"] == "region"]
    assert regions == [{"financer": "region", "amount_cents": 143 * MEUR}]

    ecoles = await stats(fund="ecoles-de-production", status=list(SUPPORTED_STATUSES))
    assert ecoles["projects"]["count"] == 12

    everything = await stats()
    assert sum(everything["labelled_sites_by_region"].values()) == 127
    assert everything["territories"] == {"count": 146, "epcis": 542}
    assert everything["applications"]["count"] < SEEDS.applications  # drafts are not counted
    statuses = everything["applications"]["by_status"]
    assert all(statuses[status] > 0 for status in statuses if status not in ("draft", "expired"))
