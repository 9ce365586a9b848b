"""Endpoint health in the database: an attempt's outcome or the passage of time applied to the
endpoint row (by the pure rules of `shared.webhooks.health`), and every change of state
announced to the endpoint's owner (events API; never sent by webhook)."""

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.catalogue import EndpointHealthData, EventType
from shared.events.service import insert_event, new_event
from shared.webhooks import endpoint_repository, repository
from shared.webhooks import health as rules
from shared.webhooks.endpoint_repository import HealthRow
from shared.webhooks.health import HealthPolicy, Transition
from shared.webhooks.repository import AttemptRecord
from shared.webhooks.schedule import Outcome
from shared.webhooks.schemas import ENDPOINT_URL

logger = logging.getLogger("tidi.webhooks")


async def record_attempt(
    session: AsyncSession, attempt: AttemptRecord, outcome: Outcome, policy: HealthPolicy
) -> None:
    """Record an attempt with its endpoint's new health, in the session's transaction.

    The endpoint row is locked first, then the delivery written: the order every writer of
    both follows.
    """
    locked = await endpoint_repository.lock_health(session, attempt.endpoint_id)
    await repository.record(session, attempt)
    transition = rules.record_outcome(locked.health, outcome, attempt.started_at, policy)
    await endpoint_repository.write_health(session, attempt.endpoint_id, transition.health)
    await _announce(session, locked, transition, attempt.started_at)


async def disable_failing(session: AsyncSession, policy: HealthPolicy, now: datetime) -> int:
    """Disable the endpoints failing for longer than `policy.disable_after`; how many."""
    disabled = 0
    for row in await endpoint_repository.failing_for(session, policy.disable_after):
        transition = rules.tick(row.health, now, policy)
        if transition.event is None:
            continue
        await endpoint_repository.write_health(session, row.endpoint_id, transition.health)
        await _announce(session, row, transition, now)
        disabled += 1
    return disabled


async def _announce(
    session: AsyncSession, before: HealthRow, transition: Transition, now: datetime
) -> None:
    """Record the warning of a change of state for the endpoint's owner, if there is one."""
    if transition.event is None:
        return
    after = transition.health
    sequence = 0  # numbered on insert: the endpoint's next
    data = EndpointHealthData(
        id=before.endpoint_id,
        url=ENDPOINT_URL.format(id=before.endpoint_id),
        occurred_at=now,
        sequence=sequence,
        state=after.state.value,
        previous_state=before.health.state.value,
        consecutive_failures=after.consecutive_failures,
        disabled_reason=after.disabled_reason.value if after.disabled_reason else None,
    )
    event = new_event(
        EventType(transition.event.value),
        data,
        subject_type="webhook_endpoint",
        subject_id=before.endpoint_id,
        sequence=sequence,
        operator_id=before.operator_id,
    )
    await insert_event(session, event)
    logger.warning(
        "webhook endpoint health changed",
        extra={"endpoint_id": str(before.endpoint_id), "event": transition.event.value},
    )
