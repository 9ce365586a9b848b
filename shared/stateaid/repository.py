"""Register statements: the de minimis an undertaking received in a window, the grants."""

from collections.abc import Sequence
from datetime import date

from sqlalchemy import Date, Select, String, and_, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.pagination import SortKey
from shared.stateaid.models import AidGrant
from shared.stateaid.regimes import AidRegime

NEWEST_FIRST = SortKey(
    "-granted_on",
    ((AidGrant.granted_on, True), (AidGrant.created_at, True), (AidGrant.id, True)),
)


DEMINIMIS_RECEIVED = select(
    func.coalesce(func.sum(AidGrant.gross_grant_equivalent_cents), 0)
).where(
    AidGrant.siren == bindparam("siren"),
    AidGrant.regime == AidRegime.DE_MINIMIS,
    AidGrant.granted_on > bindparam("after"),
    AidGrant.granted_on <= bindparam("until"),
)
"""The de minimis gross grant equivalent registered for `siren`, granted in (`after`,
`until`]: one row, one column, its parameters bound at execution (alone, or as a scalar
subquery with other facts)."""


async def deminimis_received(session: AsyncSession, siren: str, *, after: date, until: date) -> int:
    """`DEMINIMIS_RECEIVED` for `siren` over (`after`, `until`]."""
    window = {"siren": siren, "after": after, "until": until}
    return int(await session.scalar(DEMINIMIS_RECEIVED, window) or 0)


async def deminimis_received_many(
    session: AsyncSession, windows: Sequence[tuple[str, date, date]]
) -> dict[tuple[str, date], int]:
    """`deminimis_received` of many (siren, after, until) windows in one query, by
    (siren, until)."""
    if not windows:
        return {}
    window = (
        select(
            func.unnest(cast([w[0] for w in windows], ARRAY(String))).label("siren"),
            func.unnest(cast([w[1] for w in windows], ARRAY(Date))).label("after"),
            func.unnest(cast([w[2] for w in windows], ARRAY(Date))).label("until"),
        )
    ).subquery("window")
    grant_in_window = and_(
        AidGrant.siren == window.c.siren,
        AidGrant.regime == AidRegime.DE_MINIMIS,
        AidGrant.granted_on > window.c.after,
        AidGrant.granted_on <= window.c.until,
    )
    rows = await session.execute(
        select(
            window.c.siren,
            window.c.until,
            func.coalesce(func.sum(AidGrant.gross_grant_equivalent_cents), 0),
        )
        .select_from(window.outerjoin(AidGrant, grant_in_window))
        .group_by(window.c.siren, window.c.until)
    )
    return {(siren, until): int(total) for siren, until, total in rows}


def grants_of(siren: str | None) -> Select[AidGrant]:
    """The register's grants, optionally of one undertaking."""
    statement = select(AidGrant)
    if siren is not None:
        statement = statement.where(AidGrant.siren == siren)
    return statement
