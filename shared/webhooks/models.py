"""Webhook endpoints, routing rules, deliveries (one per event × endpoint) and their attempts."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, Timestamps, UUIDPrimaryKey, Versioned, pg_enum
from shared.webhooks.health import DisabledReason, HealthState


class DeliveryStatus(StrEnum):
    """Where one message to one endpoint stands."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class RouteField(StrEnum):
    """The project field a routing rule matches on."""

    PRIORITY = "priority"
    NATURE = "nature"


class RecoveryStatus(StrEnum):
    """Progress of a recovery of failed messages."""

    RUNNING = "running"
    DONE = "done"


class WebhookEndpoint(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """An operator's receiving URL, its filters, its secret (encrypted) and its health."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (
        CheckConstraint("timeout_seconds BETWEEN 1 AND 30", name="timeout_range"),
        CheckConstraint("max_in_flight BETWEEN 1 AND 64", name="in_flight_range"),
    )

    operator_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("operators.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    event_types: Mapped[list[str]] = mapped_column(
        ARRAY(String(100)), default=list, server_default="{}"
    )
    fund_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(64)), default=list, server_default="{}"
    )
    timeout_seconds: Mapped[int] = mapped_column(SmallInteger, default=15, server_default="15")
    max_in_flight: Mapped[int] = mapped_column(SmallInteger, default=4, server_default="4")
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    previous_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    # Health (see shared.webhooks.health): written by the delivery worker.
    state: Mapped[HealthState] = mapped_column(
        pg_enum(HealthState, "endpoint_state"),
        default=HealthState.HEALTHY,
        server_default="healthy",
    )
    disabled_reason: Mapped[DisabledReason | None] = mapped_column(
        pg_enum(DisabledReason, "endpoint_disabled_reason")
    )
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failing_since: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    probes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_probe_at: Mapped[datetime | None]
    health_changed_at: Mapped[datetime | None]


class RoutingRule(UUIDPrimaryKey, Base):
    """Project events whose `field` holds `value` go to `operator` (data an admin edits)."""

    __tablename__ = "webhook_routing_rules"
    __table_args__ = (UniqueConstraint("operator_id", "field", "value"),)

    operator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operators.id", ondelete="CASCADE"))
    field: Mapped[RouteField] = mapped_column(pg_enum(RouteField, "route_field"))
    value: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class WebhookDelivery(UUIDPrimaryKey, Base):
    """One message (an event) to one endpoint: written in the event's transaction.

    `locked_until` is the lease of the worker sending it; `attempts` counts the attempts of
    the current round (a resend or a recovery starts a new round).
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "endpoint_id"),
        Index(
            "ix_webhook_deliveries_lane",
            "endpoint_id",
            "position",
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_webhook_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(BigInteger, doc="The event's position: drain order.")
    event_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[DeliveryStatus] = mapped_column(
        pg_enum(DeliveryStatus, "delivery_status"),
        default=DeliveryStatus.PENDING,
        server_default="pending",
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=func.now())
    locked_until: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(SmallInteger)
    last_error: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class WebhookAttempt(Base):
    """One HTTP attempt of a delivery (1 INSERT per attempt, never updated)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_endpoint_started", "endpoint_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    attempt_no: Mapped[int] = mapped_column(Integer)
    probe: Mapped[bool] = mapped_column(default=False, server_default="false")
    started_at: Mapped[datetime]
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    error_class: Mapped[str | None] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))
    response_excerpt: Mapped[str | None] = mapped_column(Text)


class WebhookRecovery(UUIDPrimaryKey, Base):
    """Re-sending an endpoint's failed messages over a time range, in batches."""

    __tablename__ = "webhook_recoveries"

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    since: Mapped[datetime]
    until: Mapped[datetime]
    status: Mapped[RecoveryStatus] = mapped_column(
        pg_enum(RecoveryStatus, "recovery_status"),
        default=RecoveryStatus.RUNNING,
        server_default="running",
    )
    total: Mapped[int] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_by_key_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    finished_at: Mapped[datetime | None]
