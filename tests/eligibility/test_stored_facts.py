"""The register's de minimis, the site's zonings and the territory read in one round trip:
the same answers as the reads they replace, in every combination of what is asked."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.eligibility.facts import StoredFacts, stored_facts
from shared.seeding.service import seed_demo_zonings
from shared.stateaid.models import AidGrant, AidSource
from shared.stateaid.regimes import AidRegime
from shared.stateaid.service import deminimis_room
from shared.territories.models import Territory
from shared.zonings.service import site_zonings
from tests.fixtures.builders import MakeTerritory
from tests.fixtures.database import statements_sent

SIREN = "552100554"
MAUBEUGE, UNKNOWN_COMMUNE = "59392", "99999"
AT = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


@pytest.fixture
async def register(session: AsyncSession) -> AsyncSession:
    """Demo zonings and two de minimis grants, one in the rolling window and one before."""
    await seed_demo_zonings(session)
    for days_before, cents in ((90, 25_000_000), (4 * 365, 7_000_000)):
        session.add(
            AidGrant(
                id=uuid.uuid4(),
                siren=SIREN,
                granted_on=AT.date() - timedelta(days=days_before),
                regime=AidRegime.DE_MINIMIS,
                nominal_cents=cents,
                gross_grant_equivalent_cents=cents,
                source=AidSource.EXTERNAL,
                granted_by="Région Hauts-de-France",
            )
        )
    await session.commit()
    return session


@pytest.mark.parametrize("siren", [SIREN, "732829320", None])
@pytest.mark.parametrize("commune", [MAUBEUGE, UNKNOWN_COMMUNE, None])
@pytest.mark.parametrize("territory", ["known", "unknown", None])
async def test_one_statement_answers_what_the_reads_answer(
    register: AsyncSession,
    make_territory: MakeTerritory,
    siren: str | None,
    commune: str | None,
    territory: str | None,
) -> None:
    territory_id = None
    if territory == "known":
        territory_id = (await make_territory("ti-pontivy", name="Pontivy")).id
    elif territory == "unknown":
        territory_id = uuid.uuid4()
    with statements_sent(register.bind) as statements:
        found = await stored_facts(
            register, siren=siren, commune=commune, at=AT, territory_id=territory_id
        )
    assert len(statements) == (0 if siren is None and commune is None and territory is None else 1)
    day: date = AT.date()
    expected_registered = (
        (await deminimis_room(register, siren, day)).registered_cents if siren else None
    )
    assert found.registered == expected_registered
    assert found.zonings == await site_zonings(register, commune, day)
    if siren == SIREN:
        assert found.registered == 25_000_000  # the older grant is out of the window
    if commune == MAUBEUGE:
        assert found.zonings is not None
        assert found.zonings.member_of
    stored = await register.get(Territory, territory_id) if territory_id else None
    expected = stored and {"id": stored.id, "code": stored.code, "name": stored.name}
    assert found.territory == expected
    if territory == "known":
        assert found.territory == {"id": territory_id, "code": "ti-pontivy", "name": "Pontivy"}


async def test_without_a_date_only_the_territory_is_read(
    register: AsyncSession, make_territory: MakeTerritory
) -> None:
    assert await stored_facts(
        register, siren=SIREN, commune=MAUBEUGE, at=None, territory_id=None
    ) == StoredFacts(None, None, None)
    territory = await make_territory("ti-pontivy", name="Pontivy")
    found = await stored_facts(
        register, siren=SIREN, commune=MAUBEUGE, at=None, territory_id=territory.id
    )
    assert found == StoredFacts(
        None, None, {"id": territory.id, "code": "ti-pontivy", "name": "Pontivy"}
    )
