"""The delivery worker's hot statements, sent on a dedicated asyncpg pool.

Each attempt costs one database round trip: the statement that records an attempt also
claims the endpoint's next due delivery. The statements are prepared once per connection
(asyncpg's statement cache) and skip the ORM layers. The SQL is written once, with named
parameters, and also run through SQLAlchemy where a transaction needs it (health changes).
"""

# ruff: noqa: S608 - the statements are assembled from constant fragments only

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Self

import asyncpg
from sqlalchemy.engine import make_url

_RETURNING: Final = """
RETURNING d.id, d.endpoint_id, d.attempts, d.locked_until, d.event_id, ev.type AS event_type,
    ev.occurred_at, ev.data, e.operator_id, e.url, e.timeout_seconds, e.max_in_flight,
    e.secret_ciphertext, e.previous_secret_ciphertext, e.previous_secret_expires_at,
    e.state::text AS state, e.consecutive_failures, e.failing_since, e.last_failure_at,
    e.last_success_at, e.probes, e.next_probe_at, e.disabled_reason::text AS disabled_reason
"""
_CLAIMABLE: Final = """
  AND e.id = d.endpoint_id AND e.state IN ('healthy', 'degraded') AND ev.id = d.event_id
"""
_NEXT_DUE: Final = """
SELECT x.id FROM webhook_deliveries AS x
WHERE x.endpoint_id = :endpoint_id AND x.status = 'pending' AND x.id <> :skip_id
  AND x.next_attempt_at <= clock_timestamp()
  AND (x.locked_until IS NULL OR x.locked_until < clock_timestamp())
ORDER BY x.position LIMIT 1 FOR UPDATE SKIP LOCKED
"""
_TAKE: Final = """
UPDATE webhook_deliveries AS d
SET locked_until = clock_timestamp() + :lease, attempts = d.attempts + 1
FROM webhook_endpoints AS e, events AS ev
"""

CLAIM_BY_ID: Final = (
    _TAKE
    + """
WHERE d.id = :delivery_id AND d.status = 'pending' AND d.attempts = :attempt - 1
  AND d.next_attempt_at <= clock_timestamp() + interval '2 seconds'
  AND (d.locked_until IS NULL OR d.locked_until < clock_timestamp())
"""
    + _CLAIMABLE
    + _RETURNING
)
"""Claim the delivery a job names, if it is still due for that attempt."""

CLAIM_NEXT: Final = f"{_TAKE} WHERE d.id = ({_NEXT_DUE}) {_CLAIMABLE} {_RETURNING}"
"""Claim the endpoint's oldest due delivery (`:skip_id` is never taken)."""

CLAIM_PROBE: Final = (
    """
UPDATE webhook_deliveries AS d
SET locked_until = clock_timestamp() + :lease
FROM webhook_endpoints AS e, events AS ev
WHERE d.id = (
    SELECT x.id FROM webhook_deliveries AS x
    WHERE x.endpoint_id = :endpoint_id AND x.status = 'pending'
      AND (x.locked_until IS NULL OR x.locked_until < clock_timestamp())
    ORDER BY x.position LIMIT 1 FOR UPDATE SKIP LOCKED)
  AND e.id = d.endpoint_id AND e.state = 'circuit_open'
  AND (e.next_probe_at IS NULL OR e.next_probe_at <= clock_timestamp())
  AND ev.id = d.event_id
"""
    + _RETURNING
)
"""Claim the oldest pending delivery of a circuit-open endpoint due for a probe."""

_RECORD: Final = """
attempt AS (
    INSERT INTO webhook_attempts (delivery_id, endpoint_id, attempt_no, probe, started_at,
        duration_ms, status_code, error_class, outcome, response_excerpt)
    VALUES (:delivery_id, :endpoint_id, :attempt_no, :probe, :started_at, :duration_ms,
        :status_code, :error_class, :outcome, :response_excerpt)
),
finished AS (
    UPDATE webhook_deliveries
    SET status = CAST(:status AS delivery_status),
        next_attempt_at = coalesce(:next_attempt_at, next_attempt_at),
        locked_until = NULL, last_attempt_at = :started_at, last_status_code = :status_code,
        last_error = :last_error, delivered_at = :delivered_at
    WHERE id = :delivery_id AND locked_until = :lease_token
    RETURNING id
)"""

FINISH: Final = f"WITH {_RECORD} SELECT count(*) AS finished FROM finished"
"""Record an attempt and its delivery's new state (the lease token must still match)."""

FINISH_AND_CLAIM_NEXT: Final = f"""
WITH {_RECORD},
claimed AS ({_TAKE} WHERE d.id = ({_NEXT_DUE}) {_CLAIMABLE} {_RETURNING})
SELECT * FROM claimed
"""
"""`FINISH`, then claim the endpoint's next due delivery, in one statement."""

CAP: Final = "SELECT max_in_flight FROM webhook_endpoints WHERE id = :endpoint_id"

NEXT_DUE: Final = """
SELECT x.id, x.attempts FROM webhook_deliveries AS x
WHERE x.endpoint_id = :endpoint_id AND x.status = 'pending'
  AND x.next_attempt_at <= clock_timestamp()
  AND (x.locked_until IS NULL OR x.locked_until < clock_timestamp())
ORDER BY x.position LIMIT 1
"""
"""The endpoint's oldest due delivery and its attempts so far (read only, nothing locked)."""

_NO_ID: Final = uuid.UUID(int=0)
"""A `:skip_id` matching no delivery."""

_PARAMETER = re.compile(r"(?<![:\w]):([a-z_]+)\b")


def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """The SQL with `:name` parameters rewritten as asyncpg's `$n`, and the names in order.

    Args:
        sql: SQL with `:name` placeholders (`::type` casts are left alone).

    Returns:
        (SQL with `$1`, `$2`…, the parameter names by position).
    """
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return _PARAMETER.sub(number, sql), tuple(names)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """A claimed delivery with its event and endpoint, as the claim statements return it."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    attempts: int
    locked_until: datetime
    event_id: uuid.UUID
    event_type: str
    occurred_at: datetime
    data: dict[str, Any] | None
    operator_id: uuid.UUID
    url: str
    timeout_seconds: int
    max_in_flight: int
    secret_ciphertext: str
    previous_secret_ciphertext: str | None
    previous_secret_expires_at: datetime | None
    state: str
    consecutive_failures: int
    failing_since: datetime | None
    last_failure_at: datetime | None
    last_success_at: datetime | None
    probes: int
    next_probe_at: datetime | None
    disabled_reason: str | None

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> Self:
        """The row of a returned record (asyncpg's UUIDs are `uuid.UUID`s)."""
        return cls(**record)


class _Statement:
    """One named-parameter statement and its asyncpg form."""

    def __init__(self, sql: str) -> None:
        self.sql, self.names = positional(sql)

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] for name in self.names]


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Release without asyncpg's reset query: these statements leave no session state.

    (An open transaction is still rolled back by the pool before this is called.)
    """


async def _init_connection(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(
            name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


class DeliveryStore:
    """The worker's claim and finish statements over its own small asyncpg pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        """Wrap a pool made by `connect`."""
        self._pool = pool
        self._claim_by_id = _Statement(CLAIM_BY_ID)
        self._claim_next = _Statement(CLAIM_NEXT)
        self._claim_probe = _Statement(CLAIM_PROBE)
        self._finish = _Statement(FINISH)
        self._finish_and_claim = _Statement(FINISH_AND_CLAIM_NEXT)
        self._cap = _Statement(CAP)
        self._next_due = _Statement(NEXT_DUE)

    @classmethod
    async def connect(cls, database_url: str, *, max_size: int) -> "DeliveryStore":
        """Open the pool (the SQLAlchemy URL of the settings; its driver name is dropped).

        Args:
            database_url: `postgresql+asyncpg://…` or `postgresql://…`.
            max_size: Connections at most (concurrent claims and finishes of the process).

        Returns:
            The store; `close` it on shutdown.
        """
        url = make_url(database_url).set(drivername="postgresql")
        pool = await asyncpg.create_pool(
            url.render_as_string(hide_password=False),
            min_size=1,
            max_size=max_size,
            init=_init_connection,
            reset=_keep_session,
            server_settings={"application_name": "tidi-webhooks"},
        )
        return cls(pool)

    async def close(self) -> None:
        """Close the pool."""
        await self._pool.close()

    async def cap(self, endpoint_id: uuid.UUID) -> int | None:
        """The endpoint's in-flight cap, or None when it no longer exists."""
        value = await self._pool.fetchval(
            self._cap.sql, *self._cap.arguments({"endpoint_id": endpoint_id})
        )
        return None if value is None else int(value)

    async def next_due(self, endpoint_id: uuid.UUID) -> tuple[uuid.UUID, int] | None:
        """The endpoint's oldest due delivery (id, attempts so far), without claiming it."""
        record = await self._pool.fetchrow(
            self._next_due.sql, *self._next_due.arguments({"endpoint_id": endpoint_id})
        )
        return None if record is None else (uuid.UUID(str(record["id"])), int(record["attempts"]))

    async def claim(
        self, delivery_id: uuid.UUID, attempt: int, lease: timedelta
    ) -> DeliveryRow | None:
        """Claim one delivery for its `attempt`-th attempt, if it is still due."""
        params = {"delivery_id": delivery_id, "attempt": attempt, "lease": lease}
        return await self._row(self._claim_by_id, params)

    async def claim_next(self, endpoint_id: uuid.UUID, lease: timedelta) -> DeliveryRow | None:
        """Claim the endpoint's oldest due delivery."""
        params = {"endpoint_id": endpoint_id, "lease": lease, "skip_id": _NO_ID}
        return await self._row(self._claim_next, params)

    async def claim_probe(self, endpoint_id: uuid.UUID, lease: timedelta) -> DeliveryRow | None:
        """Claim the message a circuit-open endpoint is probed with."""
        return await self._row(self._claim_probe, {"endpoint_id": endpoint_id, "lease": lease})

    async def finish(
        self, params: Mapping[str, Any], *, claim_next_lease: timedelta | None = None
    ) -> DeliveryRow | None:
        """Record an attempt; with a lease, also claim the endpoint's next due delivery.

        Args:
            params: The parameters of `FINISH` (see `Deliverer`).
            claim_next_lease: Claim the same endpoint's oldest due delivery (never the one
                just finished) under this lease, in the same statement.

        Returns:
            The delivery claimed next, if any.
        """
        if claim_next_lease is None:
            await self._pool.fetchval(self._finish.sql, *self._finish.arguments(params))
            return None
        chained = {**params, "lease": claim_next_lease, "skip_id": params["delivery_id"]}
        return await self._row(self._finish_and_claim, chained)

    async def _row(self, statement: _Statement, params: Mapping[str, Any]) -> DeliveryRow | None:
        record = await self._pool.fetchrow(statement.sql, *statement.arguments(params))
        return None if record is None else DeliveryRow.of(record)
