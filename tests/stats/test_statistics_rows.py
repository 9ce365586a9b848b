"""The statistics rows (`application_statistics`) the database keeps: after every kind of
change to what they copy (an application's status, submission or withdrawal of its
submission, a project's status, a project's second application, zoning facts stored,
stale or replaced), they equal what the source tables say."""

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Date, and_, cast, exists, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import TIMESTAMP
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.funds.models import Fund
from shared.projects.enums import ProjectStatus
from shared.projects.models import Project
from shared.stats.models import DECIDED, PLANNED, SITE, ApplicationStatistics
from shared.zonings import facts
from shared.zonings.models import ApplicationZoningFacts
from tests.stats.conftest import Programme

A, P, F, S = Application, Project, ApplicationZoningFacts, ApplicationStatistics
_FACTS = ("department_code", "fragile", "extension", "undetermined", "vintage_set_id")


def _expected() -> Any:
    """The rows as computed from the source tables, independently of the triggers."""
    kind, decided_at = DECIDED
    o = aliased(Application)
    shared = exists(select(o.id).where(o.project_id == A.project_id, o.id != A.id))
    same_submission = and_(F.application_id == A.id, F.submitted_at == A.submitted_at)
    return (
        select(
            A.id,
            A.project_id,
            P.status,
            shared,
            A.fund_id,
            A.operator_id,
            A.territory_id,
            A.region_code,
            A.status,
            A.submitted_at,
            cast(func.date_trunc("month", func.timezone("UTC", A.submitted_at)), Date),
            A.requested_amount_cents,
            *PLANNED,
            A.project_snapshot["nature"].astext,
            A.project_snapshot["priorities"],
            SITE,
            kind,
            cast(decided_at, TIMESTAMP(timezone=True)),
            *[getattr(F, name) for name in _FACTS],
        )
        .select_from(A)
        .join(P, P.id == A.project_id)
        .outerjoin(F, same_submission)
        .where(A.submitted_at.is_not(None))
        .order_by(A.id)
    )


def _kept() -> Any:
    return select(
        S.application_id,
        S.project_id,
        S.project_status,
        S.project_shared,
        S.fund_id,
        S.operator_id,
        S.territory_id,
        S.region_code,
        S.status,
        S.submitted_at,
        S.submitted_month,
        S.requested_amount_cents,
        S.planned_jobs_created,
        S.planned_jobs_maintained,
        S.planned_investment_cents,
        S.planned_relocation,
        S.nature,
        S.priorities,
        S.site_commune_insee,
        S.decision_kind,
        S.decided_at,
        *[getattr(S, name) for name in _FACTS],
    ).order_by(S.application_id)


async def _assert_kept(sessionmaker: async_sessionmaker[AsyncSession]) -> list[Any]:
    async with sessionmaker() as session:
        expected = list((await session.execute(_expected())).all())
        kept = list((await session.execute(_kept())).all())
    assert [tuple(row) for row in kept] == [tuple(row) for row in expected]
    return kept


async def test_the_rows_follow_every_change_to_what_they_copy(
    programme: Programme, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    rows = await _assert_kept(sessionmaker)
    assert len(rows) == 5  # the submitted applications, a draft has none
    first = rows[0]
    this = A.id == first.application_id

    async with sessionmaker() as session:  # an application's status
        await session.execute(
            update(A).where(A.id == first.application_id).values(status=ApplicationStatus.WITHDRAWN)
        )
        await session.commit()
    await _assert_kept(sessionmaker)

    async with sessionmaker() as session:  # its project's status
        await session.execute(
            update(P).where(P.id == first.project_id).values(status=ProjectStatus.ABANDONED)
        )
        await session.commit()
    rows = await _assert_kept(sessionmaker)
    assert rows[0].project_status is ProjectStatus.ABANDONED

    async with sessionmaker() as session:  # the project's second application (a draft)
        copied = [c for c in A.__table__.c if not c.computed and c.name not in ("id", "fund_id")]
        other_fund = select(Fund.id).where(Fund.id != first.fund_id).limit(1)
        source = select(
            literal(uuid.uuid4()),
            other_fund.scalar_subquery(),
            *[literal(None) if c.name == "submitted_at" else c for c in copied],
        ).where(A.id == first.application_id)
        names = ["id", "fund_id", *[c.name for c in copied]]
        await session.execute(insert(A).from_select(names, source))
        await session.commit()
    rows = await _assert_kept(sessionmaker)
    assert rows[0].project_shared is True

    async with sessionmaker() as session:  # zoning facts stored, then of another submission
        await facts.refresh(session, None)
        await session.commit()
    rows = await _assert_kept(sessionmaker)
    assert all(row.vintage_set_id is not None for row in rows)
    async with sessionmaker() as session:
        await session.execute(
            update(F)
            .where(F.application_id == first.application_id)
            .values(submitted_at=F.submitted_at - timedelta(days=1))
        )
        await session.commit()
    rows = await _assert_kept(sessionmaker)
    assert rows[0].vintage_set_id is None

    async with sessionmaker() as session:  # submitted again, then its submission withdrawn
        await session.execute(
            update(A)
            .where(A.id == first.application_id)
            .values(submitted_at=A.submitted_at + timedelta(1))
        )
        await session.commit()
    await _assert_kept(sessionmaker)
    async with sessionmaker() as session:
        await session.execute(update(A).where(this).values(submitted_at=None))
        await session.commit()
    assert len(await _assert_kept(sessionmaker)) == 4
