"""The zonings of a site at a date: in, out or unknown per kind, and the data used.

A kind is known for a commune at a date when a membership row puts the commune in it, or a
coverage of that kind holds the commune; a covered kind without a membership row is false;
any other kind stays unknown. Territoire d'industrie membership is always known: the
commune's intercommunality is in a territory (the `territories` table) or a TI row says so.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.zonings import repository
from shared.zonings.kinds import ZoningKind

TERRITORIES_VINTAGE = "territoires"
"""The vintage named for TI membership derived from the territories table (live data)."""


@dataclass(frozen=True, slots=True)
class SiteZonings:
    """A site's zonings at a date: the kinds it is in, those the data does not cover (any
    other kind is known to be false), both in `ZoningKind` order, and the vintages used.
    """

    member_of: tuple[ZoningKind, ...]
    unknown: tuple[ZoningKind, ...]
    vintage: str | None


async def site_zonings(
    session: AsyncSession, commune_insee: str | None, at: date | datetime
) -> SiteZonings | None:
    """Each zoning kind of the commune at the date (in it, out of it or unknown) and the
    vintages used; None when the commune is not given or not in the reference geography.
    """
    if commune_insee is None:
        return None
    rows = await repository.site(session, commune_insee, day_of(at))
    return None if rows is None else zonings_of(rows)


async def sites_zonings(
    session: AsyncSession, pairs: Iterable[tuple[str, date]]
) -> Mapping[tuple[str, date], SiteZonings]:
    """`site_zonings` of many (commune, day) pairs in one query; a pair whose commune is not
    in the reference geography is absent."""
    rows = await repository.sites(session, sorted(set(pairs)))
    return {pair: zonings_of(site) for pair, site in rows.items()}


def day_of(at: date | datetime) -> date:
    """The day zonings are read at for an instant (its own calendar date)."""
    return at.date() if isinstance(at, datetime) else at


def zonings_of(rows: repository.SiteRows) -> SiteZonings:
    """What the zoning tables' rows of a site mean: each kind in, out or unknown."""
    covered, members = _vintages(rows.coverages), _vintages(rows.memberships)
    ti_source = members if rows.in_a_territory else covered
    ti_source.setdefault(ZoningKind.TI, set()).add(TERRITORIES_VINTAGE)
    # A membership answers for its kind: the vintages of the lists that only cover it go.
    vintages = covered | members
    return SiteZonings(
        member_of=tuple(kind for kind in ZoningKind if kind in members),
        unknown=tuple(kind for kind in ZoningKind if kind not in vintages),
        vintage=vintage_label(vintages),
    )


def _vintages(rows: Iterable[tuple[ZoningKind, str]]) -> dict[ZoningKind, set[str]]:
    by_kind: dict[ZoningKind, set[str]] = {}
    for kind, vintage in rows:
        by_kind.setdefault(kind, set()).add(vintage)
    return by_kind


def vintage_label(vintages: dict[ZoningKind, set[str]]) -> str | None:
    """One line naming the vintage(s) behind each known kind: `TI territoires; QPV qpv-2024`."""
    parts = [
        f"{kind.value} {', '.join(sorted(vintages[kind]))}"
        for kind in ZoningKind
        if vintages.get(kind)
    ]
    return "; ".join(parts) or None
