"""Eligibility queries: ruleset versions, assessments, rescoring targets and the ranking."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    RowMapping,
    Select,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.db.engine import execute_rows
from shared.db.pagination import SortKey, after_clause, decode_cursor, encode_cursor
from shared.eligibility.models import Assessment, RulesetStatus, RulesetVersion
from shared.projects.models import Project

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


async def latest_published(session: AsyncSession, fund_id: uuid.UUID) -> RulesetVersion | None:
    """The fund's highest published ruleset version."""
    return await session.scalar(_LATEST, {"fund_id": fund_id})


async def latest_published_number(
    session: AsyncSession, fund_id: uuid.UUID
) -> tuple[uuid.UUID, int] | None:
    """The id and number of the fund's highest published ruleset version, without its
    definition (tens of kilobytes of JSON)."""
    row = (await execute_rows(session, _LATEST_NUMBER, {"fund_id": fund_id})).first()
    return None if row is None else (row.id, row.version)


def _latest_published(statement: SelectT) -> SelectT:
    """`statement` restricted to the highest published ruleset version of :fund_id."""
    return (
        statement.where(
            RulesetVersion.fund_id == bindparam("fund_id"),
            RulesetVersion.status == RulesetStatus.PUBLISHED,
        )
        .order_by(RulesetVersion.version.desc())
        .limit(1)
    )


_LATEST = _latest_published(select(RulesetVersion))
_LATEST_NUMBER = _latest_published(select(RulesetVersion.id, RulesetVersion.version))


async def current_published(session: AsyncSession) -> list[RulesetVersion]:
    """Every fund's highest published ruleset version."""
    result = await session.scalars(
        select(RulesetVersion)
        .where(RulesetVersion.status == RulesetStatus.PUBLISHED)
        .order_by(RulesetVersion.fund_id, RulesetVersion.version.desc())
        .ext(distinct_on(RulesetVersion.fund_id))
    )
    return list(result)


async def lock_application(session: AsyncSession, application_id: uuid.UUID) -> Application | None:
    """An application with its fund, locked until the transaction ends."""
    return await session.scalar(
        select(Application)
        .options(joinedload(Application.fund))
        .where(Application.id == application_id)
        .with_for_update(of=Application)
    )


async def find_assessment(
    session: AsyncSession,
    application_id: uuid.UUID,
    ruleset_version_id: uuid.UUID,
    submission_no: int,
) -> Assessment | None:
    """The assessment of this submission under this ruleset version, if there is one."""
    return await session.scalar(
        select(Assessment).where(
            Assessment.application_id == application_id,
            Assessment.ruleset_version_id == ruleset_version_id,
            Assessment.submission_no == submission_no,
        )
    )


async def assessments_of(
    session: AsyncSession, application_id: uuid.UUID
) -> Sequence[tuple[Assessment, RulesetVersion]]:
    """An application's assessments with their ruleset versions, latest first."""
    rows = await session.execute(
        select(Assessment, RulesetVersion)
        .join(RulesetVersion, RulesetVersion.id == Assessment.ruleset_version_id)
        .where(Assessment.application_id == application_id)
        .order_by(Assessment.created_at.desc(), Assessment.submission_no.desc())
    )
    return [(row[0], row[1]) for row in rows]


async def submitted_before(
    session: AsyncSession, cutoff: datetime, *, limit: int = 1000
) -> Sequence[Application]:
    """Applications still waiting in `submitted` since before `cutoff`."""
    result = await session.scalars(
        select(Application)
        .where(
            Application.status == ApplicationStatus.SUBMITTED,
            Application.submitted_at < cutoff,
        )
        .order_by(Application.submitted_at)
        .limit(limit)
    )
    return result.all()


# --- ruleset versions ------------------------------------------------------------------
async def versions_of(session: AsyncSession, fund_id: uuid.UUID) -> Sequence[RulesetVersion]:
    """A fund's ruleset versions, latest first."""
    result = await session.scalars(
        select(RulesetVersion)
        .where(RulesetVersion.fund_id == fund_id)
        .order_by(RulesetVersion.version.desc())
    )
    return result.all()


async def get_version(
    session: AsyncSession, fund_id: uuid.UUID, number: int, *, for_update: bool = False
) -> RulesetVersion | None:
    """One version of a fund's ruleset by number (locked until the end of the transaction)."""
    statement = select(RulesetVersion).where(
        RulesetVersion.fund_id == fund_id, RulesetVersion.version == number
    )
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def next_version_number(session: AsyncSession, fund_id: uuid.UUID) -> int:
    """One more than the fund's highest ruleset version (1 for the first)."""
    highest = await session.scalar(
        select(func.max(RulesetVersion.version)).where(RulesetVersion.fund_id == fund_id)
    )
    return int(highest or 0) + 1


# --- applications screened by a fund's ruleset ------------------------------------------
def assessed_under(version_id: uuid.UUID) -> ColumnElement[bool]:
    """The application's current submission has an assessment under this version."""
    return (
        select(Assessment.id)
        .where(
            Assessment.application_id == Application.id,
            Assessment.ruleset_version_id == version_id,
            Assessment.submission_no == Application.submission_no,
        )
        .exists()
    )


async def rescore_counts(
    session: AsyncSession, version: RulesetVersion, statuses: Sequence[ApplicationStatus]
) -> tuple[int, int, int]:
    """(total, done, failed) of the rescoring under `version`, counted in one query.

    The target is the fund's submitted applications in a rescored status or already assessed
    under the version (an application pre-selected since still counts as done).
    """
    assessed = assessed_under(version.id)
    row = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(assessed),
                func.count().filter(
                    ~assessed, Application.status == ApplicationStatus.SCREENING_ERROR
                ),
            ).where(
                Application.fund_id == version.fund_id,
                Application.submitted_at.is_not(None),
                or_(Application.status.in_(statuses), assessed),
            )
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


# --- ranking -----------------------------------------------------------------------------
def _latest_assessments(fund_id: uuid.UUID, operator_id: uuid.UUID | None) -> Any:
    """The latest assessment of each eligible application's current submission."""
    statement = (
        select(
            Assessment.application_id,
            Assessment.id.label("assessment_id"),
            Assessment.total_points,
            Assessment.max_points,
            RulesetVersion.version.label("ruleset_version"),
        )
        .join(Application, Application.id == Assessment.application_id)
        .join(RulesetVersion, RulesetVersion.id == Assessment.ruleset_version_id)
        .where(
            Application.fund_id == fund_id,
            Application.status == ApplicationStatus.ELIGIBLE,
            Assessment.submission_no == Application.submission_no,
        )
        .ext(distinct_on(Assessment.application_id))
        .order_by(Assessment.application_id, Assessment.created_at.desc(), Assessment.id.desc())
    )
    if operator_id is not None:
        statement = statement.where(Application.operator_id == operator_id)
    return statement.subquery("latest")


async def ranking_page(
    session: AsyncSession,
    fund_id: uuid.UUID,
    *,
    operator_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[RowMapping], str | None]:
    """One page of the fund's eligible applications by decreasing points.

    Ties are broken by submission time, then id, so the order is total and stable.
    `operator_id` restricts the rows to that operator's applications (tenancy in SQL).
    """
    latest = _latest_assessments(fund_id, operator_id)
    sort = SortKey(
        "ranking",
        (
            (latest.c.total_points, True),
            (Application.submitted_at, False),
            (Application.id, False),
        ),
    )
    statement = (
        select(
            Application.id.label("application_id"),
            Application.project_id,
            Project.title.label("project_title"),
            Application.territory_id,
            Application.region_code,
            Application.requested_amount_cents,
            Application.submitted_at,
            latest.c.assessment_id,
            latest.c.ruleset_version,
            latest.c.total_points,
            latest.c.max_points,
        )
        .join(latest, latest.c.application_id == Application.id)
        .join(Project, Project.id == Application.project_id)
    )
    if cursor:
        statement = statement.where(after_clause(sort, decode_cursor(sort, cursor)))
    rows = list(
        (await session.execute(statement.order_by(*sort.order_by).limit(limit + 1))).mappings()
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(
            sort, [last["total_points"], last["submitted_at"], last["application_id"]]
        )
    return rows, next_cursor
