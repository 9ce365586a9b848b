"""Eligibility queries: ruleset versions, assessments, applications awaiting a score."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload

from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.eligibility.models import Assessment, RulesetStatus, RulesetVersion


async def latest_published(session: AsyncSession, fund_id: uuid.UUID) -> RulesetVersion | None:
    """The fund's highest published ruleset version."""
    return await session.scalar(
        select(RulesetVersion)
        .where(
            RulesetVersion.fund_id == fund_id,
            RulesetVersion.status == RulesetStatus.PUBLISHED,
        )
        .order_by(RulesetVersion.version.desc())
        .limit(1)
    )


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
