"""Operator behaviour: create and update, audited."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.geography.models import Region
from shared.operators import repository
from shared.operators.errors import OperatorCodeTaken, OperatorNotFound
from shared.operators.models import Operator
from shared.operators.schemas import OperatorCreate, OperatorUpdate
from shared.principal import Principal
from shared.territories.errors import UnknownReference


async def get(session: AsyncSession, code: str) -> Operator:
    """One operator by code, or `OperatorNotFound`."""
    operator = await repository.get_by_code(session, code)
    if operator is None:
        raise OperatorNotFound(f"no operator with code {code!r}")
    return operator


async def create(session: AsyncSession, principal: Principal, data: OperatorCreate) -> Operator:
    """Register an operator."""
    if await repository.get_by_code(session, data.code) is not None:
        raise OperatorCodeTaken(f"an operator with code {data.code!r} exists", pointer="/body/code")
    await _check_region(session, data.region_code)
    values = data.model_dump(mode="json")
    operator = Operator(id=uuid.uuid4(), **values)
    session.add(operator)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="operator.created",
        subject_type="operator",
        subject_id=operator.id,
        changes=values,
    )
    return operator


async def update(
    session: AsyncSession,
    principal: Principal,
    operator: Operator,
    data: OperatorUpdate,
    *,
    if_match: int | None,
) -> Operator:
    """Apply the changes sent (If-Match required)."""
    check_version(operator.version, if_match)
    changes = data.model_dump(mode="json", exclude_unset=True)
    await _check_region(session, changes.get("region_code"))
    for field, value in changes.items():
        setattr(operator, field, value)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="operator.updated",
        subject_type="operator",
        subject_id=operator.id,
        changes=changes,
    )
    return operator


async def _check_region(session: AsyncSession, region_code: str | None) -> None:
    if region_code is not None and await session.get(Region, region_code) is None:
        raise UnknownReference(f"no region with code {region_code!r}", pointer="/body/region_code")
