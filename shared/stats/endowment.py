"""The endowment in the programme figures: what the budget envelopes of the funds in scope
hold, by financer."""

from sqlalchemy import false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.budgets.models import BudgetEnvelope, Financer
from shared.funds.models import Fund
from shared.principal import Principal, Role
from shared.stats.filters import StatsFilters
from shared.stats.schemas import EndowmentFigures, FinancerEndowment


async def endowment(
    session: AsyncSession, principal: Principal, filters: StatsFilters
) -> EndowmentFigures:
    """The envelopes of the funds in scope (the fund filter; an operator key's own funds),
    by financer; with a region (filter or region key), those earmarked for it only."""
    e = BudgetEnvelope
    statement = (
        select(e.financer, func.sum(e.amount_cents))
        .join(Fund, Fund.id == e.fund_id)
        .group_by(e.financer)
    )
    if filters.fund is not None:
        statement = statement.where(Fund.code == filters.fund)
    if principal.role is Role.OPERATOR:
        mine = principal.operator_id
        statement = statement.where(false() if mine is None else Fund.operator_id == mine)
    if principal.role is Role.REGION:
        region = principal.region_code
        statement = statement.where(false() if region is None else e.region_code == region)
    if filters.region is not None:
        statement = statement.where(e.region_code == filters.region)
    amounts = {
        Financer(financer): int(amount) for financer, amount in await session.execute(statement)
    }
    return EndowmentFigures(
        amount_cents=sum(amounts.values()),
        by_financer=[
            FinancerEndowment(financer=financer, amount_cents=amounts.get(financer, 0))
            for financer in Financer
        ],
    )
