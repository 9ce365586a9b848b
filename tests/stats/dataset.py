"""Rows of a statistics dataset written directly (projects, applications at any status,
commitments, payments, outcome reports, zonings), as the decision flows would leave them."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.applications.models import Application
from shared.budgets.models import BudgetEnvelope, Commitment, CommitmentStatus, Financer, Payment
from shared.funds.models import Fund
from shared.outcomes.models import Outcome
from shared.projects.models import Project
from shared.zonings.kinds import ZoningKind
from shared.zonings.models import CoverageScope, ZoningCoverage, ZoningMembership

PONTIVY = ("56178", "53")
ALBI = ("81004", "76")
PARIS = ("75056", "11")
HOLDER = {"siren": "552100554", "name": "Fonderies de Bretagne", "kind": "company"}


def at(day: str, hour: int = 12) -> datetime:
    """Noon (UTC) of an ISO day: whole days between two instants."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


async def add_project(
    session: AsyncSession,
    *,
    territory_id: uuid.UUID | None,
    site: tuple[str, str],
    jobs: tuple[int, int] = (0, 0),
    investment: int = 0,
    relocation: bool = False,
    status: str = "active",
    nature: str = "extension",
    priorities: tuple[str, ...] = ("decarbonation",),
) -> Project:
    commune, region = site
    project = Project(
        id=uuid.uuid4(),
        territory_id=territory_id,
        status=status,
        title="Projet industriel",
        nature=nature,
        priorities=list(priorities),
        holder=HOLDER,
        holder_siren=HOLDER["siren"],
        site={"siret": None, "commune_insee": commune, "region_code": region},
        site_region_code=region,
        investment_total_cents=investment,
        jobs_created=jobs[0],
        jobs_maintained=jobs[1],
        relocation={"flag": relocation, "from_country": None},
    )
    session.add(project)
    await session.flush()
    return project


async def add_application(
    session: AsyncSession,
    project: Project,
    *,
    fund: str,
    status: str,
    submitted_at: datetime | None,
    requested: int,
    decided: tuple[str, datetime] | None = None,
    **snapshot: Any,
) -> Application:
    """An application of `project`; its snapshot is the project's, with `snapshot` changed
    (a later submission of a project changed since)."""
    row = (await session.execute(select(Fund.id, Fund.operator_id).where(Fund.code == fund))).one()
    frozen = {
        "project_id": str(project.id),
        "version": 1,
        "territory_id": str(project.territory_id) if project.territory_id else None,
        "title": project.title,
        "nature": project.nature,
        "priorities": list(project.priorities),
        "holder": project.holder,
        "site": project.site,
        "investment_total_cents": project.investment_total_cents,
        "jobs_created": project.jobs_created,
        "jobs_maintained": project.jobs_maintained,
        "relocation": project.relocation,
        "is_collective": False,
    } | snapshot
    application = Application(
        id=uuid.uuid4(),
        project_id=project.id,
        fund_id=row.id,
        operator_id=row.operator_id,
        territory_id=project.territory_id,
        region_code=project.site_region_code,
        status=status,
        applicant_siren=HOLDER["siren"],
        requested_amount_cents=requested,
        project_snapshot=frozen if submitted_at else None,
        submitted_at=submitted_at,
        submission_no=1 if submitted_at else 0,
        decision=({"kind": decided[0], "decided_at": decided[1].isoformat()} if decided else None),
    )
    session.add(application)
    await session.flush()
    return application


async def add_commitment(
    session: AsyncSession,
    application: Application,
    *,
    financer: Financer,
    amount: int,
    created_at: datetime,
    payments: tuple[tuple[int, date], ...] = (),
    released: bool = False,
) -> Commitment:
    """A commitment of `application` on its fund's envelope of `financer`, and its payments."""
    envelope_id = await session.scalar(
        select(BudgetEnvelope.id).where(
            BudgetEnvelope.fund_id == application.fund_id, BudgetEnvelope.financer == financer
        )
    )
    assert envelope_id is not None, (application.fund_id, financer)
    commitment = Commitment(
        id=uuid.uuid4(),
        application_id=application.id,
        envelope_id=envelope_id,
        amount_cents=amount,
        paid_cents=sum(paid for paid, _ in payments),
        status=CommitmentStatus.RELEASED if released else CommitmentStatus.ACTIVE,
        created_at=created_at,
    )
    session.add(commitment)
    await session.flush()
    for paid, paid_on in payments:
        session.add(
            Payment(
                id=uuid.uuid4(),
                commitment_id=commitment.id,
                application_id=application.id,
                amount_cents=paid,
                paid_on=paid_on,
            )
        )
    await session.flush()
    return commitment


async def add_outcome(
    session: AsyncSession,
    application: Application,
    *,
    reported_on: date,
    jobs: tuple[int, int],
    investment: int,
) -> Outcome:
    outcome = Outcome(
        id=uuid.uuid4(),
        application_id=application.id,
        reported_on=reported_on,
        jobs_created=jobs[0],
        jobs_maintained=jobs[1],
        investment_cents=investment,
        reported_by_role="territory",
    )
    session.add(outcome)
    await session.flush()
    return outcome


async def add_zonings(session: AsyncSession) -> None:
    """FRR, FRR+, QPV and PVD lists complete for France; an ACV list complete for the
    departments of Pontivy and Albi only (Paris: undetermined). Pontivy is in an FRR, Albi
    in a PVD."""
    start = date(2024, 1, 1)
    for kind, vintage in (
        (ZoningKind.FRR, "test-2025"),
        (ZoningKind.FRR_PLUS, "test-2025"),
        (ZoningKind.QPV, "test-2025"),
        (ZoningKind.PVD, "pvd-test"),
    ):
        session.add(_coverage(kind, vintage, CoverageScope.FRANCE, [], start))
    session.add(
        _coverage(ZoningKind.ACV, "acv-test", CoverageScope.DEPARTMENTS, ["56", "81"], start)
    )
    for kind, vintage, commune in (
        (ZoningKind.FRR, "test-2025", PONTIVY[0]),
        (ZoningKind.PVD, "pvd-test", ALBI[0]),
    ):
        session.add(
            ZoningMembership(
                id=uuid.uuid4(),
                kind=kind,
                code="",
                commune_insee=commune,
                valid_from=start,
                vintage=vintage,
                source="test",
            )
        )
    await session.flush()


def _coverage(
    kind: ZoningKind, vintage: str, scope: CoverageScope, codes: list[str], start: date
) -> ZoningCoverage:
    return ZoningCoverage(
        id=uuid.uuid4(),
        kind=kind,
        vintage=vintage,
        scope=scope,
        scope_codes=codes,
        valid_from=start,
        source="test",
    )
