"""`tidi demo generate`: read the reference, generate the rows of a preset from a seed,
write them in one transaction with an audit entry that labels them synthetic."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.errors import Conflict
from shared.principal import SYSTEM
from shared.seeding.demo import repository
from shared.seeding.demo.generate import END, TABLES, Dataset, generate
from shared.seeding.demo.presets import Preset
from shared.zonings import facts as zoning_facts

Progress = Callable[[str, int, int], None]
"""Called as progress(step, advanced_by, total_of_step)."""


class DemoRefused(Conflict):
    """The database already holds projects: demo data goes into an empty programme."""

    type_slug = "demo-refused"
    title = "Demo data refused"


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What was written: rows per table."""

    preset: str
    seed: int
    rows: dict[str, int]


async def generate_demo(
    session: AsyncSession,
    preset: Preset,
    seed: int,
    *,
    end: date = END,
    progress: Progress | None = None,
) -> DemoSummary:
    """Write the demo dataset of `preset` from `seed` (the caller commits); refused when
    the database already holds projects."""
    if await repository.has_projects(session):
        raise DemoRefused(
            "the database already holds projects: demo data goes into a programme without any"
        )
    await repository.clear_demo_zonings(session)
    reference = await repository.read_reference(session)

    def tick(done: int) -> None:
        if progress is not None:
            progress("generate", done, preset.applications)

    dataset = generate(preset, seed, reference, end=end, tick=tick)
    await write(session, dataset, progress)
    await zoning_facts.refresh(session, None)
    rows = dataset.counts()
    entry = audit_service.entry_values(
        SYSTEM,
        action="demo.generated",
        subject_type="demo",
        subject_id=f"{preset.name.value}:{seed}",
        changes={"preset": preset.name.value, "seed": seed, "rows": rows},
        reason="Synthetic demo dataset (not real data): never for production.",
    )
    await repository.insert_rows(session, "audit_entries", [entry])
    return DemoSummary(preset=preset.name.value, seed=seed, rows=rows)


async def write(session: AsyncSession, dataset: Dataset, progress: Progress | None = None) -> None:
    """Insert every table's rows in order, then add the awards to the seeded envelopes."""
    for name in TABLES:
        found = dataset.tables[name]

        def advance(done: int, name: str = name, total: int = len(found)) -> None:
            if progress is not None:
                progress(name, done, total)

        await repository.insert_rows(session, name, found, advance)
    await repository.add_to_envelopes(session, dataset.envelope_updates)
