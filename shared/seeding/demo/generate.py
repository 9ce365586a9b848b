"""The pure generation of a demo dataset: a `random.Random(seed)` over the reference read
once, into plain rows per table (the same seed and reference, the same rows)."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from shared.seeding.demo import money, rows
from shared.seeding.demo.plans import Plan, plans
from shared.seeding.demo.presets import Preset
from shared.seeding.demo.reference import Reference
from shared.seeding.demo.sites import sites
from shared.seeding.demo.territories import Places, territories_and_zonings
from shared.seeding.demo.timeline import timeline

Row = dict[str, Any]
END = date(2026, 11, 30)
"""The last day of the demo's activity (fixed: the same seed, the same dates)."""
TABLES = (
    "zoning_coverages",
    "zoning_memberships",
    "territories",
    "territory_epcis",
    "budget_envelopes",
    "projects",
    "applications",
    "budget_commitments",
    "budget_payments",
    "aid_register",
    "outcomes",
    "sites",
)
"""The tables a dataset fills, in insertion order (references first)."""
Tick = Callable[[int], None]


@dataclass(slots=True)
class Dataset:
    """The rows of each table, and what the awards add to the seeded envelopes."""

    tables: dict[str, list[Row]] = field(default_factory=lambda: {name: [] for name in TABLES})
    envelope_updates: list[Row] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Rows per table."""
        return {name: len(found) for name, found in self.tables.items()}


def generate(
    preset: Preset, seed: int, reference: Reference, *, end: date = END, tick: Tick | None = None
) -> Dataset:
    """The dataset of `preset` from `seed` over `reference`; `tick(n)` after each batch of
    n applications."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
    moment = datetime.combine(end, time(23), tzinfo=UTC)
    places = territories_and_zonings(rng, preset, reference, moment)
    dataset = Dataset()
    for name, found in places.rows.items():
        dataset.tables[name] = found
    ledger = money.Ledger(rng, reference, moment, end)
    planned = plans(rng, preset, len(places.territory_ids))
    for number, plan in enumerate(planned, 1):
        _application(rng, dataset, places, ledger, reference, plan, number, end)
        if tick is not None and number % 1_000 == 0:
            tick(1_000)
    if tick is not None:
        tick(len(planned) % 1_000)
    period = (date(end.year - 1, 1, 1), date(end.year + 1, 12, 31))
    dataset.tables["budget_envelopes"] = ledger.demo_envelopes(reference.funds, period)
    dataset.envelope_updates = ledger.seeded_updates()
    homes = [
        (territory, places.inside[index][True] + places.inside[index][False])
        for index, territory in enumerate(places.territory_ids)
    ]
    dataset.tables["sites"] = sites(rng, preset.sites, homes, moment)
    return dataset


def _application(
    rng: random.Random,
    dataset: Dataset,
    places: Places,
    ledger: money.Ledger,
    reference: Reference,
    plan: Plan,
    number: int,
    end: date,
) -> None:
    fund = reference.funds[plan.fund]
    line = timeline(rng, plan.status, fund.opens_on or date(end.year, 1, 1), end)
    site = places.pick(rng, plan.territory, plan.fragile)
    territory_id = None if plan.territory is None else places.territory_ids[plan.territory]
    project = rows.project_row(rng, plan, number, site, territory_id, line)
    application = rows.application_row(rng, plan, project, fund, line)
    dataset.tables["projects"].append(project)
    dataset.tables["applications"].append(application)
    if plan.status in money.AWARDED:
        for name, found in money.award(ledger, application, fund, line).items():
            dataset.tables[name].extend(found)
