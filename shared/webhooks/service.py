"""Endpoint management: create, change, rotate, disable and enable.

Operators manage their own endpoints, admins every endpoint; another operator's endpoint
is "not found". Secrets are generated here, returned once and stored encrypted. Messages
(deliveries, ping, resend, stats) are `shared.webhooks.deliveries`; routing rules
`shared.webhooks.routing_rules`.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit import service as audit_service
from shared.concurrency import check_version
from shared.errors import Forbidden
from shared.principal import PARTNER_ROLES, Principal
from shared.settings import Settings
from shared.webhooks import endpoint_repository as repository
from shared.webhooks import ssrf
from shared.webhooks.errors import EndpointNotFound, UnknownFund, UnknownOperator
from shared.webhooks.health import DisabledReason, HealthState
from shared.webhooks.jobs import kick_lanes
from shared.webhooks.models import WebhookEndpoint
from shared.webhooks.schemas import EndpointCreate, EndpointUpdate
from shared.webhooks.secrets_box import SecretBox
from shared.webhooks.signing import generate_secret
from shared.webhooks.ssrf import SsrfBlockedError, check_url


@dataclass(frozen=True, slots=True)
class WithSecret:
    """An endpoint and the secret to show once."""

    endpoint: WebhookEndpoint
    secret: str


async def get(
    session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint:
    """One endpoint visible to `principal`, or `EndpointNotFound`."""
    statement = repository.scoped(principal).where(WebhookEndpoint.id == endpoint_id)
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


async def _check_funds(session: AsyncSession, codes: list[str], operator_id: uuid.UUID) -> None:
    """Each code must name a fund whose events the endpoint's operator receives: the funds
    it instructs, and for a Region the funds with regional preselection (a 422 naming the
    code otherwise)."""
    if not codes:
        return
    funds = await repository.fund_audiences(session, codes)
    region = await repository.is_region_operator(session, operator_id)
    for index, code in enumerate(codes):
        pointer = f"/body/fund_codes/{index}"
        if code not in funds:
            raise UnknownFund(f"no fund with code {code!r}", pointer=pointer)
        instructing, preselecting = funds[code]
        if instructing != operator_id and not (region and preselecting):
            raise UnknownFund(
                f"fund {code!r} is instructed by another operator: an endpoint subscribes "
                "to its own operator's funds only (a Region's, to the funds it preselects)",
                pointer=pointer,
            )


async def _owner(session: AsyncSession, principal: Principal, code: str | None) -> uuid.UUID:
    if principal.role in PARTNER_ROLES:
        if principal.operator_id is None:
            raise Forbidden("this key is bound to no operator")
        if code is not None:
            own = await repository.operator_codes(session, {principal.operator_id})
            if code != own.get(principal.operator_id):
                raise Forbidden(
                    "an operator key creates endpoints for its own operator only",
                    pointer="/body/operator_code",
                )
        return principal.operator_id
    if code is None:
        raise UnknownOperator(
            "admins name the endpoint's owner in operator_code", pointer="/body/operator_code"
        )
    operator_id = await repository.operator_id(session, code)
    if operator_id is None:
        raise UnknownOperator(f"no operator with code {code!r}", pointer="/body/operator_code")
    return operator_id


async def create(
    session: AsyncSession, principal: Principal, data: EndpointCreate, settings: Settings
) -> WithSecret:
    """Register an endpoint; its secret is generated here and returned once."""
    url = await vet_url(data.url, settings)
    operator_id = await _owner(session, principal, data.operator_code)
    await _check_funds(session, data.fund_codes, operator_id)
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
        await _check_funds(session, changes["fund_codes"], endpoint.operator_id)
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
    await repository.make_pending_due(session, endpoint.id)
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
