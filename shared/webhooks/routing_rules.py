"""Routing rules (admin): project events whose field holds a value go to an operator."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.principal import Principal
from shared.webhooks import endpoint_repository as repository
from shared.webhooks.errors import RoutingRuleExists, RoutingRuleNotFound, UnknownOperator
from shared.webhooks.models import RoutingRule
from shared.webhooks.schemas import RoutingRuleCreate


async def get_rule(
    session: AsyncSession, principal: Principal, rule_id: uuid.UUID
) -> tuple[RoutingRule, str]:
    """One rule `principal` sees (operators: their own) with its operator's code, or
    `RoutingRuleNotFound`."""
    found = await repository.get_rule(session, principal, rule_id)
    if found is None:
        raise RoutingRuleNotFound(f"no routing rule {rule_id}")
    return found


async def create_rule(
    session: AsyncSession, principal: Principal, data: RoutingRuleCreate
) -> RoutingRule:
    """Add a routing rule (admin)."""
    operator_id = await repository.operator_id(session, data.operator_code)
    if operator_id is None:
        raise UnknownOperator(
            f"no operator with code {data.operator_code!r}", pointer="/body/operator_code"
        )
    exists = await repository.find_rule(session, operator_id, data.field, data.value)
    if exists is not None:
        raise RoutingRuleExists("this routing rule exists", rule_id=str(exists))
    rule = RoutingRule(id=uuid.uuid4(), operator_id=operator_id, field=data.field, value=data.value)
    session.add(rule)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="routing_rule.created",
        subject_type="routing_rule",
        subject_id=rule.id,
        changes=data.model_dump(mode="json"),
    )
    return rule


async def delete_rule(session: AsyncSession, principal: Principal, rule_id: uuid.UUID) -> None:
    """Remove a routing rule (admin)."""
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise RoutingRuleNotFound(f"no routing rule {rule_id}")
    await session.delete(rule)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="routing_rule.deleted",
        subject_type="routing_rule",
        subject_id=rule_id,
    )
