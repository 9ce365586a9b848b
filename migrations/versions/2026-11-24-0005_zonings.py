"""Zonings: dated memberships of communes and the coverage of each imported vintage.

`zoning_memberships` holds one row per commune and zoning over a period (`valid_to`
exclusive, NULL while in force); `zoning_coverages` says for which scope (all of France,
some departments, some communes) a vintage's list of one kind is complete, so a commune in
that scope without a row is outside the zoning, and elsewhere the kind stays unknown.
Communes are not foreign keys: an official list may name a commune the shipped geography
lacks; the importer checks them instead.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 00:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KIND = postgresql.ENUM(
    "TI",
    "QPV",
    "FRR",
    "FRR_PLUS",
    "AFR_A",
    "AFR_C",
    "ACV",
    "PVD",
    name="zoning_kind",
    create_type=False,
)
_SCOPE = postgresql.ENUM(
    "france", "departments", "communes", name="zoning_coverage_scope", create_type=False
)


def upgrade() -> None:
    _KIND.create(op.get_bind())
    _SCOPE.create(op.get_bind())
    op.create_table(
        "zoning_memberships",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", _KIND, nullable=False),
        sa.Column("code", sa.String(length=32), server_default="", nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("vintage", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from",
            name=op.f("ck_zoning_memberships_valid_period"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoning_memberships")),
        sa.UniqueConstraint(
            "vintage",
            "kind",
            "commune_insee",
            "code",
            "valid_from",
            name="uq_zoning_memberships_entry",
        ),
    )
    op.create_index(
        "ix_zoning_memberships_commune_insee_kind",
        "zoning_memberships",
        ["commune_insee", "kind"],
        unique=False,
    )
    op.create_table(
        "zoning_coverages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", _KIND, nullable=False),
        sa.Column("vintage", sa.String(length=64), nullable=False),
        sa.Column("scope", _SCOPE, nullable=False),
        sa.Column(
            "scope_codes",
            postgresql.ARRAY(sa.String(length=5)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "imported_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from",
            name=op.f("ck_zoning_coverages_valid_period"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoning_coverages")),
        sa.UniqueConstraint("vintage", "kind", name=op.f("uq_zoning_coverages_vintage_kind")),
    )


def downgrade() -> None:
    op.drop_table("zoning_coverages")
    op.drop_index("ix_zoning_memberships_commune_insee_kind", table_name="zoning_memberships")
    op.drop_table("zoning_memberships")
    _SCOPE.drop(op.get_bind())
    _KIND.drop(op.get_bind())
