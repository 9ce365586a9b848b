"""The monthly series of the programme figures, per group, as JSON arrays of months in
order: the submissions (summed over `aggregates.cells`) and the live awards and payments
(from `aggregates.commitments` and the payments of `aggregates.linked`), each a part of one
of the two statements of `repository.figures_statements`, merged by month in
`service._series`."""

from typing import Any

from sqlalchemy import CTE, BigInteger, ColumnElement, Date, DateTime, cast, func, select, union_all
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by

from shared.budgets.models import Payment

ACTIVITY = (
    "grp",
    "month",
    "submitted",
    "requested_cents",
    "awarded",
    "awarded_cents",
    "paid_cents",
)
"""The columns of the monthly series."""


def submissions_by_month(c: CTE) -> Any:
    """Per group, its months with submissions, as a JSON array (`submission_months`)."""
    submitted = select(
        *_activity(c.c.grp, c.c.month, func.sum(c.c.n), func.sum(c.c.requested), 0, 0, 0)
    ).group_by(c.c.grp, c.c.month)
    return _months(submitted, "submission_months")


def money_by_month(sums: CTE, ids: CTE) -> Any:
    """Per group, its months with live awards or payments, as a JSON array
    (`money_months`)."""
    p = Payment
    awarded = select(
        *_activity(sums.c.grp, sums.c.month, 0, 0, sums.c.awarded, sums.c.awarded_cents, 0)
    ).where(sums.c.all_months == 0, sums.c.awarded > 0)
    month_paid = cast(func.date_trunc("month", cast(p.paid_on, DateTime(timezone=False))), Date)
    paid = (
        select(*_activity(ids.c.grp, month_paid, 0, 0, 0, 0, func.sum(p.amount_cents)))
        .select_from(ids.join(p, p.application_id == ids.c.id))
        .group_by(ids.c.grp, month_paid)
    )
    return _months(union_all(awarded, paid), "money_months")


def _months(activity: Any, name: str) -> Any:
    """Per group, the rows of `activity` summed per month, in order, as a JSON array of
    objects named as `ACTIVITY` (column `name`)."""
    events = activity.subquery("activity")
    per_month = (
        select(
            events.c.grp,
            func.to_char(events.c.month, "YYYY-MM").label("month"),
            *[cast(func.sum(events.c[key]), BigInteger).label(key) for key in ACTIVITY[2:]],
        )
        .group_by(events.c.grp, events.c.month)
        .subquery("per_month")
    )
    month = func.jsonb_build_object(
        *[arg for key in ACTIVITY[1:] for arg in (key, per_month.c[key])]
    )
    ordered = aggregate_order_by(month, per_month.c.month)
    return (
        select(per_month.c.grp, func.jsonb_agg(ordered, type_=JSONB).label(name))
        .group_by(per_month.c.grp)
        .subquery(name)
    )


def _activity(*values: Any) -> list[ColumnElement[Any]]:
    """One row of activity, its columns named (numbers as bigint)."""
    return [
        cast(value, BigInteger).label(name)
        if isinstance(value, int) or name in ACTIVITY[2:]
        else value.label(name)
        for value, name in zip(values, ACTIVITY, strict=True)
    ]
