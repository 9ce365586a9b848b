"""The running figures of a dry-run: what it keeps between batches, and its report.

Deltas are counted in hundredths of a point (integers), so the figures are exact whatever
the order or the number of batches; only the `DRY_RUN_MAX_ITEMS` applications that come
first in the report's order are kept, with how many changed in all.
"""

import bisect
import uuid
from typing import Any

from shared.applications.enums import ApplicationStatus
from shared.eligibility.models import AssessmentOutcome
from shared.eligibility.rules import Outcome
from shared.eligibility.ruleset_schemas import DryRunItem, DryRunReport, DryRunSummary
from shared.eligibility.service import points
from shared.eligibility.verdicts import RECORD_ONLY, RESCORABLE_BY_FUND

DRY_RUN_MAX_ITEMS = 500
_FIGURES = ("evaluated", "failed", "changed", "delta_sum", "improved", "worsened", "moved")


class Tally:
    """Accumulates a dry-run's figures; keeps the first applications that change."""

    def __init__(self) -> None:
        self.evaluated = self.failed = self.changed = self.moved = 0
        self.delta_sum = self.improved = self.worsened = 0
        self.min_delta: int | None = None
        self.max_delta: int | None = None
        self.transitions: dict[str, int] = {}
        self.items: list[dict[str, Any]] = []
        self._ranks: list[tuple[bool, float, str]] = []
        """The rank of each kept item, in the same (sorted) order."""

    @classmethod
    def resume(cls, figures: dict[str, Any], items: list[dict[str, Any]]) -> "Tally":
        """The tally as a dry-run stored it (`figures`, `kept_items`)."""
        tally = cls()
        for name in _FIGURES:
            setattr(tally, name, int(figures.get(name, 0)))
        tally.min_delta, tally.max_delta = figures.get("min_delta"), figures.get("max_delta")
        tally.transitions = dict(figures.get("transitions", {}))
        tally.items = sorted(items, key=_rank_of)
        tally._ranks = [_rank_of(item) for item in tally.items]
        return tally

    def add(
        self,
        application_id: uuid.UUID,
        status: ApplicationStatus,
        before: Outcome | None,
        after: Outcome,
    ) -> None:
        """One application's verdicts under the published version (`before`) and the draft."""
        self.evaluated += 1
        after_points = float(points(after.total))
        before_points = float(points(before.total)) if before is not None else None
        delta = round(after_points - (before_points or 0.0), 2) if before is not None else 0.0
        cents = round(delta * 100)
        self.delta_sum += cents
        self.min_delta = cents if self.min_delta is None else min(self.min_delta, cents)
        self.max_delta = cents if self.max_delta is None else max(self.max_delta, cents)
        self.improved += cents > 0
        self.worsened += cents < 0
        self.moved += cents != 0
        before_outcome = AssessmentOutcome(before.verdict.value) if before is not None else None
        after_outcome = AssessmentOutcome(after.verdict.value)
        outcome_changed = before_outcome is not after_outcome
        if outcome_changed:
            pair = f"{before_outcome.value if before_outcome else 'none'}→{after_outcome.value}"
            self.transitions[pair] = self.transitions.get(pair, 0) + 1
        if not (outcome_changed or delta):
            return
        self.changed += 1
        rank = _rank(outcome_changed, delta, str(application_id))
        if len(self.items) >= DRY_RUN_MAX_ITEMS and rank >= self._ranks[-1]:
            return
        item = DryRunItem(
            application_id=application_id,
            status=status,
            status_would_change=outcome_changed
            and status in RESCORABLE_BY_FUND
            and status not in RECORD_ONLY,
            before_outcome=before_outcome,
            after_outcome=after_outcome,
            before_points=before_points,
            after_points=after_points,
            delta=delta,
        )
        at = bisect.bisect_right(self._ranks, rank)
        self._ranks.insert(at, rank)
        self.items.insert(at, item.model_dump(mode="json"))
        del self._ranks[DRY_RUN_MAX_ITEMS:], self.items[DRY_RUN_MAX_ITEMS:]

    def figures(self) -> dict[str, Any]:
        """What is stored between batches (beside `kept_items`)."""
        figures: dict[str, Any] = {name: getattr(self, name) for name in _FIGURES}
        return figures | {
            "min_delta": self.min_delta,
            "max_delta": self.max_delta,
            "transitions": self.transitions,
        }

    def kept_items(self) -> list[dict[str, Any]]:
        """The applications kept for the report, in its order."""
        return self.items

    def report(self, fund_code: str, version: int, baseline: int | None) -> DryRunReport:
        """The finished dry-run's report."""
        count = self.evaluated
        summary = DryRunSummary(
            evaluated=count,
            outcome_changed=sum(self.transitions.values()),
            points_changed=self.moved,
            improved=self.improved,
            worsened=self.worsened,
            mean_delta=round(self.delta_sum / count / 100, 2) if count else 0.0,
            min_delta=(self.min_delta or 0) / 100,
            max_delta=(self.max_delta or 0) / 100,
            transitions=dict(sorted(self.transitions.items())),
            failed=self.failed,
        )
        return DryRunReport(
            fund_code=fund_code,
            version=version,
            baseline_version=baseline,
            summary=summary,
            items=[DryRunItem.model_validate(item) for item in self.items],
            items_truncated=self.changed > DRY_RUN_MAX_ITEMS,
        )


def _rank(outcome_changed: bool, delta: float, application_id: str) -> tuple[bool, float, str]:
    """The report's order: outcome changes first, then by decreasing |delta|, then by id
    (in its canonical text form, as the items hold it)."""
    return (not outcome_changed, -abs(delta), application_id)


def _rank_of(item: dict[str, Any]) -> tuple[bool, float, str]:
    changed = item["before_outcome"] != item["after_outcome"]
    return _rank(changed, item["delta"], str(item["application_id"]))
