"""Register statements: the de minimis an undertaking received in a window, the grants."""

from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.pagination import SortKey
from shared.stateaid.models import AidGrant
from shared.stateaid.regimes import AidRegime

NEWEST_FIRST = SortKey(
    "-granted_on",
    ((AidGrant.granted_on, True), (AidGrant.created_at, True), (AidGrant.id, True)),
)


async def deminimis_received(session: AsyncSession, siren: str, *, after: date, until: date) -> int:
    """The de minimis gross grant equivalent registered for `siren`, granted in
    (`after`, `until`]."""
    total = await session.scalar(
        select(func.coalesce(func.sum(AidGrant.gross_grant_equivalent_cents), 0)).where(
            AidGrant.siren == siren,
            AidGrant.regime == AidRegime.DE_MINIMIS,
            AidGrant.granted_on > after,
            AidGrant.granted_on <= until,
        )
    )
    return int(total or 0)


def grants_of(siren: str | None) -> Select[AidGrant]:
    """The register's grants, optionally of one undertaking."""
    statement = select(AidGrant)
    if siren is not None:
        statement = statement.where(AidGrant.siren == siren)
    return statement
