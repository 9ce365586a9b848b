"""Routing rules of project events (admin): which operators hear about which projects."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from services.api.deps import AdminOnly, AdminOrPartner, PageDep, SessionDep
from services.api.etag import with_etag
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.db.pagination import paginate
from shared.schemas import Page
from shared.webhooks import endpoint_repository as repository
from shared.webhooks import routing_rules
from shared.webhooks.models import RoutingRule
from shared.webhooks.schemas import RoutingRuleCreate, RoutingRuleRead

router = APIRouter(prefix="/v1/webhook-routing-rules", tags=["webhooks"], route_class=TidiRoute)
RuleId = Annotated[uuid.UUID, Path(description="Rule id.")]
IMMUTABLE_VERSION = 1
"""Rules are never changed (delete and create instead): their ETag is constant."""


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
    principal: AdminOrPartner, session: SessionDep, page: PageDep
) -> Page[RoutingRuleRead]:
    """Project events go to the operators whose rules match the project (operators: theirs)."""
    statement = repository.rules_statement(principal)
    # `paginate` reads one entity per row (scalars): the operator codes come separately.
    result = await paginate(
        session, statement, sort=repository.RULES_BY_CREATED, limit=page.limit, cursor=page.cursor
    )
    codes = await repository.operator_codes(session, {rule.operator_id for rule in result.items})
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
    rule = await routing_rules.create_rule(session, principal, body)
    with_etag(response, IMMUTABLE_VERSION, location=f"/v1/webhook-routing-rules/{rule.id}")
    return _rule_read(rule, body.operator_code)


@router.get("/{rule_id}", summary="Get a routing rule")
async def get_routing_rule(
    principal: AdminOrPartner, session: SessionDep, rule_id: RuleId, response: Response
) -> RoutingRuleRead:
    """One rule (operators: their own)."""
    rule, operator_code = await routing_rules.get_rule(session, principal, rule_id)
    with_etag(response, IMMUTABLE_VERSION)
    return _rule_read(rule, operator_code)


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
    await routing_rules.delete_rule(session, principal, rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
