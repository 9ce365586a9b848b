"""A dry-run's tally keeps the first changes in the report's order, across batches."""

import random
import uuid

from shared.applications.enums import ApplicationStatus
from shared.eligibility.dryrun_tally import DRY_RUN_MAX_ITEMS, Tally
from shared.eligibility.rules import Outcome, Verdict


def outcome(verdict: Verdict, total: float) -> Outcome:
    return Outcome("fonds-friches", 2, verdict, total, 100, (), (), (), (), None)


def changes(count: int) -> list[tuple[uuid.UUID, Outcome, Outcome]]:
    """Applications whose verdict or points change, in a shuffled order."""
    rng = random.Random(7)
    made = []
    for _ in range(count):
        before = outcome(Verdict.ELIGIBLE, rng.randrange(0, 10_000) / 100)
        if rng.random() < 0.2:
            after = outcome(Verdict.INELIGIBLE, before.total)
        else:
            after = outcome(Verdict.ELIGIBLE, round(before.total + rng.choice([-3, 1, 2.5]), 2))
        made.append((uuid.UUID(int=rng.getrandbits(128)), before, after))
    return made


def expected(made: list[tuple[uuid.UUID, Outcome, Outcome]]) -> list[str]:
    """The report's order: outcome changes, then decreasing |delta|, then id."""
    ranked = sorted(
        made,
        key=lambda c: (
            c[1].verdict == c[2].verdict,
            -abs(round(c[2].total - c[1].total, 2)),
            str(c[0]),
        ),
    )
    return [str(app_id) for app_id, _, _ in ranked[:DRY_RUN_MAX_ITEMS]]


def test_the_kept_items_are_the_first_in_the_report_order_whatever_the_batches() -> None:
    made = changes(3 * DRY_RUN_MAX_ITEMS)
    tally = Tally()
    for start in range(0, len(made), 400):  # batches, each resumed from what was stored
        tally = Tally.resume(tally.figures(), tally.kept_items())
        for app_id, before, after in made[start : start + 400]:
            tally.add(app_id, ApplicationStatus.ELIGIBLE, before, after)

    kept = [item["application_id"] for item in tally.kept_items()]
    assert kept == expected(made)
    assert tally.changed == len(made)
    report = tally.report("fonds-friches", 3, 2)
    assert report.items_truncated
    assert [str(item.application_id) for item in report.items] == kept
