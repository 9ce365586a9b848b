"""Fund budgets: envelopes (admins), the budget view, and the commitments awards make.

Approval commits the award on the envelope that carries it (`commit_award`), in the
approval's transaction: the envelope's committed total never passes its amount, whatever
the concurrency (a conditional update; losers get `EnvelopeExhausted`).
"""

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.budgets import repository
from shared.budgets.errors import EnvelopeExhausted, NoEnvelope, PaymentExceedsCommitment
from shared.budgets.models import BudgetEnvelope, Commitment, Financer
from shared.budgets.schemas import EnvelopeCreate, EnvelopeRead, FinancerShare, FundBudget
from shared.errors import Conflict
from shared.funds.models import Fund
from shared.geography.models import Region
from shared.principal import Principal
from shared.territories.errors import UnknownReference


async def create_envelope(
    session: AsyncSession, principal: Principal, fund: Fund, data: EnvelopeCreate
) -> BudgetEnvelope:
    """Add an envelope to the fund (audited)."""
    if data.region_code is not None and await session.get(Region, data.region_code) is None:
        raise UnknownReference(
            f"no region with code {data.region_code!r}", pointer="/body/region_code"
        )
    envelope = BudgetEnvelope(id=uuid.uuid4(), fund_id=fund.id, **data.model_dump())
    session.add(envelope)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="fund.envelope_created",
        subject_type="fund",
        subject_id=fund.id,
        changes=data.model_dump(mode="json"),
    )
    return envelope


async def budget(session: AsyncSession, fund: Fund) -> FundBudget:
    """The fund's envelopes with their figures, per financer and in total."""
    envelopes = await repository.envelopes_of(session, fund.id)
    per_financer: dict[Financer, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    totals: dict[str, int] = defaultdict(int)
    reads = []
    for envelope in envelopes:
        figures = repository.amounts(envelope)
        reads.append(EnvelopeRead.model_validate({**_columns(envelope), **figures}))
        for name, value in figures.items():
            per_financer[envelope.financer][name] += value
            totals[name] += value
    whole = totals["amount_cents"]
    financers = [
        FinancerShare(
            financer=financer,
            share=round(figures["amount_cents"] / whole, 4) if whole else 0.0,
            **figures,
        )
        for financer, figures in sorted(per_financer.items())
    ]
    return FundBudget(
        fund_code=fund.code,
        envelopes=reads,
        financers=financers,
        amount_cents=totals["amount_cents"],
        committed_cents=totals["committed_cents"],
        paid_cents=totals["paid_cents"],
        remaining_cents=totals["remaining_cents"],
    )


def envelope_read(envelope: BudgetEnvelope) -> EnvelopeRead:
    """The API view of one envelope."""
    return EnvelopeRead.model_validate({**_columns(envelope), **repository.amounts(envelope)})


async def commit_award(
    session: AsyncSession,
    *,
    application_id: uuid.UUID,
    fund: Fund,
    region_code: str | None,
    amount_cents: int,
    financer: Financer | None,
    on: date,
) -> Commitment:
    """Commit `amount_cents` on the envelope that carries this award, or refuse.

    The envelope is the fund's (the region's own before the whole fund's) for the financer
    named, or the only financer whose envelopes cover the application; several financers
    and none named is a 422 listing them.
    """
    found = list(await session.scalars(repository.candidates(fund.id, region_code, on, financer)))
    if not found:
        named = f" from {financer.value}" if financer else ""
        raise NoEnvelope(
            f"{fund.code} has no envelope{named} covering region {region_code} on {on}",
            pointer="/body/financer" if financer else "/body",
        )
    financers = sorted({envelope.financer.value for envelope in found})
    if len(financers) > 1:
        raise NoEnvelope(
            f"{fund.code} has envelopes from {', '.join(financers)}: name the financer",
            pointer="/body/financer",
            financers=financers,
        )
    for envelope in found:  # the region's own first, then the whole fund's
        if await repository.take(session, envelope.id, amount_cents):
            return await repository.commit(session, application_id, envelope.id, amount_cents)
    remaining = max(e.amount_cents - e.committed_cents for e in found)
    raise EnvelopeExhausted(
        f"{amount_cents} cents exceed what the {financers[0]} envelope of {fund.code} "
        f"has left (about {remaining} cents)",
        remaining_cents=remaining,
    )


async def record_payment(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    *,
    amount_cents: int,
    paid_on: date,
    reference: str,
) -> int:
    """Record a tranche against the application's commitment, within what it holds;
    returns the total paid on it since."""
    commitment = await repository.active_commitment(session, application_id)
    if commitment is None:
        raise Conflict("the application has no live commitment to pay against")
    payment = await repository.pay(
        session,
        commitment,
        amount_cents=amount_cents,
        paid_on=paid_on,
        reference=reference,
        key_id=principal.key_id,
    )
    if payment is None:
        left = await repository.unpaid(session, commitment.id)
        raise PaymentExceedsCommitment(
            f"{amount_cents} cents would exceed the commitment: {left} cents left to pay",
            pointer="/body/amount_cents",
            unpaid_cents=left,
        )
    return await repository.paid(session, commitment.id)


async def release_award(session: AsyncSession, application_id: uuid.UUID) -> tuple[int, int]:
    """Give back the unpaid part of an application's commitment; (released, paid)."""
    return await repository.release(session, application_id)


def _columns(envelope: BudgetEnvelope) -> dict[str, object]:
    return {
        "id": envelope.id,
        "financer": envelope.financer,
        "region_code": envelope.region_code,
        "label": envelope.label,
        "period_start": envelope.period_start,
        "period_end": envelope.period_end,
    }
