"""Routing rules of project events (admin): which operators hear about which projects."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from sqlalchemy import select

from services.api.deps import AdminOnly, AdminOrOperator, PageDep, SessionDep
from services.api.etag import with_etag
from services.api.problems import problems
from services.api.routing import TidiRoute
from services.api.webhooks.router import operator_codes
from shared.auth.models import Role
from shared.db.pagination import SortKey, paginate
from shared.operators.models import Operator
from shared.schemas import Page
from shared.webhooks import service
from shared.webhooks.models import RoutingRule
from shared.webhooks.schemas import RoutingRuleCreate, RoutingRuleRead

router = APIRouter(prefix="/v1/webhook-routing-rules", tags=["webhooks"], route_class=TidiRoute)
RuleId = Annotated[uuid.UUID, Path(description="Rule id.")]
IMMUTABLE_VERSION = 1
"""Rules are never changed (delete and create instead): their ETag is constant."""
BY_CREATED = SortKey("created", ((RoutingRule.created_at, False), (RoutingRule.id, False)))


def _rule_read(rule: RoutingRule, operator_code: str) -> RoutingRuleRead:
    return RoutingRuleRead(
        id=rule.id,
        operator_code=operator_code,
        field=rule.field,
        value=rule.value,
        created_at=rule.created_at,
    )


@router.get("", summary="List routing rules")
async def list_routing_rules(
    principal: AdminOrOperator, session: SessionDep, page: PageDep
) -> Page[RoutingRuleRead]:
    """Project events go to the operators whose rules match the project (operators: theirs)."""
    statement = select(RoutingRule)
    if principal.role is Role.OPERATOR:
        statement = statement.where(RoutingRule.operator_id == principal.operator_id)
    # `paginate` reads one entity per row (scalars): the operator codes come separately.
    result = await paginate(
        session, statement, sort=BY_CREATED, limit=page.limit, cursor=page.cursor
    )
    codes = await operator_codes(session, {rule.operator_id for rule in result.items})
    return Page[RoutingRuleRead](
        items=[_rule_read(rule, codes.get(rule.operator_id, "")) for rule in result.items],
        next_cursor=result.next_cursor,
    )


@router.post(
    "",
    summary="Create a routing rule",
    status_code=status.HTTP_201_CREATED,
    responses=problems(409),
)
async def create_routing_rule(
    principal: AdminOnly, session: SessionDep, body: RoutingRuleCreate, response: Response
) -> RoutingRuleRead:
    """E.g. projects with the priority `recrutement` → `france-travail`."""
    rule = await service.create_rule(session, principal, body)
    with_etag(response, IMMUTABLE_VERSION, location=f"/v1/webhook-routing-rules/{rule.id}")
    return _rule_read(rule, body.operator_code)


@router.get("/{rule_id}", summary="Get a routing rule")
async def get_routing_rule(
    principal: AdminOrOperator, session: SessionDep, rule_id: RuleId, response: Response
) -> RoutingRuleRead:
    """One rule (operators: their own)."""
    statement = (
        select(RoutingRule, Operator.code)
        .join(Operator, Operator.id == RoutingRule.operator_id)
        .where(RoutingRule.id == rule_id)
    )
    if principal.role is Role.OPERATOR:
        statement = statement.where(RoutingRule.operator_id == principal.operator_id)
    row = (await session.execute(statement)).first()
    if row is None:
        raise service.RoutingRuleNotFound(f"no routing rule {rule_id}")
    with_etag(response, IMMUTABLE_VERSION)
    return _rule_read(row[0], row[1])


@router.delete(
    "/{rule_id}", summary="Delete a routing rule", status_code=status.HTTP_204_NO_CONTENT
)
async def delete_routing_rule(
    principal: AdminOnly,
    session: SessionDep,
    rule_id: RuleId,
) -> Response:
    """Stop routing these projects' events to that operator (events already written keep
    their deliveries)."""
    await service.delete_rule(session, principal, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
