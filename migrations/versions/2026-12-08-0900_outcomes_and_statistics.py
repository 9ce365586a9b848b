"""Outcome reports of funded applications, and the indexes programme statistics read
through (submission instant, site commune).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("reported_on", sa.Date(), nullable=False),
        sa.Column("jobs_created", sa.BigInteger(), nullable=False),
        sa.Column("jobs_maintained", sa.BigInteger(), nullable=False),
        sa.Column("investment_cents", sa.BigInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reported_by_role", sa.String(length=20), nullable=False),
        sa.Column("reported_by_key_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "jobs_created >= 0 AND jobs_maintained >= 0", name=op.f("ck_outcomes_jobs_non_negative")
        ),
        sa.CheckConstraint(
            "investment_cents >= 0", name=op.f("ck_outcomes_investment_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_outcomes_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcomes")),
    )
    op.create_index(
        "ix_outcomes_application_reported",
        "outcomes",
        ["application_id", "reported_on", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_applications_submitted_at",
        "applications",
        ["submitted_at"],
        unique=False,
        postgresql_where=sa.text("submitted_at IS NOT NULL"),
    )
    op.create_index(
        "ix_applications_site_commune",
        "applications",
        [sa.text("((project_snapshot -> 'site') ->> 'commune_insee')")],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_applications_site_commune", table_name="applications")
    op.drop_index("ix_applications_submitted_at", table_name="applications")
    op.drop_index("ix_outcomes_application_reported", table_name="outcomes")
    op.drop_table("outcomes")
