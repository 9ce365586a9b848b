"""Demo sites clés en main: labelled sites (and a few proposals) in the communes of the
demo territories, with their procedures and services."""

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.seeding.demo.identifiers import new_id
from shared.seeding.demo.presets import DEMO_PREFIX
from shared.seeding.demo.reference import Commune

Row = dict[str, Any]
_VINTAGES = (2020, 2021, 2024)


def sites(
    rng: random.Random,
    labelled: int,
    territories: list[tuple[uuid.UUID, list[Commune]]],
    moment: datetime,
) -> list[Row]:
    """`labelled` labelled sites, and a tenth as many proposed, each in a commune of a
    demo territory (drawn at random)."""
    homes = [(territory, communes) for territory, communes in territories if communes]
    rows = []
    for number in range(1, labelled + labelled // 10 + 1):
        territory, communes = rng.choice(homes)
        rows.append(_site(rng, number, territory, rng.choice(communes), number <= labelled, moment))
    return rows


def _site(
    rng: random.Random,
    number: int,
    territory: uuid.UUID,
    commune: Commune,
    labelled: bool,
    moment: datetime,
) -> Row:
    vintage = rng.choice(_VINTAGES) if labelled else None
    done = date(vintage or 2025, 1, 1) - timedelta(days=rng.randint(30, 700))
    return {
        "id": new_id(rng),
        "territory_id": territory,
        "status": "labelled" if labelled else "proposed",
        "name": f"{DEMO_PREFIX}Site industriel {number:03d}",
        "description": "Site synthétique (données de démonstration, non réelles).",
        "commune_insee": commune.insee,
        "department_code": commune.department,
        "region_code": commune.region,
        "area_ha": rng.randint(500, 15_000) / 100,
        "land_control": rng.choice(("public", "private", "mixed")),
        "procedures": {
            "urban_planning": done.isoformat(),
            "environmental_authorisation": done.isoformat() if rng.random() < 0.7 else None,
            "archaeology_diagnosis": done.isoformat() if rng.random() < 0.8 else None,
            "biodiversity_inventory": done.isoformat(),
        },
        "services": {
            "rail": rng.random() < 0.3,
            "road": True,
            "power_mva": float(rng.randint(2, 40)),
            "water_m3_per_day": float(rng.randint(100, 3_000)),
        },
        "latitude": commune.latitude,
        "longitude": commune.longitude,
        "label_vintage": vintage,
        "labelled_at": datetime.combine(date(vintage, 6, 30), time(12), tzinfo=UTC)
        if vintage
        else None,
        "refusal_reason": None,
        "created_by_key_id": None,
        "created_at": moment,
        "updated_at": moment,
        "version": 1,
    }
