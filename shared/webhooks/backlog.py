"""What the webhooks hold right now, for the metrics: deliveries waiting, how long the
oldest one due on a live endpoint has waited (the outbox's lag), endpoints per health state.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import DateTime, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.webhooks.health import HealthState
from shared.webhooks.models import WebhookDelivery, WebhookEndpoint
from shared.webhooks.repository import ATTEMPTABLE, NOW, pending


@dataclass(frozen=True, slots=True)
class Backlog:
    """Deliveries pending, the oldest one due on a live endpoint, endpoints by state."""

    pending: int
    oldest_due_at: datetime | None
    endpoints: dict[HealthState, int]


_DUE_ON_LIVE_ENDPOINT: Final = (WebhookDelivery.next_attempt_at <= NOW) & (
    WebhookEndpoint.state.in_(ATTEMPTABLE)
)
_PENDING: Final = (
    select(
        func.count(),
        func.min(WebhookDelivery.created_at)
        .filter(_DUE_ON_LIVE_ENDPOINT)
        .cast(DateTime(timezone=True)),
    )
    .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
    .where(pending(WebhookDelivery))
)
_BY_STATE: Final = select(WebhookEndpoint.state, func.count()).group_by(WebhookEndpoint.state)


async def backlog(session: AsyncSession) -> Backlog:
    """The webhooks' backlog now (two short statements)."""
    pending, oldest = (await session.execute(_PENDING)).one()
    counts = {HealthState(state): int(count) for state, count in await session.execute(_BY_STATE)}
    return Backlog(
        pending=int(pending),
        oldest_due_at=oldest,
        endpoints={state: counts.get(state, 0) for state in HealthState},
    )
