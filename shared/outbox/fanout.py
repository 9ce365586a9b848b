"""Fan-out in the event's own transaction: the event row, its audience, one delivery per endpoint.

One statement writes the event and its deliveries, so they commit or vanish together
(the transactional outbox); the first attempts are enqueued after commit with job ids
`{delivery_id}:1`, and the sweeper re-enqueues any the queue lost.
"""

# ruff: noqa: S608 - statements are assembled from constant fragments and CTE names only

import uuid
from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import String, Uuid

from shared.events.service import NewEvent
from shared.jobs import JobRequest
from shared.webhooks.jobs import first_attempt_jobs

_EVENT_COLUMNS: Final = (
    "id, type, subject_type, subject_id, sequence, occurred_at, fund_id, operator_id, "
    "territory_id, data, request_id, audience"
)
_AUDIENCE: Final = """
audience AS (
    SELECT coalesce(array_agg(DISTINCT op) FILTER (WHERE op IS NOT NULL), '{}') AS ids
    FROM (
        SELECT CAST(:operator_id AS uuid) AS op
        UNION ALL
        SELECT r.operator_id FROM webhook_routing_rules r
        WHERE (r.field::text || ':' || r.value) = ANY(:route_tags)
    ) AS candidates
)"""
_DELIVERIES: Final = """
delivery AS (
    INSERT INTO webhook_deliveries (id, event_id, endpoint_id, position, event_type)
    SELECT gen_random_uuid(), event.id, endpoint.id, event.position, event.type
    FROM event JOIN webhook_endpoints AS endpoint ON endpoint.operator_id = ANY(event.audience)
    WHERE CASE
        WHEN CAST(:only_endpoint AS uuid) IS NOT NULL THEN endpoint.id = :only_endpoint
        ELSE :fanout
            AND (cardinality(endpoint.event_types) = 0 OR event.type = ANY(endpoint.event_types))
            AND (cardinality(endpoint.fund_codes) = 0 OR EXISTS (
                SELECT 1 FROM funds WHERE funds.id = event.fund_id
                AND funds.code = ANY(endpoint.fund_codes)))
    END
    RETURNING id, endpoint_id
)"""
DELIVERY_COLUMNS: Final = (
    "delivery.id AS delivery_id, delivery.endpoint_id, endpoint.state::text AS state, "
    "endpoint.max_in_flight"
)
"""What a statement with `event_ctes` selects of each delivery it wrote (for the jobs)."""
DELIVERY_JOIN: Final = (
    "delivery JOIN webhook_endpoints AS endpoint ON endpoint.id = delivery.endpoint_id"
)

JSON_INSTANT: Final = (
    "to_char({0} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE "
    "WHEN date_part('microseconds', {0})::bigint % 1000000 = 0 THEN '' "
    "ELSE to_char({0} AT TIME ZONE 'UTC', '.US') END || 'Z'"
)
"""SQL writing the instant `{0}` as pydantic writes it in JSON (`2026-01-02T03:04:05.123456Z`,
no fraction when it is zero), so an event stamped in SQL reads like one stamped in Python."""


def event_ctes(stamped_by: str | None = None) -> str:
    """The CTEs `audience`, `event` and `delivery` that write an event and its deliveries.

    With `stamped_by`, the name of a CTE returning one changed row's `version` and
    `updated_at`, the event is written only if that row was, and takes its sequence and
    instant from it (in its columns and in `data`); otherwise from `:sequence` and
    `:occurred_at`. The parameters are those of `event_parameters`.
    """
    if stamped_by is None:
        sequence, occurred_at, data, sources = ":sequence", ":occurred_at", ":data", "audience"
    else:
        sequence, occurred_at = f"{stamped_by}.version", f"{stamped_by}.updated_at"
        data = (
            f"CAST(:data AS jsonb) || jsonb_build_object('occurred_at', "
            f"{JSON_INSTANT.format(occurred_at)}, 'sequence', {sequence})"
        )
        sources = f"audience, {stamped_by}"
    return f"""{_AUDIENCE},
event AS (
    INSERT INTO events ({_EVENT_COLUMNS})
    SELECT :id, :type, :subject_type, :subject_id, {sequence}, {occurred_at}, :fund_id,
           :operator_id, :territory_id, {data}, :request_id, audience.ids
    FROM {sources}
    RETURNING id, position, type, fund_id, audience
),{_DELIVERIES}"""


EVENT_PARAMETER_TYPES: Final = (
    bindparam("route_tags", type_=ARRAY(String)),
    bindparam("data", type_=JSONB),
    bindparam("operator_id", type_=Uuid),
    bindparam("only_endpoint", type_=Uuid),
)
"""Bind parameter types a statement with `event_ctes` declares."""

_WRITE = text(f"WITH {event_ctes()}\nSELECT {DELIVERY_COLUMNS} FROM {DELIVERY_JOIN}").bindparams(
    *EVENT_PARAMETER_TYPES
)


async def write_event(
    session: AsyncSession,
    event: NewEvent,
    *,
    route_tags: Sequence[str] = (),
    fanout: bool = True,
    only_endpoint: uuid.UUID | None = None,
) -> list[JobRequest]:
    """Insert the event and its deliveries (one round trip); the first-attempt jobs.

    The audience is the event's operator plus every operator whose routing rule matches
    one of `route_tags` (`priority:recrutement`, `nature:relocation`...). Each endpoint of
    the audience gets a delivery when its event-type and fund filters accept the event;
    endpoints whose circuit is open or which are disabled get one too (kept, sent later),
    but no job. `fanout=False` records the event for the pull API only; `only_endpoint`
    delivers to that endpoint alone, whatever its filters (test pings).
    """
    rows = await session.execute(
        _WRITE,
        event_parameters(event, route_tags=route_tags, fanout=fanout, only_endpoint=only_endpoint),
    )
    return first_attempt_jobs(session, [tuple(row) for row in rows])


def event_parameters(
    event: NewEvent,
    *,
    route_tags: Sequence[str] = (),
    fanout: bool = True,
    only_endpoint: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The parameters of `event_ctes` for `event` (see `write_event` for the options)."""
    return {
        "id": event.id,
        "type": event.type,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "sequence": event.sequence,
        "occurred_at": event.occurred_at,
        "fund_id": event.fund_id,
        "operator_id": event.operator_id,
        "territory_id": event.territory_id,
        "data": event.data,
        "request_id": event.request_id,
        "route_tags": list(route_tags),
        "fanout": fanout,
        "only_endpoint": only_endpoint,
    }
