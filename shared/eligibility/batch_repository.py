"""Batch statements of rescorings and dry-runs: applications read by the hundred as rows
(not objects), their territories, and assessments and audit entries written many at once."""

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Final

from sqlalchemy import RowMapping, Table, Text, bindparam, cast, delete, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.audit.models import AuditEntry
from shared.eligibility.dryrun_models import DryRun
from shared.eligibility.models import Assessment, RulesetVersion
from shared.territories.models import Territory

_APPLICATIONS: Final[Table] = Application.__table__  # type: ignore[assignment]
_ASSESSMENTS: Final[Table] = Assessment.__table__  # type: ignore[assignment]


async def rescore_rows(
    session: AsyncSession,
    version: RulesetVersion,
    statuses: Sequence[ApplicationStatus],
    *,
    after: uuid.UUID | None,
    limit: int,
    inclusive: bool = False,
    before: uuid.UUID | None = None,
) -> tuple[Sequence[RowMapping], uuid.UUID | None]:
    """The next `limit` applications by id in (`after`, `before`) (`inclusive`: from `after`
    on), locked: the stored columns of those not yet assessed under `version` for their
    current submission, and the last id read (None when fewer than `limit` were left).

    Rows are locked in id order, as every batch does, so concurrent batches never deadlock.
    Those already assessed are told apart in a second query, by the assessments' unique key:
    an anti-join in the first one is planned from the statistics of a version that had no
    assessment yet, and then scans them all for every batch.
    """
    statement = (
        select(_APPLICATIONS)
        .where(
            Application.fund_id == version.fund_id,
            Application.submitted_at.is_not(None),
            Application.status.in_(statuses),
        )
        .order_by(Application.id)
        .limit(limit)
        .with_for_update()
    )
    if after is not None:
        statement = statement.where(
            Application.id >= after if inclusive else Application.id > after
        )
    if before is not None:
        statement = statement.where(Application.id < before)
    rows = (await session.execute(statement)).mappings().all()
    if not rows:
        return rows, None
    found = await session.execute(
        select(Assessment.application_id, Assessment.submission_no).where(
            Assessment.application_id.in_([row["id"] for row in rows]),
            Assessment.ruleset_version_id == version.id,
        )
    )
    assessed = {(application_id, number) for application_id, number in found}
    fresh = [row for row in rows if (row["id"], row["submission_no"]) not in assessed]
    return fresh, rows[-1]["id"] if len(rows) == limit else None


async def submitted_rows(
    session: AsyncSession,
    fund_id: uuid.UUID,
    *,
    after: uuid.UUID | None,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[RowMapping]:
    """The stored columns of the fund's next submitted applications by id in (`after`,
    `before`) that are not back in draft (what a dry-run evaluates); nothing locked."""
    statement = (
        select(_APPLICATIONS)
        .where(
            Application.fund_id == fund_id,
            Application.submitted_at.is_not(None),
            Application.status != ApplicationStatus.DRAFT,
        )
        .order_by(Application.id)
        .limit(limit)
    )
    if after is not None:
        statement = statement.where(Application.id > after)
    if before is not None:
        statement = statement.where(Application.id < before)
    return (await session.execute(statement)).mappings().all()


async def count_submitted(session: AsyncSession, fund_id: uuid.UUID) -> int:
    """How many of the fund's applications a dry-run evaluates now."""
    total = await session.scalar(
        select(func.count()).where(
            Application.fund_id == fund_id,
            Application.submitted_at.is_not(None),
            Application.status != ApplicationStatus.DRAFT,
        )
    )
    return int(total or 0)


async def territories_by_id(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Territory]:
    """These territories by id, in one query."""
    if not ids:
        return {}
    found = await session.scalars(select(Territory).where(Territory.id.in_(ids)))
    return {territory.id: territory for territory in found}


@cache
def _insert_assessments() -> Any:
    """INSERT the assessments given as arrays, skipping any whose (application, version,
    submission) exists already; RETURNING the applications of those written."""
    table = _ASSESSMENTS
    arrays = select(
        *(
            func.unnest(bindparam(name, type_=ARRAY(kind))).label(name)
            for name, kind in (
                ("id", table.c.id.type),
                ("application_id", table.c.application_id.type),
                ("submission_no", table.c.submission_no.type),
                ("outcome", Text()),
                ("total_points", table.c.total_points.type),
                ("max_points", table.c.max_points.type),
                ("results", Text()),
                ("missing_inputs", Text()),
            )
        )
    ).subquery("new")
    version = bindparam("ruleset_version_id", type_=table.c.ruleset_version_id.type)
    columns = list(arrays.c)
    source = select(
        *(cast(c, table.c[c.name].type) if c.name in _CAST_FROM_TEXT else c for c in columns),
        version,
    )
    return (
        pg_insert(table)
        .from_select([*(c.name for c in columns), "ruleset_version_id"], source)
        .on_conflict_do_nothing(
            index_elements=["application_id", "ruleset_version_id", "submission_no"]
        )
        .returning(table.c.application_id)
    )


_CAST_FROM_TEXT = frozenset({"outcome", "results", "missing_inputs"})


async def insert_assessments(
    session: AsyncSession, version_id: uuid.UUID, columns: Mapping[str, list[Any]]
) -> set[uuid.UUID]:
    """Write assessments under `version_id`, given column by column (`outcome`, `results`
    and `missing_inputs` as text: JSON for the documents); the applications whose assessment
    was written (one existing for the same submission is left, and its application out).
    """
    written = await session.scalars(
        _insert_assessments(), {**columns, "ruleset_version_id": version_id}
    )
    return set(written)


async def insert_audit_entries(session: AsyncSession, entries: Sequence[dict[str, Any]]) -> None:
    """Write audit entries (`shared.audit.service.entry_values`), several in one statement."""
    if entries:
        await session.execute(insert(AuditEntry), list(entries))


async def lock_dry_run(session: AsyncSession, dry_run_id: uuid.UUID) -> DryRun | None:
    """A dry-run, locked until the transaction ends (one batch of it at a time)."""
    return await session.get(DryRun, dry_run_id, with_for_update=True)


async def get_dry_run(
    session: AsyncSession, fund_id: uuid.UUID, number: int, dry_run_id: uuid.UUID
) -> tuple[DryRun, RulesetVersion | None] | None:
    """An unexpired dry-run of version `number` of the fund, with its baseline version."""
    baseline = aliased(RulesetVersion)
    row = (
        await session.execute(
            select(DryRun, baseline)
            .join(RulesetVersion, RulesetVersion.id == DryRun.ruleset_version_id)
            .outerjoin(baseline, baseline.id == DryRun.baseline_version_id)
            .where(
                DryRun.id == dry_run_id,
                DryRun.fund_id == fund_id,
                RulesetVersion.version == number,
                DryRun.expires_at > func.now(),
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def delete_expired_dry_runs(session: AsyncSession, now: datetime) -> int:
    """Delete the dry-runs expired at `now`; how many."""
    result = await session.execute(delete(DryRun).where(DryRun.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
