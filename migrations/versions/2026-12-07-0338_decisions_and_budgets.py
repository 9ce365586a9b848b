"""Decisions and budgets: region keys, the review columns of applications, fund envelopes,
commitments and payments.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 03:38:45.907107
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new enum value is usable only once committed: added outside the migration's transaction.
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE api_key_role ADD VALUE IF NOT EXISTS 'region' BEFORE 'observer'")
    op.create_table(
        "budget_envelopes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column(
            "financer", sa.Enum("state", "region", "operator", name="financer"), nullable=False
        ),
        sa.Column("label", sa.String(length=200), server_default="", nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("committed_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
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
        sa.CheckConstraint(
            "amount_cents >= 0", name=op.f("ck_budget_envelopes_amount_non_negative")
        ),
        sa.CheckConstraint(
            "committed_cents >= 0 AND committed_cents <= amount_cents",
            name=op.f("ck_budget_envelopes_committed_within"),
        ),
        sa.CheckConstraint(
            "paid_cents >= 0 AND paid_cents <= committed_cents",
            name=op.f("ck_budget_envelopes_paid_within"),
        ),
        sa.CheckConstraint(
            "period_end >= period_start", name=op.f("ck_budget_envelopes_period_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["funds.id"], name=op.f("fk_budget_envelopes_fund_id_funds")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_budget_envelopes_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_envelopes")),
    )
    op.create_index(
        op.f("ix_budget_envelopes_fund_id"), "budget_envelopes", ["fund_id"], unique=False
    )
    op.create_table(
        "budget_commitments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("envelope_id", sa.Uuid(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "released", name="commitment_status"),
            server_default="active",
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_budget_commitments_amount_positive")),
        sa.CheckConstraint(
            "paid_cents >= 0 AND paid_cents <= amount_cents",
            name=op.f("ck_budget_commitments_paid_within"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_budget_commitments_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["envelope_id"],
            ["budget_envelopes.id"],
            name=op.f("fk_budget_commitments_envelope_id_budget_envelopes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_commitments")),
    )
    op.create_index(
        op.f("ix_budget_commitments_application_id"),
        "budget_commitments",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_budget_commitments_envelope_id"),
        "budget_commitments",
        ["envelope_id"],
        unique=False,
    )
    op.create_index(
        "uq_budget_commitments_active_application",
        "budget_commitments",
        ["application_id"],
        unique=True,
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "budget_payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), server_default="", nullable=False),
        sa.Column("recorded_by_key_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_budget_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_budget_payments_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["budget_commitments.id"],
            name=op.f("fk_budget_payments_commitment_id_budget_commitments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_payments")),
    )
    op.create_index(
        op.f("ix_budget_payments_application_id"),
        "budget_payments",
        ["application_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_budget_payments_commitment_id"), "budget_payments", ["commitment_id"], unique=False
    )
    op.add_column("api_keys", sa.Column("region_code", sa.String(length=3), nullable=True))
    op.create_foreign_key(
        op.f("fk_api_keys_region_code_regions"), "api_keys", "regions", ["region_code"], ["code"]
    )
    op.drop_constraint(op.f("ck_api_keys_operator_binding"), "api_keys", type_="check")
    op.create_check_constraint(
        op.f("ck_api_keys_operator_binding"),
        "api_keys",
        "(role IN ('operator', 'region')) = (operator_id IS NOT NULL)",
    )
    op.create_check_constraint(
        op.f("ck_api_keys_region_binding"),
        "api_keys",
        "(role = 'region') = (region_code IS NOT NULL)",
    )
    op.add_column("applications", sa.Column("assignee", sa.String(length=200), nullable=True))
    op.add_column(
        "applications",
        sa.Column("information_request", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("applications", sa.Column("information_due_on", sa.Date(), nullable=True))
    op.add_column(
        "applications",
        sa.Column(
            "information_overdue_notified", sa.Boolean(), server_default="false", nullable=False
        ),
    )
    op.add_column(
        "applications",
        sa.Column("decision", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column("applications", sa.Column("awarded_cents", sa.BigInteger(), nullable=True))
    op.add_column(
        "applications",
        sa.Column("agreement", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.create_check_constraint(
        op.f("ck_applications_award_positive"),
        "applications",
        "awarded_cents IS NULL OR awarded_cents > 0",
    )
    op.create_index(
        "ix_applications_information_due_on",
        "applications",
        ["information_due_on"],
        unique=False,
        postgresql_where=sa.text("status = 'information_requested'"),
    )


def downgrade() -> None:
    # (the 'region' value stays in api_key_role: PostgreSQL cannot drop an enum value)
    op.execute("DELETE FROM api_keys WHERE role = 'region'")
    op.drop_constraint(op.f("ck_applications_award_positive"), "applications", type_="check")
    op.drop_constraint(op.f("ck_api_keys_region_binding"), "api_keys", type_="check")
    op.drop_constraint(op.f("ck_api_keys_operator_binding"), "api_keys", type_="check")
    op.create_check_constraint(
        op.f("ck_api_keys_operator_binding"),
        "api_keys",
        "(role = 'operator') = (operator_id IS NOT NULL)",
    )
    op.drop_index(
        "ix_applications_information_due_on",
        table_name="applications",
        postgresql_where=sa.text("status = 'information_requested'"),
    )
    op.drop_column("applications", "agreement")
    op.drop_column("applications", "awarded_cents")
    op.drop_column("applications", "decision")
    op.drop_column("applications", "information_overdue_notified")
    op.drop_column("applications", "information_due_on")
    op.drop_column("applications", "information_request")
    op.drop_column("applications", "assignee")
    op.drop_constraint(op.f("fk_api_keys_region_code_regions"), "api_keys", type_="foreignkey")
    op.drop_column("api_keys", "region_code")
    op.drop_index(op.f("ix_budget_payments_commitment_id"), table_name="budget_payments")
    op.drop_index(op.f("ix_budget_payments_application_id"), table_name="budget_payments")
    op.drop_table("budget_payments")
    op.drop_index(
        "uq_budget_commitments_active_application",
        table_name="budget_commitments",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index(op.f("ix_budget_commitments_envelope_id"), table_name="budget_commitments")
    op.drop_index(op.f("ix_budget_commitments_application_id"), table_name="budget_commitments")
    op.drop_table("budget_commitments")
    op.drop_index(op.f("ix_budget_envelopes_fund_id"), table_name="budget_envelopes")
    op.drop_table("budget_envelopes")
    sa.Enum(name="commitment_status").drop(op.get_bind())
    sa.Enum(name="financer").drop(op.get_bind())
