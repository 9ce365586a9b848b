"""The State-aid register, and an undeclared prior de minimis amount as unknown (NULL).

Existing applications keep the 0 they were stored with: whether it was declared or
defaulted cannot be told afterwards.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 04:04:14.385755
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "aid_register",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("siren", sa.String(length=9), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column(
            "regime",
            sa.Enum(
                "de_minimis_2023_2831",
                "gber_art17_sme",
                "gber_art14_afr_c",
                "gber_art14_afr_a",
                name="aid_regime",
            ),
            nullable=False,
        ),
        sa.Column("nominal_cents", sa.BigInteger(), nullable=False),
        sa.Column("gross_grant_equivalent_cents", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.Enum("tidi", "external", name="aid_source"), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=200), server_default="", nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by_key_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(source = 'tidi') = (application_id IS NOT NULL)",
            name=op.f("ck_aid_register_tidi_award"),
        ),
        sa.CheckConstraint(
            "gross_grant_equivalent_cents >= 0 AND gross_grant_equivalent_cents <= nominal_cents",
            name=op.f("ck_aid_register_gge_within_nominal"),
        ),
        sa.CheckConstraint("nominal_cents > 0", name=op.f("ck_aid_register_nominal_positive")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_aid_register_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aid_register")),
    )
    op.create_index(
        "ix_aid_register_siren_granted_on", "aid_register", ["siren", "granted_on"], unique=False
    )
    op.create_index(
        "uq_aid_register_application",
        "aid_register",
        ["application_id"],
        unique=True,
        postgresql_where=sa.text("application_id IS NOT NULL"),
    )
    op.alter_column(
        "applications", "prior_deminimis_cents", existing_type=sa.BIGINT(), nullable=True
    )


def downgrade() -> None:
    op.execute(
        "UPDATE applications SET prior_deminimis_cents = 0 WHERE prior_deminimis_cents IS NULL"
    )
    op.alter_column(
        "applications", "prior_deminimis_cents", existing_type=sa.BIGINT(), nullable=False
    )
    op.drop_index(
        "uq_aid_register_application",
        table_name="aid_register",
        postgresql_where=sa.text("application_id IS NOT NULL"),
    )
    op.drop_index("ix_aid_register_siren_granted_on", table_name="aid_register")
    op.drop_table("aid_register")
    sa.Enum(name="aid_source").drop(op.get_bind())
    sa.Enum(name="aid_regime").drop(op.get_bind())
