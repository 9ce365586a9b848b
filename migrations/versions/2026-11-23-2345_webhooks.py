"""Webhook endpoints, routing rules, deliveries, attempts and recoveries; event audiences.

Deliveries are written in the transaction of their event (one per event × subscribed
endpoint, UNIQUE), so the outbox is the deliveries table itself: the `dispatched_at`
bookkeeping of events goes. `events.audience` holds the operators an event concerns,
resolved once when it is written; `events.data` becomes nullable because payloads are
nulled when their retention period ends.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 23:44:17.582287
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "event_types",
            postgresql.ARRAY(sa.String(length=100)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "fund_codes",
            postgresql.ARRAY(sa.String(length=64)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("timeout_seconds", sa.SmallInteger(), server_default="15", nullable=False),
        sa.Column("max_in_flight", sa.SmallInteger(), server_default="4", nullable=False),
        sa.Column("secret_ciphertext", sa.Text(), nullable=False),
        sa.Column("previous_secret_ciphertext", sa.Text(), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "state",
            sa.Enum("healthy", "degraded", "circuit_open", "disabled", name="endpoint_state"),
            server_default="healthy",
            nullable=False,
        ),
        sa.Column(
            "disabled_reason",
            sa.Enum("gone", "failing", "owner", name="endpoint_disabled_reason"),
            nullable=True,
        ),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("probes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_probe_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("health_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint(
            "max_in_flight BETWEEN 1 AND 64", name=op.f("ck_webhook_endpoints_in_flight_range")
        ),
        sa.CheckConstraint(
            "timeout_seconds BETWEEN 1 AND 30", name=op.f("ck_webhook_endpoints_timeout_range")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_webhook_endpoints_operator_id_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(
        op.f("ix_webhook_endpoints_operator_id"), "webhook_endpoints", ["operator_id"], unique=False
    )
    op.create_table(
        "webhook_routing_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.Enum("priority", "nature", name="route_field"), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_webhook_routing_rules_operator_id_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_routing_rules")),
        sa.UniqueConstraint(
            "operator_id",
            "field",
            "value",
            name=op.f("uq_webhook_routing_rules_operator_id_field_value"),
        ),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "succeeded", "failed", name="delivery_status"),
            server_default="pending",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.SmallInteger(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_webhook_deliveries_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint(
            "event_id", "endpoint_id", name=op.f("uq_webhook_deliveries_event_id_endpoint_id")
        ),
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_deliveries_endpoint_created",
        "webhook_deliveries",
        ["endpoint_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_webhook_deliveries_lane",
        "webhook_deliveries",
        ["endpoint_id", "position"],
        unique=False,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "webhook_recoveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum("running", "done", name="recovery_status"),
            server_default="running",
            nullable=False,
        ),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by_key_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_recoveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_recoveries")),
    )
    op.create_index(
        op.f("ix_webhook_recoveries_endpoint_id"),
        "webhook_recoveries",
        ["endpoint_id"],
        unique=False,
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("attempt_no", sa.Integer(), nullable=False),
        sa.Column("probe", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("error_class", sa.String(length=32), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("response_excerpt", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["webhook_deliveries.id"],
            name=op.f("fk_webhook_attempts_delivery_id_webhook_deliveries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_attempts_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_webhook_attempts_delivery_id"), "webhook_attempts", ["delivery_id"], unique=False
    )
    op.create_index(
        "ix_webhook_attempts_endpoint_started",
        "webhook_attempts",
        ["endpoint_id", "started_at"],
        unique=False,
    )
    op.add_column(
        "events",
        sa.Column("audience", postgresql.ARRAY(sa.Uuid()), server_default="{}", nullable=False),
    )
    op.alter_column(
        "events", "data", existing_type=postgresql.JSONB(astext_type=sa.Text()), nullable=True
    )
    op.drop_index(
        op.f("ix_events_undispatched"),
        table_name="events",
        postgresql_where="(dispatched_at IS NULL)",
    )
    op.create_index(
        "ix_events_audience", "events", ["audience"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_events_occurred_at", "events", ["occurred_at"], unique=False)
    op.drop_column("events", "dispatched_at")


def downgrade() -> None:
    op.execute("UPDATE events SET data = '{}'::jsonb WHERE data IS NULL")
    op.add_column(
        "events",
        sa.Column(
            "dispatched_at", postgresql.TIMESTAMP(timezone=True), autoincrement=False, nullable=True
        ),
    )
    op.drop_index("ix_events_occurred_at", table_name="events")
    op.drop_index("ix_events_audience", table_name="events", postgresql_using="gin")
    op.create_index(
        op.f("ix_events_undispatched"),
        "events",
        ["position"],
        unique=False,
        postgresql_where="(dispatched_at IS NULL)",
    )
    op.alter_column(
        "events", "data", existing_type=postgresql.JSONB(astext_type=sa.Text()), nullable=False
    )
    op.drop_column("events", "audience")
    op.drop_index("ix_webhook_attempts_endpoint_started", table_name="webhook_attempts")
    op.drop_index(op.f("ix_webhook_attempts_delivery_id"), table_name="webhook_attempts")
    op.drop_table("webhook_attempts")
    op.drop_index(op.f("ix_webhook_recoveries_endpoint_id"), table_name="webhook_recoveries")
    op.drop_table("webhook_recoveries")
    op.drop_index(
        "ix_webhook_deliveries_lane",
        table_name="webhook_deliveries",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index("ix_webhook_deliveries_endpoint_created", table_name="webhook_deliveries")
    op.drop_index(
        "ix_webhook_deliveries_due",
        table_name="webhook_deliveries",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_routing_rules")
    op.drop_index(op.f("ix_webhook_endpoints_operator_id"), table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    for enum in (
        "recovery_status",
        "delivery_status",
        "route_field",
        "endpoint_disabled_reason",
        "endpoint_state",
    ):
        op.execute(f"DROP TYPE {enum}")
