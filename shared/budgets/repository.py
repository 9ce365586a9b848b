"""Budget statements: each a conditional update, so no concurrency can take an envelope past
its amount or a commitment past what it holds (the CHECK constraints are the backstop).
"""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.budgets.models import BudgetEnvelope, Commitment, CommitmentStatus, Financer, Payment


def candidates(
    fund_id: uuid.UUID, region_code: str | None, on: date, financer: Financer | None
) -> Select[BudgetEnvelope]:
    """The fund's envelopes that can carry an award in `region_code` on `on`: the region's
    own before the whole fund's, per financer."""
    statement = select(BudgetEnvelope).where(
        BudgetEnvelope.fund_id == fund_id,
        BudgetEnvelope.period_start <= on,
        BudgetEnvelope.period_end >= on,
        or_(BudgetEnvelope.region_code.is_(None), BudgetEnvelope.region_code == region_code),
    )
    if financer is not None:
        statement = statement.where(BudgetEnvelope.financer == financer)
    return statement.order_by(
        BudgetEnvelope.financer,
        BudgetEnvelope.region_code.is_(None),  # the region's own first
        BudgetEnvelope.period_start,
    )


async def take(session: AsyncSession, envelope_id: uuid.UUID, amount_cents: int) -> bool:
    """Add `amount_cents` to the envelope's commitments if they stay within its amount."""
    taken = await session.execute(
        update(BudgetEnvelope)
        .where(
            BudgetEnvelope.id == envelope_id,
            BudgetEnvelope.committed_cents + amount_cents <= BudgetEnvelope.amount_cents,
        )
        .values(
            committed_cents=BudgetEnvelope.committed_cents + amount_cents, updated_at=func.now()
        )
        .returning(BudgetEnvelope.id)
        .execution_options(synchronize_session=False)
    )
    return taken.scalar_one_or_none() is not None


async def commit(
    session: AsyncSession, application_id: uuid.UUID, envelope_id: uuid.UUID, amount_cents: int
) -> Commitment:
    """Record the commitment of an award already taken from its envelope."""
    commitment = Commitment(
        id=uuid.uuid4(),
        application_id=application_id,
        envelope_id=envelope_id,
        amount_cents=amount_cents,
        status=CommitmentStatus.ACTIVE,
    )
    session.add(commitment)
    await session.flush()
    return commitment


async def active_commitment(
    session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False
) -> Commitment | None:
    """The application's live commitment, if any."""
    statement = select(Commitment).where(
        Commitment.application_id == application_id,
        Commitment.status == CommitmentStatus.ACTIVE,
    )
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def release(session: AsyncSession, application_id: uuid.UUID) -> tuple[int, int]:
    """Release the application's live commitment: its unpaid part goes back to the envelope.
    Returns (released, paid); (0, 0) when there was none."""
    released = await session.execute(
        update(Commitment)
        .where(
            Commitment.application_id == application_id,
            Commitment.status == CommitmentStatus.ACTIVE,
        )
        .values(status=CommitmentStatus.RELEASED, released_at=func.now())
        .returning(
            Commitment.envelope_id,
            Commitment.amount_cents - Commitment.paid_cents,
            Commitment.paid_cents,
        )
        .execution_options(synchronize_session=False)
    )
    row = released.first()
    if row is None:
        return 0, 0
    envelope_id, unpaid, paid = row
    await session.execute(
        update(BudgetEnvelope)
        .where(BudgetEnvelope.id == envelope_id)
        .values(committed_cents=BudgetEnvelope.committed_cents - unpaid, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    return int(unpaid), int(paid)


async def pay(
    session: AsyncSession,
    commitment: Commitment,
    *,
    amount_cents: int,
    paid_on: date,
    reference: str,
    key_id: uuid.UUID | None,
) -> Payment | None:
    """Record a tranche if the commitment's paid total stays within it; None otherwise."""
    paid = await session.execute(
        update(Commitment)
        .where(
            Commitment.id == commitment.id,
            Commitment.status == CommitmentStatus.ACTIVE,
            Commitment.paid_cents + amount_cents <= Commitment.amount_cents,
        )
        .values(paid_cents=Commitment.paid_cents + amount_cents)
        .returning(Commitment.paid_cents)
        .execution_options(synchronize_session=False)
    )
    if paid.scalar_one_or_none() is None:
        return None
    await session.execute(
        update(BudgetEnvelope)
        .where(BudgetEnvelope.id == commitment.envelope_id)
        .values(paid_cents=BudgetEnvelope.paid_cents + amount_cents, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )
    payment = Payment(
        id=uuid.uuid4(),
        commitment_id=commitment.id,
        application_id=commitment.application_id,
        amount_cents=amount_cents,
        paid_on=paid_on,
        reference=reference,
        recorded_by_key_id=key_id,
    )
    session.add(payment)
    await session.flush()
    return payment


async def unpaid(session: AsyncSession, commitment_id: uuid.UUID) -> int:
    """What is left to pay on a commitment, as committed now."""
    left = await session.scalar(
        select(Commitment.amount_cents - Commitment.paid_cents).where(
            Commitment.id == commitment_id, Commitment.status == CommitmentStatus.ACTIVE
        )
    )
    return int(left or 0)


async def paid(session: AsyncSession, commitment_id: uuid.UUID) -> int:
    """What has been paid on a commitment."""
    total = await session.scalar(
        select(Commitment.paid_cents).where(Commitment.id == commitment_id)
    )
    return int(total or 0)


async def payments_of(session: AsyncSession, application_id: uuid.UUID) -> list[Payment]:
    """The application's payments, oldest first."""
    rows = await session.scalars(
        select(Payment)
        .where(Payment.application_id == application_id)
        .order_by(Payment.paid_on, Payment.created_at)
    )
    return list(rows)


async def envelopes_of(session: AsyncSession, fund_id: uuid.UUID) -> list[BudgetEnvelope]:
    """The fund's envelopes: by period, then financer, whole-fund before regional ones."""
    rows = await session.scalars(
        select(BudgetEnvelope)
        .where(BudgetEnvelope.fund_id == fund_id)
        .order_by(
            BudgetEnvelope.period_start,
            BudgetEnvelope.financer,
            BudgetEnvelope.region_code.is_not(None),
            BudgetEnvelope.region_code,
        )
    )
    return list(rows)


def amounts(envelope: BudgetEnvelope) -> dict[str, Any]:
    """An envelope's figures: amount, committed, paid, remaining."""
    return {
        "amount_cents": envelope.amount_cents,
        "committed_cents": envelope.committed_cents,
        "paid_cents": envelope.paid_cents,
        "remaining_cents": envelope.amount_cents - envelope.committed_cents,
    }
