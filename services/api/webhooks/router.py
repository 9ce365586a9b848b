"""Webhook endpoints (operators: their own; region keys: their Region's; admins: all),
their deliveries, logs and stats."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from pydantic import AwareDatetime

from services.api.deps import AdminOrPartner, IfMatchDep, PageDep, SessionDep
from services.api.etag import with_etag
from services.api.pages import page_of
from services.api.problems import problems
from services.api.routing import TidiRoute
from shared.db.pagination import paginate
from shared.schemas import Page
from shared.webhooks import deliveries, recovery, service
from shared.webhooks import endpoint_repository as repository
from shared.webhooks.health import HealthState
from shared.webhooks.models import DeliveryStatus, WebhookEndpoint
from shared.webhooks.schemas import (
    AttemptRead,
    DeliveryRead,
    EndpointCreate,
    EndpointCreated,
    EndpointRead,
    EndpointSecret,
    EndpointStats,
    EndpointUpdate,
    PingResult,
    RecoveryCreate,
    RecoveryRead,
)

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"], route_class=TidiRoute)
EndpointId = Annotated[uuid.UUID, Path(description="Endpoint id.")]
DeliveryId = Annotated[uuid.UUID, Path(description="Delivery id.")]


def _endpoint_read(endpoint: WebhookEndpoint, operator_code: str) -> EndpointRead:
    return EndpointRead.model_validate(
        {
            **{c.key: getattr(endpoint, c.key) for c in WebhookEndpoint.__table__.columns},
            "operator_code": operator_code,
        }
    )


async def _read_one(session: SessionDep, endpoint: WebhookEndpoint) -> EndpointRead:
    codes = await repository.operator_codes(session, {endpoint.operator_id})
    return _endpoint_read(endpoint, codes.get(endpoint.operator_id, ""))


@router.get("", summary="List webhook endpoints")
async def list_webhook_endpoints(
    principal: AdminOrPartner,
    session: SessionDep,
    page: PageDep,
    state: Annotated[HealthState | None, Query(description="Only this state.")] = None,
    operator_code: Annotated[
        str | None, Query(max_length=64, description="Only this operator's (admins).")
    ] = None,
) -> Page[EndpointRead]:
    """Your operator's endpoints (admins: every endpoint), oldest first."""
    statement = repository.endpoints_statement(principal, state=state, operator_code=operator_code)
    # `paginate` reads one entity per row (scalars): the operator codes come separately.
    result = await paginate(
        session,
        statement,
        sort=repository.ENDPOINTS_BY_CREATED,
        limit=page.limit,
        cursor=page.cursor,
    )
    ids = {endpoint.operator_id for endpoint in result.items}
    codes = await repository.operator_codes(session, ids)
    return Page[EndpointRead](
        items=[_endpoint_read(e, codes.get(e.operator_id, "")) for e in result.items],
        next_cursor=result.next_cursor,
    )


@router.post(
    "",
    summary="Create a webhook endpoint",
    status_code=status.HTTP_201_CREATED,
    responses=problems(403),
)
async def create_webhook_endpoint(
    principal: AdminOrPartner,
    session: SessionDep,
    body: EndpointCreate,
    request: Request,
    response: Response,
) -> EndpointCreated:
    """Register an endpoint. The response carries its signing secret: it is shown only here.

    The URL must be `https` and reach a public address (private, loopback, link-local and
    reserved addresses are refused now and again at every delivery).
    """
    created = await service.create(session, principal, body, request.app.state.settings)
    endpoint = created.endpoint
    with_etag(response, endpoint.version, location=f"/v1/webhook-endpoints/{endpoint.id}")
    read = await _read_one(session, endpoint)
    return EndpointCreated.model_validate({**read.model_dump(), "secret": created.secret})


@router.get("/{endpoint_id}", summary="Get a webhook endpoint")
async def get_webhook_endpoint(
    principal: AdminOrPartner, session: SessionDep, endpoint_id: EndpointId, response: Response
) -> EndpointRead:
    """One endpoint; its `ETag` is needed to change it."""
    endpoint = await service.get(session, principal, endpoint_id)
    with_etag(response, endpoint.version)
    return await _read_one(session, endpoint)


@router.patch("/{endpoint_id}", summary="Update a webhook endpoint", responses=problems(412, 428))
async def update_webhook_endpoint(
    principal: AdminOrPartner,
    session: SessionDep,
    endpoint_id: EndpointId,
    body: EndpointUpdate,
    expected_version: IfMatchDep,
    request: Request,
    response: Response,
) -> EndpointRead:
    """Change the URL, filters, timeout or in-flight cap (send `If-Match`)."""
    endpoint = await service.get(session, principal, endpoint_id, lock=True)
    endpoint = await service.update(
        session, principal, endpoint, body, request.app.state.settings, if_match=expected_version
    )
    with_etag(response, endpoint.version)
    return await _read_one(session, endpoint)


@router.delete(
    "/{endpoint_id}",
    summary="Delete a webhook endpoint",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(412, 428),
)
async def delete_webhook_endpoint(
    principal: AdminOrPartner,
    session: SessionDep,
    endpoint_id: EndpointId,
    expected_version: IfMatchDep,
) -> Response:
    """Remove the endpoint with its delivery logs (send `If-Match`)."""
    endpoint = await service.get(session, principal, endpoint_id, lock=True)
    await service.delete(session, principal, endpoint, if_match=expected_version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/rotate-secret", summary="Rotate the signing secret")
async def rotate_webhook_secret(
    principal: AdminOrPartner, session: SessionDep, endpoint_id: EndpointId, request: Request
) -> EndpointSecret:
    """A new secret, shown once. The previous one keeps signing alongside it for 72 hours,
    so receivers can switch without losing a message."""
    endpoint = await service.get(session, principal, endpoint_id, lock=True)
    rotated = await service.rotate_secret(session, principal, endpoint, request.app.state.settings)
    return EndpointSecret(
        secret=rotated.secret,
        previous_secret_expires_at=rotated.endpoint.previous_secret_expires_at,
    )


@router.post("/{endpoint_id}/disable", summary="Disable a webhook endpoint")
async def disable_webhook_endpoint(
    principal: AdminOrPartner, session: SessionDep, endpoint_id: EndpointId, response: Response
) -> EndpointRead:
    """Stop sending. Messages are still recorded and go out, in order, after re-enabling."""
    endpoint = await service.get(session, principal, endpoint_id, lock=True)
    endpoint = await service.disable(session, principal, endpoint)
    with_etag(response, endpoint.version)
    return await _read_one(session, endpoint)


@router.post("/{endpoint_id}/enable", summary="Enable a webhook endpoint")
async def enable_webhook_endpoint(
    principal: AdminOrPartner, session: SessionDep, endpoint_id: EndpointId, response: Response
) -> EndpointRead:
    """Back to healthy (after a `410`, a long failure or a manual disable); the messages
    kept meanwhile are delivered, oldest first."""
    endpoint = await service.get(session, principal, endpoint_id, lock=True)
    endpoint = await service.enable(session, principal, endpoint)
    with_etag(response, endpoint.version)
    return await _read_one(session, endpoint)


@router.post(
    "/{endpoint_id}/ping",
    summary="Send a test event",
    status_code=status.HTTP_202_ACCEPTED,
)
async def ping_webhook_endpoint(
    principal: AdminOrPartner, session: SessionDep, endpoint_id: EndpointId
) -> PingResult:
    """Queue an `endpoint.ping` for this endpoint only; follow it in its deliveries."""
    endpoint = await service.get(session, principal, endpoint_id, lock=True)
    event_id, delivery_id = await deliveries.ping(session, principal, endpoint)
    return PingResult(event_id=event_id, delivery_id=delivery_id)


@router.get("/{endpoint_id}/stats", summary="Get delivery statistics")
async def get_webhook_endpoint_stats(
    principal: AdminOrPartner, session: SessionDep, endpoint_id: EndpointId
) -> EndpointStats:
    """Success rate over 1 h and 24 h, latency p50/p95 over 24 h, backlog and state."""
    endpoint = await service.get(session, principal, endpoint_id)
    return await deliveries.stats(session, endpoint)


@router.get("/{endpoint_id}/deliveries", summary="List deliveries")
async def list_webhook_deliveries(
    principal: AdminOrPartner,
    session: SessionDep,
    endpoint_id: EndpointId,
    page: PageDep,
    delivery_status: Annotated[
        DeliveryStatus | None, Query(alias="status", description="Only this status.")
    ] = None,
    event_type: Annotated[
        str | None, Query(max_length=100, description="Only this event type.")
    ] = None,
    created_after: Annotated[
        AwareDatetime | None, Query(description="Created at or after.")
    ] = None,
    created_before: Annotated[AwareDatetime | None, Query(description="Created before.")] = None,
) -> Page[DeliveryRead]:
    """The endpoint's messages, newest first."""
    endpoint = await service.get(session, principal, endpoint_id)
    statement = repository.deliveries_statement(
        endpoint.id,
        status=delivery_status,
        event_type=event_type,
        created_after=created_after,
        created_before=created_before,
    )
    return await page_of(
        session, statement, sort=repository.NEWEST_DELIVERIES, page=page, read=DeliveryRead
    )


@router.get("/{endpoint_id}/deliveries/{delivery_id}", summary="Get a delivery")
async def get_webhook_delivery(
    principal: AdminOrPartner,
    session: SessionDep,
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
) -> DeliveryRead:
    """One message to this endpoint."""
    endpoint = await service.get(session, principal, endpoint_id)
    delivery = await deliveries.get_delivery(session, endpoint, delivery_id)
    return DeliveryRead.model_validate(delivery)


@router.get("/{endpoint_id}/attempts", summary="List attempts")
async def list_webhook_attempts(
    principal: AdminOrPartner,
    session: SessionDep,
    endpoint_id: EndpointId,
    page: PageDep,
    delivery_id: Annotated[uuid.UUID | None, Query(description="Only this delivery's.")] = None,
) -> Page[AttemptRead]:
    """Every HTTP attempt to this endpoint, newest first: status or error class, duration,
    the first 16 KiB of the response."""
    endpoint = await service.get(session, principal, endpoint_id)
    statement = repository.attempts_statement(endpoint.id, delivery_id=delivery_id)
    return await page_of(
        session, statement, sort=repository.NEWEST_ATTEMPTS, page=page, read=AttemptRead
    )


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/resend",
    summary="Resend a message",
    status_code=status.HTTP_202_ACCEPTED,
    responses=problems(409),
)
async def resend_webhook_delivery(
    principal: AdminOrPartner,
    session: SessionDep,
    endpoint_id: EndpointId,
    delivery_id: DeliveryId,
) -> DeliveryRead:
    """Send this message again now, with the same `webhook-id`, as a new round of retries."""
    endpoint = await service.get(session, principal, endpoint_id)
    delivery = await deliveries.get_delivery(session, endpoint, delivery_id)
    delivery = await deliveries.resend(session, principal, endpoint, delivery)
    return DeliveryRead.model_validate(delivery)


@router.post(
    "/{endpoint_id}/recoveries",
    summary="Recover failed messages",
    status_code=status.HTTP_202_ACCEPTED,
)
async def recover_webhook_deliveries(
    principal: AdminOrPartner,
    session: SessionDep,
    endpoint_id: EndpointId,
    body: RecoveryCreate,
) -> RecoveryRead:
    """Send again every failed message created in a range (≤ 30 days, ≤ 50,000 messages),
    as a background job; follow its progress with `getWebhookRecovery`."""
    endpoint = await service.get(session, principal, endpoint_id)
    run = await recovery.start(session, principal, endpoint, since=body.since, until=body.until)
    return RecoveryRead.model_validate(run)


@router.get("/{endpoint_id}/recoveries/{recovery_id}", summary="Get a recovery")
async def get_webhook_recovery(
    principal: AdminOrPartner,
    session: SessionDep,
    endpoint_id: EndpointId,
    recovery_id: Annotated[uuid.UUID, Path(description="Recovery id.")],
) -> RecoveryRead:
    """Progress of a recovery: total, done, status."""
    endpoint = await service.get(session, principal, endpoint_id)
    return RecoveryRead.model_validate(await recovery.get(session, endpoint, recovery_id))
