"""When each step of a demo application happened: submission, decisions, agreement,
payments, all inside the fund's window where the steps fit, and never after `end`."""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from shared.applications.enums import ApplicationStatus as S

_DECIDED = frozenset({S.APPROVED, S.AGREEMENT_SIGNED, S.FUNDED, S.CLOSED, S.CANCELLED})
_REVIEWED = frozenset({S.PRESELECTED, S.UNDER_REVIEW, S.INFORMATION_REQUESTED, S.REJECTED})
_SIGNED = frozenset({S.AGREEMENT_SIGNED, S.FUNDED, S.CLOSED})
_UNSUBMITTED = frozenset({S.DRAFT, S.EXPIRED})


@dataclass(slots=True)
class Timeline:
    """The instants of an application's steps (None: not reached)."""

    created: datetime
    submitted: datetime | None = None
    reviewed: datetime | None = None
    decided: datetime | None = None
    signed: date | None = None
    payments: list[date] = field(default_factory=list)
    cancelled: datetime | None = None
    last: datetime | None = None


def timeline(rng: random.Random, status: S, opens: date, end: date) -> Timeline:
    """The steps `status` implies, with durations drawn from `rng`; the submission day
    is drawn from the fund's opening (earlier when the steps need more time) to `end`."""
    steps = _durations(rng, status)
    span = sum(steps.values())
    latest = end - timedelta(days=span + 1)
    earliest = min(opens, latest)
    day = earliest + timedelta(days=rng.randint(0, (latest - earliest).days))
    created = _instant(rng, day - timedelta(days=rng.randint(3, 40)))
    if status in _UNSUBMITTED or (status is S.WITHDRAWN and rng.random() < 0.3):
        return Timeline(created=created, last=created)
    line = Timeline(created=created, submitted=_instant(rng, day))
    cursor = day
    for step, days in steps.items():
        cursor += timedelta(days=days)
        _set(rng, line, step, cursor)
    line.last = max(
        (
            moment
            for moment in (line.submitted, line.reviewed, line.decided, line.cancelled)
            if moment
        ),
        default=created,
    )
    return line


def _durations(rng: random.Random, status: S) -> dict[str, int]:
    steps: dict[str, int] = {}
    if status in _REVIEWED or status in _DECIDED or status is S.WITHDRAWN:
        steps["reviewed"] = rng.randint(10, 40)
    if status in _DECIDED:
        steps["decided"] = rng.randint(20, 90)
    if status in _SIGNED or (status is S.CANCELLED and rng.random() < 0.5):
        steps["signed"] = rng.randint(15, 45)
    if status in (S.FUNDED, S.CLOSED) or (status is S.CANCELLED and "signed" in steps):
        steps["paid"] = rng.randint(20, 60)
    if status is S.CLOSED:
        steps["paid_again"] = rng.randint(30, 120)
    if status is S.CANCELLED:
        steps["cancelled"] = rng.randint(10, 60)
    return steps


def _set(rng: random.Random, line: Timeline, step: str, day: date) -> None:
    if step == "reviewed":
        line.reviewed = _instant(rng, day)
    elif step == "decided":
        line.decided = _instant(rng, day)
    elif step == "signed":
        line.signed = day
    elif step in ("paid", "paid_again"):
        line.payments.append(day)
    else:
        line.cancelled = _instant(rng, day)


def _instant(rng: random.Random, day: date) -> datetime:
    """A working hour of `day`, UTC."""
    return datetime.combine(day, time(rng.randint(7, 17), rng.randint(0, 59)), tzinfo=UTC)
