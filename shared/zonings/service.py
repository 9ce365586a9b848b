"""The zonings of a site at a date, as the rules engine reads them.

A kind is known for a commune at a date when a membership row puts the commune in it, or a
coverage of that kind holds the commune; a covered kind without a membership row is false;
any other kind stays unknown. Territoire d'industrie membership is always known: the
commune's intercommunality is in a territory (the `territories` table) or a TI row says so.
"""

from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.eligibility.rules.context import ZoningFacts, ZoningKind
from shared.zonings import repository

TERRITORIES_VINTAGE = "territoires"
"""The vintage named for TI membership derived from the territories table (live data)."""


async def site_zonings(
    session: AsyncSession, commune_insee: str | None, at: date | datetime
) -> ZoningFacts | None:
    """Each zoning kind of the commune at the date (True, False or unknown) and the
    vintages used; None when the commune is not given or not in the reference geography.
    """
    if commune_insee is None:
        return None
    day = at.date() if isinstance(at, datetime) else at
    rows = await repository.site(session, commune_insee, day)
    if rows is None:
        return None
    values: dict[str, bool] = {}
    vintages: dict[str, set[str]] = {}
    for kind, vintage in rows.coverages:
        values.setdefault(kind.value, False)
        vintages.setdefault(kind.value, set()).add(vintage)
    for kind, vintage in rows.memberships:
        if values.get(kind.value) is not True:
            values[kind.value] = True
            vintages[kind.value] = set()
        vintages[kind.value].add(vintage)
    ti = ZoningKind.TI.value
    if rows.in_a_territory:
        if values.get(ti) is not True:
            values[ti], vintages[ti] = True, set()
        vintages[ti].add(TERRITORIES_VINTAGE)
    elif values.get(ti) is not True:
        values[ti] = False
        vintages.setdefault(ti, set()).add(TERRITORIES_VINTAGE)
    return ZoningFacts.model_validate({**values, "vintage": vintage_label(vintages)})


def vintage_label(vintages: dict[str, set[str]]) -> str | None:
    """One line naming the vintage(s) behind each known kind: `TI territoires; QPV qpv-2024`."""
    parts = [
        f"{kind.value} {', '.join(sorted(vintages[kind.value]))}"
        for kind in ZoningKind
        if vintages.get(kind.value)
    ]
    return "; ".join(parts) or None
