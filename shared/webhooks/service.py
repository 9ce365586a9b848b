"""Endpoint management: create, change, rotate, disable/enable, ping, resend, stats; routing rules.

Operators manage their own endpoints, admins every endpoint; another operator's endpoint
is "not found". Secrets are generated here, returned once and stored encrypted.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, false, func, select, text
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.auth.models import Role
from shared.auth.principal import Principal
from shared.concurrency import check_version
from shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from shared.events.catalogue import EndpointPingData, EventType
from shared.funds.models import Fund
from shared.jobs import defer_job
from shared.operators.models import Operator
from shared.outbox.service import record_event
from shared.settings import Settings
from shared.webhooks import ssrf
from shared.webhooks.delivery import ENDPOINT_URL
from shared.webhooks.health import DisabledReason, HealthState
from shared.webhooks.jobs import FIRST_ATTEMPT_QUEUE, deliver_job, kick_lanes
from shared.webhooks.models import (
    DeliveryStatus,
    RoutingRule,
    WebhookDelivery,
    WebhookEndpoint,
)
from shared.webhooks.schemas import (
    EndpointCreate,
    EndpointStats,
    EndpointUpdate,
    RoutingRuleCreate,
)
from shared.webhooks.secrets_box import SecretBox
from shared.webhooks.signing import generate_secret
from shared.webhooks.ssrf import SsrfBlockedError, check_url


class EndpointNotFound(NotFound):
    """No such endpoint visible to this principal."""

    type_slug = "webhook-endpoint-not-found"


class DeliveryNotFound(NotFound):
    """No such delivery on this endpoint."""

    type_slug = "webhook-delivery-not-found"


class RoutingRuleNotFound(NotFound):
    """No such routing rule."""

    type_slug = "routing-rule-not-found"


class RoutingRuleExists(Conflict):
    """The same rule exists."""

    type_slug = "routing-rule-exists"


class UnknownOperator(Unprocessable):
    """The operator code names no operator."""

    type_slug = "unknown-operator"


class UnknownFund(Unprocessable):
    """A fund code names no fund."""

    type_slug = "unknown-fund"


@dataclass(frozen=True, slots=True)
class WithSecret:
    """An endpoint and the secret to show once."""

    endpoint: WebhookEndpoint
    secret: str


def scoped(principal: Principal) -> Select[WebhookEndpoint]:
    """Endpoints this principal may see: its operator's, or all for admins (in SQL)."""
    statement = select(WebhookEndpoint)
    if principal.is_admin:
        return statement
    if principal.role is Role.OPERATOR and principal.operator_id is not None:
        return statement.where(WebhookEndpoint.operator_id == principal.operator_id)
    return statement.where(false())


async def get(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint:
    """One endpoint visible to `principal`, or `EndpointNotFound`."""
    statement = scoped(principal).where(WebhookEndpoint.id == endpoint_id)
    if lock:
        statement = statement.with_for_update(key_share=True)
    endpoint = await session.scalar(statement)
    if endpoint is None:
        raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


async def vet_url(url: str, settings: Settings, *, pointer: str = "/body/url") -> str:
    """Check a URL against the SSRF rules, resolving its host now as delivery will; its
    normal form. A name that resolves to a non-global address, or not at all, is refused
    (delivery checks again at every connection: a later DNS change does not slip through)."""
    try:
        vetted = check_url(
            url,
            allow_hosts=settings.WEBHOOK_ALLOW_HOSTS,
            allow_http_hosts=settings.WEBHOOK_ALLOW_HTTP_HOSTS,
        )
        await ssrf.resolve_and_vet(
            vetted.host, vetted.port, allow_hosts=settings.WEBHOOK_ALLOW_HOSTS
        )
    except SsrfBlockedError as exc:
        raise SsrfBlockedError(exc.reason, pointer=pointer) from None
    except ssrf.ResolutionError as exc:
        raise SsrfBlockedError(
            f"{exc.host} does not resolve: register a live endpoint", pointer=pointer
        ) from None
    return vetted.url


async def _check_funds(session: AsyncSession, codes: list[str]) -> None:
    if not codes:
        return
    known = set(await session.scalars(select(Fund.code).where(Fund.code.in_(codes))))
    for index, code in enumerate(codes):
        if code not in known:
            raise UnknownFund(f"no fund with code {code!r}", pointer=f"/body/fund_codes/{index}")


async def _owner(session: AsyncSession, principal: Principal, code: str | None) -> uuid.UUID:
    if principal.role is Role.OPERATOR:
        if principal.operator_id is None:
            raise Forbidden("this key is bound to no operator")
        if code is not None:
            own = await session.scalar(
                select(Operator.code).where(Operator.id == principal.operator_id)
            )
            if code != own:
                raise Forbidden(
                    "an operator key creates endpoints for its own operator only",
                    pointer="/body/operator_code",
                )
        return principal.operator_id
    if code is None:
        raise UnknownOperator(
            "admins name the endpoint's owner in operator_code", pointer="/body/operator_code"
        )
    operator_id = await session.scalar(select(Operator.id).where(Operator.code == code))
    if operator_id is None:
        raise UnknownOperator(f"no operator with code {code!r}", pointer="/body/operator_code")
    return operator_id


async def create(
    session: AsyncSession, principal: Principal, data: EndpointCreate, settings: Settings
) -> WithSecret:
    """Register an endpoint; its secret is generated here and returned once."""
    url = await vet_url(data.url, settings)
    await _check_funds(session, data.fund_codes)
    operator_id = await _owner(session, principal, data.operator_code)
    endpoint_id = uuid.uuid4()
    secret = generate_secret()
    endpoint = WebhookEndpoint(
        id=endpoint_id,
        operator_id=operator_id,
        url=url,
        description=data.description,
        event_types=list(dict.fromkeys(data.event_types)),
        fund_codes=list(dict.fromkeys(data.fund_codes)),
        timeout_seconds=data.timeout_seconds,
        max_in_flight=data.max_in_flight,
        secret_ciphertext=SecretBox.from_settings(settings).encrypt(
            secret, context=str(endpoint_id)
        ),
    )
    session.add(endpoint)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="webhook_endpoint.created",
        subject_type="webhook_endpoint",
        subject_id=endpoint_id,
        changes=data.model_dump(mode="json", exclude={"operator_code"}) | {"url": url},
    )
    return WithSecret(endpoint, secret)


async def update(
    session: AsyncSession,
    principal: Principal,
    endpoint: WebhookEndpoint,
    data: EndpointUpdate,
    settings: Settings,
    *,
    if_match: int | None,
) -> WebhookEndpoint:
    """Apply the changes sent (If-Match required)."""
    check_version(endpoint.version, if_match)
    changes = data.model_dump(mode="json", exclude_unset=True)
    if "url" in changes:
        changes["url"] = await vet_url(changes["url"], settings)
    if "fund_codes" in changes:
        await _check_funds(session, changes["fund_codes"])
    for name, value in changes.items():
        setattr(endpoint, name, value)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="webhook_endpoint.updated",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        changes=changes,
    )
    return endpoint


async def delete(
    session: AsyncSession, principal: Principal, endpoint: WebhookEndpoint, *, if_match: int | None
) -> None:
    """Remove an endpoint with its deliveries and logs (If-Match required)."""
    check_version(endpoint.version, if_match)
    await session.delete(endpoint)
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="webhook_endpoint.deleted",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
    )


async def rotate_secret(
    session: AsyncSession, principal: Principal, endpoint: WebhookEndpoint, settings: Settings
) -> WithSecret:
    """A new secret; the current one keeps signing too for the grace period (72 h)."""
    box = SecretBox.from_settings(settings)
    secret = generate_secret()
    endpoint.previous_secret_ciphertext = endpoint.secret_ciphertext
    endpoint.previous_secret_expires_at = datetime.now(UTC) + timedelta(
        seconds=settings.WEBHOOK_ROTATION_GRACE_SECONDS
    )
    endpoint.secret_ciphertext = box.encrypt(secret, context=str(endpoint.id))
    await session.flush()
    await audit_service.record(
        session,
        principal,
        action="webhook_endpoint.secret_rotated",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
    )
    return WithSecret(endpoint, secret)


async def disable(
    session: AsyncSession, principal: Principal, endpoint: WebhookEndpoint
) -> WebhookEndpoint:
    """Stop sending (messages are still recorded, and sent after re-enabling)."""
    if endpoint.state is not HealthState.DISABLED:
        endpoint.state = HealthState.DISABLED
        endpoint.disabled_reason = DisabledReason.OWNER
        endpoint.next_probe_at = None
        endpoint.health_changed_at = datetime.now(UTC)
        await session.flush()
        await audit_service.record(
            session,
            principal,
            action="webhook_endpoint.disabled",
            subject_type="webhook_endpoint",
            subject_id=endpoint.id,
        )
    return endpoint


async def enable(
    session: AsyncSession, principal: Principal, endpoint: WebhookEndpoint
) -> WebhookEndpoint:
    """Back to healthy, counters reset; the messages kept meanwhile drain in order."""
    was = endpoint.state
    endpoint.state = HealthState.HEALTHY
    endpoint.disabled_reason = None
    endpoint.consecutive_failures = 0
    endpoint.failing_since = None
    endpoint.probes = 0
    endpoint.next_probe_at = None
    if was is not HealthState.HEALTHY:
        endpoint.health_changed_at = datetime.now(UTC)
    await session.flush()
    await session.execute(
        sql_update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.PENDING,
        )
        .values(next_attempt_at=func.now())
    )
    await kick_lanes(session, endpoint.id)
    await audit_service.record(
        session,
        principal,
        action="webhook_endpoint.enabled",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        changes={"state": {"from": was.value, "to": HealthState.HEALTHY.value}},
    )
    return endpoint


async def ping(
    session: AsyncSession, principal: Principal, endpoint: WebhookEndpoint
) -> tuple[uuid.UUID, uuid.UUID]:
    """Queue an `endpoint.ping` for this endpoint alone; (event id, delivery id)."""
    now = datetime.now(UTC)
    sequence = time.time_ns() // 1000
    event_id = await record_event(
        session,
        EventType.ENDPOINT_PING,
        EndpointPingData(
            id=endpoint.id,
            url=ENDPOINT_URL.format(id=endpoint.id),
            occurred_at=now,
            sequence=sequence,
            message="Test message from tidi",
        ),
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
        sequence=sequence,
        operator_id=endpoint.operator_id,
        only_endpoint=endpoint.id,
    )
    delivery_id = await session.scalar(
        select(WebhookDelivery.id).where(
            WebhookDelivery.event_id == event_id, WebhookDelivery.endpoint_id == endpoint.id
        )
    )
    if delivery_id is None:  # pragma: no cover - record_event writes it with only_endpoint
        raise RuntimeError("the ping delivery was not written")
    await audit_service.record(
        session,
        principal,
        action="webhook_endpoint.pinged",
        subject_type="webhook_endpoint",
        subject_id=endpoint.id,
    )
    return event_id, delivery_id


async def get_delivery(
    session: AsyncSession, endpoint: WebhookEndpoint, delivery_id: uuid.UUID
) -> WebhookDelivery:
    """One delivery of the endpoint, or `DeliveryNotFound`."""
    delivery = await session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint.id
        )
    )
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
    payload = await session.scalar(
        text("SELECT data IS NOT NULL FROM events WHERE id = :id"), {"id": delivery.event_id}
    )
    if not payload:
        raise Conflict(
            "the payload of this message is past its retention period; it cannot be resent"
        )
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = datetime.now(UTC)
    delivery.locked_until = None
    await session.flush()
    if endpoint.state in (HealthState.HEALTHY, HealthState.DEGRADED):
        defer_job(
            session, deliver_job(delivery.id, endpoint.id, attempt=1, queue=FIRST_ATTEMPT_QUEUE)
        )
    await audit_service.record(
        session,
        principal,
        action="webhook_delivery.resent",
        subject_type="webhook_delivery",
        subject_id=delivery.id,
    )
    return delivery


_STATS = text(
    """
SELECT
    count(*) FILTER (WHERE started_at >= now() - interval '1 hour') AS attempts_1h,
    count(*) FILTER (WHERE started_at >= now() - interval '1 hour' AND outcome = 'success')
        AS successes_1h,
    count(*) AS attempts_24h,
    count(*) FILTER (WHERE outcome = 'success') AS successes_24h,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
    percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95
FROM webhook_attempts
WHERE endpoint_id = :id AND started_at >= now() - interval '24 hours'
"""
)
_BACKLOG = text(
    """
SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'failed') AS failed
FROM webhook_deliveries WHERE endpoint_id = :id AND status <> 'succeeded'
"""
)


async def stats(session: AsyncSession, endpoint: WebhookEndpoint) -> EndpointStats:
    """Success rates (1 h, 24 h), latency percentiles (24 h), backlog and state."""
    figures = (await session.execute(_STATS, {"id": endpoint.id})).one()
    backlog = (await session.execute(_BACKLOG, {"id": endpoint.id})).one()

    def rate(successes: int, attempts: int) -> float | None:
        return round(successes / attempts, 4) if attempts else None

    return EndpointStats(
        state=endpoint.state,
        attempts_1h=figures.attempts_1h,
        success_rate_1h=rate(figures.successes_1h, figures.attempts_1h),
        attempts_24h=figures.attempts_24h,
        success_rate_24h=rate(figures.successes_24h, figures.attempts_24h),
        latency_p50_ms=figures.p50,
        latency_p95_ms=figures.p95,
        pending=backlog.pending,
        failed=backlog.failed,
    )


# --- routing rules ---------------------------------------------------------------------------


async def create_rule(
    session: AsyncSession, principal: Principal, data: RoutingRuleCreate
) -> RoutingRule:
    """Add a routing rule (admin)."""
    operator_id = await session.scalar(
        select(Operator.id).where(Operator.code == data.operator_code)
    )
    if operator_id is None:
        raise UnknownOperator(
            f"no operator with code {data.operator_code!r}", pointer="/body/operator_code"
        )
    exists = await session.scalar(
        select(RoutingRule.id).where(
            RoutingRule.operator_id == operator_id,
            RoutingRule.field == data.field,
            RoutingRule.value == data.value,
        )
    )
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
