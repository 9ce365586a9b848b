"""An endpoint's messages: look one up, resend it, send a test ping, sum up its statistics."""

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.errors import Conflict
from shared.events.catalogue import EndpointPingData, EventType
from shared.events.service import insert_event, new_event
from shared.jobs import defer_job
from shared.principal import Principal
from shared.webhooks import endpoint_repository as repository
from shared.webhooks.errors import DeliveryNotFound
from shared.webhooks.jobs import first_attempt_job
from shared.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from shared.webhooks.repository import ATTEMPTABLE
from shared.webhooks.schemas import ENDPOINT_URL, EndpointStats


async def get_delivery(
    session: AsyncSession, endpoint: WebhookEndpoint, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """One delivery of the endpoint, or `DeliveryNotFound`."""
    delivery = await repository.get_delivery(session, endpoint.id, delivery_id)
    if delivery is None:
        raise DeliveryNotFound(f"no delivery {delivery_id} on this endpoint")
    return delivery


async def resend(
    session: AsyncSession,
    principal: Principal,
    endpoint: WebhookEndpoint,
    delivery: WebhookDelivery,
) -> WebhookDelivery:
    """Send a message again now, same `webhook-id`, as a new round of attempts."""
    if delivery.status is DeliveryStatus.PENDING and delivery.attempts == 0:
        return delivery  # not tried yet: it goes anyway
    if not await repository.payload_kept(session, delivery.event_id):
        raise Conflict(
            "the payload of this message is past its retention period; it cannot be resent"
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = datetime.now(UTC)
    delivery.locked_until = None
    await session.flush()
    if endpoint.state in ATTEMPTABLE:
        defer_job(session, first_attempt_job(delivery.id, endpoint.id))
    await audit_service.record(
        session,
        principal,
        action="webhook_delivery.resent",
        subject_type="webhook_delivery",
        subject_id=delivery.id,
    )
    return delivery


async def ping(
    session: AsyncSession, principal: Principal, endpoint: WebhookEndpoint
) -> tuple[uuid.UUID, uuid.UUID]:
    """Queue an `endpoint.ping` for this endpoint alone, whatever its filters; (event id,
    delivery id). The event is the owner's (its audience: the endpoint's operator)."""
    sequence = 0  # numbered on insert: the endpoint's next
    event = new_event(
        EventType.ENDPOINT_PING,
        EndpointPingData(
            id=endpoint.id,
            url=ENDPOINT_URL.format(id=endpoint.id),
            occurred_at=datetime.now(UTC),
            sequence=sequence,
            message="Test message from tidi",
        ),
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        sequence=sequence,
        operator_id=endpoint.operator_id,
    )
    await insert_event(session, event)
    delivery_id = await repository.add_delivery(session, event.id, endpoint.id)
    if endpoint.state in ATTEMPTABLE:
        defer_job(session, first_attempt_job(delivery_id, endpoint.id))
    await audit_service.record(
        session,
        principal,
        action="webhook_endpoint.pinged",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
    )
    return event.id, delivery_id


async def stats(session: AsyncSession, endpoint: WebhookEndpoint) -> EndpointStats:
    """Success rates (1 h, 24 h), latency percentiles (24 h), backlog and state."""
    figures, backlog = await repository.figures(session, endpoint.id)

    def rate(successes: int, attempts: int) -> float | None:
        return round(successes / attempts, 4) if attempts else None

    return EndpointStats(
        state=endpoint.state,
        attempts_1h=figures["attempts_1h"],
        success_rate_1h=rate(figures["successes_1h"], figures["attempts_1h"]),
        attempts_24h=figures["attempts_24h"],
        success_rate_24h=rate(figures["successes_24h"], figures["attempts_24h"]),
        latency_p50_ms=figures["p50"],
        latency_p95_ms=figures["p95"],
        pending=backlog["pending"],
        failed=backlog["failed"],
    )
