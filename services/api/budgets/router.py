"""Fund budgets: envelopes by financer and period, and where each stands."""

from fastapi import APIRouter, Response

from services.api.deps import AdminOnly, BudgetReader, SessionDep
from services.api.funds.router import FundCode
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.budgets import service
from shared.budgets.schemas import EnvelopeCreate, EnvelopeRead, FundBudget
from shared.funds import service as funds
from shared.funds.errors import FundNotFound
from shared.principal import Role

router = APIRouter(prefix="/v1/funds", tags=["budgets"], route_class=TidiRoute)


@router.get("/{fund_code}/budget", summary="Get a fund's budget")
async def get_fund_budget(
    principal: BudgetReader, session: SessionDep, fund_code: FundCode
) -> FundBudget:
    """Each envelope with its amount, committed, paid and remaining; each financer's
    figures and co-financing share; the totals. Operators: their own funds."""
    fund = await funds.get(session, fund_code)
    if principal.role is Role.OPERATOR and fund.operator_id != principal.operator_id:
        raise FundNotFound(f"no fund with code {fund_code!r}")
    return await service.budget(session, fund)


@router.post(
    "/{fund_code}/envelopes",
    summary="Add an envelope to a fund",
    status_code=201,
    responses=problems(404, 422),
)
async def create_fund_envelope(
    principal: AdminOnly,
    session: SessionDep,
    fund_code: FundCode,
    body: EnvelopeCreate,
    response: Response,
) -> EnvelopeRead:
    """A financer's envelope for the fund (or for its applications in one region) over a
    period: approvals commit on it, never past its amount."""
    fund = await funds.get(session, fund_code)
    envelope = await service.create_envelope(session, principal, fund, body)
    response.headers["Location"] = f"/v1/funds/{fund.code}/budget"
    return service.envelope_read(envelope)
