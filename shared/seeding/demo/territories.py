"""Demo territories over real intercommunalités, and the synthetic zoning lists that make
some communes fragile: pure, from the generator's random source."""

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared.seeding.demo.identifiers import new_id, split
from shared.seeding.demo.presets import (
    DEMO_CODE_PREFIX,
    DEMO_PREFIX,
    DEMO_SOURCE,
    DEMO_VINTAGE,
    Preset,
)
from shared.seeding.demo.reference import Commune, Reference
from shared.zonings.kinds import FRAGILE_EXTENSION_ZONINGS, FRAGILE_ZONINGS, ZoningKind

Row = dict[str, Any]
FRAGILE_SHARE = 0.35
"""Communes the synthetic lists put in a fragile zoning."""
_KIND_WEIGHTS = {
    ZoningKind.FRR: 45,
    ZoningKind.FRR_PLUS: 10,
    ZoningKind.QPV: 25,
    ZoningKind.ACV: 20,
}
_LISTS_FROM = date(2020, 1, 1)


@dataclass(slots=True)
class Places:
    """Where projects may be sited: per territory and outside any, fragile or not."""

    territory_ids: list[uuid.UUID]
    inside: list[dict[bool, list[Commune]]]
    outside: dict[bool, list[Commune]]
    everywhere: dict[bool, list[Commune]]
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def pick(self, rng: random.Random, territory: int | None, fragile: bool) -> Commune:
        """A commune of the territory (or outside any), fragile or not as asked."""
        pool = self.outside[fragile] if territory is None else self.inside[territory][fragile]
        return rng.choice(pool or self.everywhere[fragile])


def territories_and_zonings(
    rng: random.Random, preset: Preset, reference: Reference, moment: datetime
) -> Places:
    """The demo territories (their EPCIs), the synthetic zoning lists, and the places they
    make: the rows of `territories`, `territory_epcis`, `zoning_coverages` and
    `zoning_memberships` are in `rows`."""
    fragile, rows = _zonings(rng, reference, moment)
    groups = _epci_groups(rng, preset, reference)
    by_epci: dict[str | None, list[Commune]] = defaultdict(list)
    for commune in reference.communes:
        if commune.insee not in reference.fragile_elsewhere:
            by_epci[commune.epci].append(commune)
    territories, links, inside = [], [], []
    chosen: set[str] = set()
    for number, group in enumerate(groups, 1):
        territory_id = new_id(rng)
        territories.append(_territory(territory_id, number, group[0].name, group[0].region, moment))
        links += [{"territory_id": territory_id, "epci_siren": e.siren} for e in group]
        communes = [c for e in group for c in by_epci[e.siren]]
        inside.append(_by_fragility(communes, fragile))
        chosen.update(e.siren for e in group)
    usable = [c for c in reference.communes if c.insee not in reference.fragile_elsewhere]
    outside = [c for c in usable if c.epci not in chosen]
    rows |= {"territories": territories, "territory_epcis": links}
    return Places(
        territory_ids=[row["id"] for row in territories],
        inside=inside,
        outside=_by_fragility(outside, fragile),
        everywhere=_by_fragility(usable, fragile),
        rows=rows,
    )


def _epci_groups(rng: random.Random, preset: Preset, reference: Reference) -> list[list[Any]]:
    """`preset.epcis` EPCIs drawn at random, in groups of neighbours (same region, then
    SIREN order) of uneven sizes, one group per territory."""
    drawn = sorted(rng.sample(reference.epcis, preset.epcis), key=lambda e: (e.region, e.siren))
    sizes = split(rng, preset.epcis, preset.territories, minimum=1)
    groups, start = [], 0
    for size in sizes:
        groups.append(drawn[start : start + size])
        start += size
    return groups


def _territory(
    territory_id: uuid.UUID, number: int, epci_name: str, region: str, moment: datetime
) -> Row:
    return {
        "id": territory_id,
        "code": f"{DEMO_CODE_PREFIX}{number:03d}",
        "name": f"{DEMO_PREFIX}Territoire {number:03d} ({epci_name})"[:200],
        "region_code": region,
        "description": "Territoire synthétique (données de démonstration, non officielles).",
        "created_at": moment,
        "updated_at": moment,
        "version": 1,
    }


def _by_fragility(communes: list[Commune], fragile: set[str]) -> dict[bool, list[Commune]]:
    return {
        True: [c for c in communes if c.insee in fragile],
        False: [c for c in communes if c.insee not in fragile],
    }


def _zonings(
    rng: random.Random, reference: Reference, moment: datetime
) -> tuple[set[str], dict[str, list[Row]]]:
    """Synthetic lists of every fragile kind and PVD, complete for France: each commune
    (but those another list already puts in a fragile zoning) is in one fragile zoning
    with probability FRAGILE_SHARE; some of the others are small towns (PVD)."""
    kinds, weights = list(_KIND_WEIGHTS), list(_KIND_WEIGHTS.values())
    fragile: set[str] = set()
    members = []
    for commune in reference.communes:
        if commune.insee in reference.fragile_elsewhere:
            continue
        draw = rng.random()
        if draw < FRAGILE_SHARE:
            kind = rng.choices(kinds, weights)[0]
            fragile.add(commune.insee)
        elif draw < FRAGILE_SHARE + 0.05:
            kind = FRAGILE_EXTENSION_ZONINGS[0]
        else:
            continue
        members.append(_membership(rng, kind, commune.insee, moment))
    coverages: list[Row] = [
        {
            "id": new_id(rng),
            "kind": kind,
            "vintage": DEMO_VINTAGE,
            "scope": "france",
            "scope_codes": [],
            "valid_from": _LISTS_FROM,
            "valid_to": None,
            "source": DEMO_SOURCE,
            "imported_at": moment,
        }
        for kind in (*FRAGILE_ZONINGS, *FRAGILE_EXTENSION_ZONINGS)
    ]
    return fragile, {"zoning_coverages": coverages, "zoning_memberships": members}


def _membership(rng: random.Random, kind: ZoningKind, insee: str, moment: datetime) -> Row:
    return {
        "id": new_id(rng),
        "kind": kind,
        "code": f"DEMO-{kind.value}-{insee}",
        "commune_insee": insee,
        "valid_from": _LISTS_FROM,
        "valid_to": None,
        "vintage": DEMO_VINTAGE,
        "source": DEMO_SOURCE,
        "created_at": moment,
    }
