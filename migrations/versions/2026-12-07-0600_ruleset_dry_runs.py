"""Ruleset dry-runs as resources: a draft evaluated in the background, its running figures
and its report, purged once expired.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ruleset_dry_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("ruleset_version_id", sa.Uuid(), nullable=False),
        sa.Column("baseline_version_id", sa.Uuid(), nullable=True),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", sa.Enum("running", "completed", name="dry_run_state"), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("evaluated", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("cursor", sa.Uuid(), nullable=True),
        sa.Column("tally", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_key_id", sa.Uuid(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
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
        sa.ForeignKeyConstraint(["fund_id"], ["funds.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["ruleset_version_id"], ["ruleset_versions.id"], ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["baseline_version_id"], ["ruleset_versions.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ruleset_dry_runs_expires_at", "ruleset_dry_runs", ["expires_at"])
    op.create_index(
        "ix_ruleset_dry_runs_ruleset_version_id", "ruleset_dry_runs", ["ruleset_version_id"]
    )


def downgrade() -> None:
    op.drop_table("ruleset_dry_runs")
    sa.Enum(name="dry_run_state").drop(op.get_bind())
