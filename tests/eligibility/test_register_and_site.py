"""The register's de minimis and the site's zonings read in one round trip: the same
answers as the two reads they replace, in every combination of what is asked."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from shared.eligibility.facts import register_and_site
from shared.seeding.service import seed_demo_zonings
from shared.stateaid.models import AidGrant, AidSource
from shared.stateaid.regimes import AidRegime
from shared.stateaid.service import deminimis_room
from shared.zonings.service import site_zonings
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
async def test_one_statement_answers_what_the_two_reads_answer(
    register: AsyncSession, siren: str | None, commune: str | None
) -> None:
    with statements_sent(register.bind) as statements:
        registered, zonings = await register_and_site(register, siren=siren, commune=commune, at=AT)
    assert len(statements) == (0 if siren is None and commune is None else 1)
    day: date = AT.date()
    expected_registered = (
        (await deminimis_room(register, siren, day)).registered_cents if siren else None
    )
    assert registered == expected_registered
    assert zonings == await site_zonings(register, commune, day)
    if siren == SIREN:
        assert registered == 25_000_000  # the older grant is out of the window
    if commune == MAUBEUGE:
        assert zonings is not None
        assert zonings.member_of


async def test_without_a_date_nothing_is_read(register: AsyncSession) -> None:
    assert await register_and_site(register, siren=SIREN, commune=MAUBEUGE, at=None) == (
        None,
        None,
    )
