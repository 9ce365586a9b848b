"""Ruleset versions of each fund and the assessments the rules engine produces.

A ruleset version holds the ruleset's JSON definition; once published it is immutable, and
a trigger rejects any UPDATE of a published row. Assessments are never updated either (a
second trigger rejects every UPDATE), and one submission is assessed once per ruleset
version: UNIQUE (application_id, ruleset_version_id, submission_no). Points are NUMERIC.
Deleting a fund that was never assessed removes its ruleset versions with it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 22:48:50.000924
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REFUSE_UPDATE = """
CREATE FUNCTION tidi_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% row % is immutable', TG_TABLE_NAME, OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$
"""


def upgrade() -> None:
    op.create_table(
        "ruleset_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Enum("draft", "published", name="ruleset_status"), nullable=False),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["fund_id"],
            ["funds.id"],
            name=op.f("fk_ruleset_versions_fund_id_funds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ruleset_versions")),
        sa.UniqueConstraint("fund_id", "version", name=op.f("uq_ruleset_versions_fund_id_version")),
    )
    op.create_index(
        op.f("ix_ruleset_versions_fund_id"), "ruleset_versions", ["fund_id"], unique=False
    )
    op.create_table(
        "assessments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("ruleset_version_id", sa.Uuid(), nullable=False),
        sa.Column("submission_no", sa.BigInteger(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum("eligible", "ineligible", "undetermined", name="assessment_outcome"),
            nullable=False,
        ),
        sa.Column("total_points", sa.Numeric(precision=9, scale=2), nullable=False),
        sa.Column("max_points", sa.BigInteger(), nullable=False),
        sa.Column("results", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("missing_inputs", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_assessments_application_id_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["ruleset_version_id"],
            ["ruleset_versions.id"],
            name=op.f("fk_assessments_ruleset_version_id_ruleset_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessments")),
        sa.UniqueConstraint(
            "application_id",
            "ruleset_version_id",
            "submission_no",
            name=op.f("uq_assessments_application_id_ruleset_version_id_submission_no"),
        ),
    )
    op.create_index(
        "ix_assessments_application_id_created_at",
        "assessments",
        ["application_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_assessments_ruleset_version_id"),
        "assessments",
        ["ruleset_version_id"],
        unique=False,
    )
    op.execute(_REFUSE_UPDATE)
    op.execute(
        "CREATE TRIGGER ruleset_versions_published_immutable BEFORE UPDATE ON ruleset_versions "
        "FOR EACH ROW WHEN (OLD.status = 'published') EXECUTE FUNCTION tidi_refuse_update()"
    )
    op.execute(
        "CREATE TRIGGER assessments_immutable BEFORE UPDATE ON assessments "
        "FOR EACH ROW EXECUTE FUNCTION tidi_refuse_update()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS assessments_immutable ON assessments")
    op.execute("DROP TRIGGER IF EXISTS ruleset_versions_published_immutable ON ruleset_versions")
    op.execute("DROP FUNCTION IF EXISTS tidi_refuse_update()")
    op.drop_index(op.f("ix_assessments_ruleset_version_id"), table_name="assessments")
    op.drop_index("ix_assessments_application_id_created_at", table_name="assessments")
    op.drop_table("assessments")
    op.drop_index(op.f("ix_ruleset_versions_fund_id"), table_name="ruleset_versions")
    op.drop_table("ruleset_versions")
    for enum in ("assessment_outcome", "ruleset_status"):
        sa.Enum(name=enum).drop(op.get_bind(), checkfirst=True)
