"""Sites clés en main (industrial sites ready for investors), and the communes' centre
coordinates the distance search reads.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("communes", sa.Column("latitude", sa.Double(), nullable=True))
    op.add_column("communes", sa.Column("longitude", sa.Double(), nullable=True))
    op.create_table(
        "sites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "proposed", "labelled", "refused", name="site_status"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=False),
        sa.Column("department_code", sa.String(length=3), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=False),
        sa.Column("area_ha", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column(
            "land_control",
            sa.Enum("public", "private", "mixed", name="site_land_control"),
            nullable=False,
        ),
        sa.Column("procedures", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("services", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("label_vintage", sa.Integer(), nullable=True),
        sa.Column("labelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
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
        sa.CheckConstraint("area_ha > 0", name=op.f("ck_sites_area_positive")),
        sa.CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)"
            " AND (latitude IS NULL OR latitude BETWEEN -90 AND 90)"
            " AND (longitude IS NULL OR longitude BETWEEN -180 AND 180)",
            name=op.f("ck_sites_coordinates_valid"),
        ),
        sa.CheckConstraint(
            "(status = 'labelled') = (label_vintage IS NOT NULL)",
            name=op.f("ck_sites_label_vintage_when_labelled"),
        ),
        sa.ForeignKeyConstraint(
            ["commune_insee"],
            ["communes.insee_code"],
            name=op.f("fk_sites_commune_insee_communes"),
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_sites_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_sites_region_code_regions")
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territories.id"], name=op.f("fk_sites_territory_id_territories")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sites")),
    )
    op.create_index("ix_sites_created_at_id", "sites", ["created_at", "id"], unique=False)
    op.create_index("ix_sites_updated_at_id", "sites", ["updated_at", "id"], unique=False)
    op.create_index(op.f("ix_sites_territory_id"), "sites", ["territory_id"], unique=False)
    op.create_index(op.f("ix_sites_status"), "sites", ["status"], unique=False)
    op.create_index(op.f("ix_sites_commune_insee"), "sites", ["commune_insee"], unique=False)
    op.create_index(op.f("ix_sites_department_code"), "sites", ["department_code"], unique=False)
    op.create_index(op.f("ix_sites_region_code"), "sites", ["region_code"], unique=False)
    op.create_index(
        "ix_sites_latitude_longitude",
        "sites",
        ["latitude", "longitude"],
        unique=False,
        postgresql_where=sa.text("latitude IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_sites_latitude_longitude",
        table_name="sites",
        postgresql_where=sa.text("latitude IS NOT NULL"),
    )
    op.drop_index(op.f("ix_sites_region_code"), table_name="sites")
    op.drop_index(op.f("ix_sites_department_code"), table_name="sites")
    op.drop_index(op.f("ix_sites_commune_insee"), table_name="sites")
    op.drop_index(op.f("ix_sites_status"), table_name="sites")
    op.drop_index(op.f("ix_sites_territory_id"), table_name="sites")
    op.drop_index("ix_sites_updated_at_id", table_name="sites")
    op.drop_index("ix_sites_created_at_id", table_name="sites")
    op.drop_table("sites")
    sa.Enum(name="site_land_control").drop(op.get_bind())
    sa.Enum(name="site_status").drop(op.get_bind())
    op.drop_column("communes", "longitude")
    op.drop_column("communes", "latitude")
