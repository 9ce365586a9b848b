"""Projects, applications, the event outbox and idempotency records; fund question schemas.

Applications reuse the aid_form type of funds. One open application per project and fund
is a partial unique index, so concurrent creations cannot both succeed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 21:41:12.874913
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("subject_type", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=True),
        sa.Column("operator_id", sa.Uuid(), nullable=True),
        sa.Column("territory_id", sa.Uuid(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("position", name=op.f("uq_events_position")),
    )
    op.create_index(op.f("ix_events_fund_id"), "events", ["fund_id"], unique=False)
    op.create_index(op.f("ix_events_operator_id"), "events", ["operator_id"], unique=False)
    op.create_index("ix_events_subject", "events", ["subject_type", "subject_id"], unique=False)
    op.create_index(op.f("ix_events_territory_id"), "events", ["territory_id"], unique=False)
    op.create_index(op.f("ix_events_type"), "events", ["type"], unique=False)
    op.create_index(
        "ix_events_undispatched",
        "events",
        ["position"],
        unique=False,
        postgresql_where="dispatched_at IS NULL",
    )
    op.create_table(
        "idempotency_records",
        sa.Column("api_key_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("api_key_id", "key", name=op.f("pk_idempotency_records")),
    )
    op.create_index(
        op.f("ix_idempotency_records_expires_at"),
        "idempotency_records",
        ["expires_at"],
        unique=False,
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "active",
                "completed",
                "rejected",
                "withdrawn",
                "abandoned",
                name="project_status",
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "nature",
            sa.Enum(
                "creation",
                "extension",
                "modernisation",
                "relocation",
                "training_platform",
                "services_platform",
                "brownfield_reuse",
                name="project_nature",
            ),
            nullable=False,
        ),
        sa.Column(
            "priorities",
            postgresql.ARRAY(
                sa.Enum(
                    "foncier", "recrutement", "innovation", "decarbonation", name="project_priority"
                )
            ),
            nullable=False,
        ),
        sa.Column("holder", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("holder_siren", sa.String(length=9), nullable=False),
        sa.Column("site", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("site_region_code", sa.String(length=3), nullable=True),
        sa.Column("investment_total_cents", sa.BigInteger(), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=True),
        sa.Column("planned_end", sa.Date(), nullable=True),
        sa.Column("jobs_created", sa.BigInteger(), nullable=False),
        sa.Column("jobs_maintained", sa.BigInteger(), nullable=False),
        sa.Column("relocation", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("is_collective", sa.Boolean(), nullable=False),
        sa.Column("contacts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_key_id", sa.Uuid(), nullable=True),
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
            "investment_total_cents >= 0", name=op.f("ck_projects_investment_non_negative")
        ),
        sa.CheckConstraint(
            "jobs_created >= 0 AND jobs_maintained >= 0", name=op.f("ck_projects_jobs_non_negative")
        ),
        sa.CheckConstraint(
            "planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start",
            name=op.f("ck_projects_dates_ordered"),
        ),
        sa.ForeignKeyConstraint(
            ["site_region_code"],
            ["regions.code"],
            name=op.f("fk_projects_site_region_code_regions"),
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territories.id"], name=op.f("fk_projects_territory_id_territories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    op.create_index("ix_projects_created_at_id", "projects", ["created_at", "id"], unique=False)
    op.create_index(op.f("ix_projects_holder_siren"), "projects", ["holder_siren"], unique=False)
    op.create_index(
        op.f("ix_projects_site_region_code"), "projects", ["site_region_code"], unique=False
    )
    op.create_index(op.f("ix_projects_status"), "projects", ["status"], unique=False)
    op.create_index(op.f("ix_projects_territory_id"), "projects", ["territory_id"], unique=False)
    op.create_index("ix_projects_updated_at_id", "projects", ["updated_at", "id"], unique=False)
    op.create_table(
        "applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=True),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "screening",
                "eligible",
                "ineligible",
                "undetermined",
                "screening_error",
                "preselected",
                "under_review",
                "information_requested",
                "approved",
                "rejected",
                "agreement_signed",
                "funded",
                "closed",
                "expired",
                "withdrawn",
                name="application_status",
            ),
            nullable=False,
        ),
        sa.Column("applicant_siren", sa.String(length=9), nullable=False),
        sa.Column("requested_amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("eligible_expense_base_cents", sa.BigInteger(), nullable=True),
        sa.Column("expense_lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "aid_form",
            postgresql.ENUM(name="aid_form", create_type=False),
            nullable=True,
        ),
        sa.Column("prior_deminimis_cents", sa.BigInteger(), nullable=False),
        sa.Column("engagements", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attestations", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "territory_opinion",
            sa.Enum("favourable", "neutral", "unfavourable", name="territory_opinion"),
            nullable=True,
        ),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("attachments", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("project_snapshot", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("submission_no", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_key_id", sa.Uuid(), nullable=True),
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
            "eligible_expense_base_cents >= 0", name=op.f("ck_applications_base_non_negative")
        ),
        sa.CheckConstraint(
            "prior_deminimis_cents >= 0", name=op.f("ck_applications_deminimis_non_negative")
        ),
        sa.CheckConstraint(
            "requested_amount_cents >= 0", name=op.f("ck_applications_requested_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["funds.id"], name=op.f("fk_applications_fund_id_funds")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name=op.f("fk_applications_operator_id_operators")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_applications_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_applications_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_applications_territory_id_territories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index(
        "ix_applications_created_at_id", "applications", ["created_at", "id"], unique=False
    )
    op.create_index(op.f("ix_applications_fund_id"), "applications", ["fund_id"], unique=False)
    op.create_index(
        op.f("ix_applications_operator_id"), "applications", ["operator_id"], unique=False
    )
    op.create_index(
        op.f("ix_applications_project_id"), "applications", ["project_id"], unique=False
    )
    op.create_index(
        op.f("ix_applications_region_code"), "applications", ["region_code"], unique=False
    )
    op.create_index(op.f("ix_applications_status"), "applications", ["status"], unique=False)
    op.create_index(
        op.f("ix_applications_territory_id"), "applications", ["territory_id"], unique=False
    )
    op.create_index(
        "ix_applications_updated_at_id", "applications", ["updated_at", "id"], unique=False
    )
    op.create_index(
        "uq_applications_open_per_project_fund",
        "applications",
        ["project_id", "fund_id"],
        unique=True,
        postgresql_where=sa.text(
            "status NOT IN ('closed', 'expired', 'ineligible', 'rejected', 'withdrawn')"
        ),
    )
    op.add_column(
        "funds",
        sa.Column("question_schema", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("funds", "question_schema")
    op.drop_index(
        "uq_applications_open_per_project_fund",
        table_name="applications",
        postgresql_where=sa.text(
            "status NOT IN ('closed', 'expired', 'ineligible', 'rejected', 'withdrawn')"
        ),
    )
    op.drop_index("ix_applications_updated_at_id", table_name="applications")
    op.drop_index(op.f("ix_applications_territory_id"), table_name="applications")
    op.drop_index(op.f("ix_applications_status"), table_name="applications")
    op.drop_index(op.f("ix_applications_region_code"), table_name="applications")
    op.drop_index(op.f("ix_applications_project_id"), table_name="applications")
    op.drop_index(op.f("ix_applications_operator_id"), table_name="applications")
    op.drop_index(op.f("ix_applications_fund_id"), table_name="applications")
    op.drop_index("ix_applications_created_at_id", table_name="applications")
    op.drop_table("applications")
    op.drop_index("ix_projects_updated_at_id", table_name="projects")
    op.drop_index(op.f("ix_projects_territory_id"), table_name="projects")
    op.drop_index(op.f("ix_projects_status"), table_name="projects")
    op.drop_index(op.f("ix_projects_site_region_code"), table_name="projects")
    op.drop_index(op.f("ix_projects_holder_siren"), table_name="projects")
    op.drop_index("ix_projects_created_at_id", table_name="projects")
    op.drop_table("projects")
    op.drop_index(op.f("ix_idempotency_records_expires_at"), table_name="idempotency_records")
    op.drop_table("idempotency_records")
    op.drop_index(
        "ix_events_undispatched", table_name="events", postgresql_where="dispatched_at IS NULL"
    )
    op.drop_index(op.f("ix_events_type"), table_name="events")
    op.drop_index(op.f("ix_events_territory_id"), table_name="events")
    op.drop_index("ix_events_subject", table_name="events")
    op.drop_index(op.f("ix_events_operator_id"), table_name="events")
    op.drop_index(op.f("ix_events_fund_id"), table_name="events")
    op.drop_table("events")
    for enum in (
        "application_status",
        "territory_opinion",
        "project_status",
        "project_nature",
        "project_priority",
    ):
        sa.Enum(name=enum).drop(op.get_bind(), checkfirst=True)
