"""Fund behaviour: create and update, audited."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.funds import repository
from shared.funds.errors import FundCodeTaken, FundNotFound, IncoherentFund
from shared.funds.models import Fund
from shared.funds.schemas import FundCreate, FundUpdate
from shared.operators import repository as operator_repository
from shared.principal import Principal
from shared.territories.errors import UnknownReference


async def get(session: AsyncSession, code: str) -> Fund:
    """One fund by code, or `FundNotFound`."""
    fund = await repository.get_by_code(session, code)
    if fund is None:
        raise FundNotFound(f"no fund with code {code!r}")
    return fund


async def create(session: AsyncSession, principal: Principal, data: FundCreate) -> Fund:
    """Register a fund under its operator."""
    if await repository.get_by_code(session, data.code) is not None:
        raise FundCodeTaken(f"a fund with code {data.code!r} exists", pointer="/body/code")
    values = data.model_dump(exclude={"operator_code"})
    values["source_url"] = str(data.source_url) if data.source_url else None
    fund = Fund(
        id=uuid.uuid4(),
        operator_id=await _operator_id(session, data.operator_code),
        **values,
    )
    session.add(fund)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="fund.created",
        subject_type="fund",
        subject_id=fund.id,
        changes=data.model_dump(mode="json"),
    )
    return await get(session, fund.code)


async def update(
    session: AsyncSession,
    principal: Principal,
    fund: Fund,
    data: FundUpdate,
    *,
    if_match: int | None,
) -> Fund:
    """Apply the changes sent (If-Match required); the result must stay coherent."""
    check_version(fund.version, if_match)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "operator_code" in changes:
        fund.operator_id = await _operator_id(session, changes.pop("operator_code"))
    if "source_url" in changes:
        changes["source_url"] = str(data.source_url) if data.source_url else None
    for field, value in changes.items():
        setattr(fund, field, value)
    _check_coherent(fund)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="fund.updated",
        subject_type="fund",
        subject_id=fund.id,
        changes=data.model_dump(mode="json", exclude_unset=True),
    )
    code = fund.code
    session.expire(fund)
    return await get(session, code)


def _check_coherent(fund: Fund) -> None:
    if fund.regional_share_cents > fund.envelope_cents:
        raise IncoherentFund("regional_share_cents cannot exceed envelope_cents")
    if fund.opens_at and fund.closes_at and fund.closes_at <= fund.opens_at:
        raise IncoherentFund("closes_at must be after opens_at")


async def _operator_id(session: AsyncSession, code: str) -> uuid.UUID:
    operator = await operator_repository.get_by_code(session, code)
    if operator is None:
        raise UnknownReference(f"no operator with code {code!r}", pointer="/body/operator_code")
    return operator.id
