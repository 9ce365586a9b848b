"""Create the reference geography, programme, API key and audit tables.

Geography (regions, departments, EPCIs, communes) is keyed by its official codes;
territories, operators and funds carry UUIDs, timestamps and a version (ETag).

Revision ID: 0001
Revises:
Create Date: 2026-11-23 21:23:43.465361
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("actor_key_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject_type", sa.String(length=50), nullable=False),
        sa.Column("subject_id", sa.String(length=100), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(
        "ix_audit_entries_occurred_at_id",
        "audit_entries",
        ["occurred_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_audit_entries_subject",
        "audit_entries",
        ["subject_type", "subject_id"],
        unique=False,
    )
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("zone", sa.String(length=10), nullable=False),
        sa.Column("chief_town_insee", sa.String(length=5), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=False),
        sa.Column("zone", sa.String(length=10), nullable=False),
        sa.Column("chief_town_insee", sa.String(length=5), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_departments_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_index(
        op.f("ix_departments_region_code"), "departments", ["region_code"], unique=False
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("national_operator", "state", "region", name="operator_kind"),
            nullable=False,
        ),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
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
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_operators_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operators")),
        sa.UniqueConstraint("code", name=op.f("uq_operators_code")),
    )
    op.create_table(
        "territories",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
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
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_territories_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territories")),
        sa.UniqueConstraint("code", name=op.f("uq_territories_code")),
    )
    op.create_index(op.f("ix_territories_name"), "territories", ["name"], unique=False)
    op.create_index(
        op.f("ix_territories_region_code"), "territories", ["region_code"], unique=False
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "territory", "operator", "observer", name="api_key_role"),
            nullable=False,
        ),
        sa.Column("territory_id", sa.Uuid(), nullable=True),
        sa.Column("operator_id", sa.Uuid(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
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
            "(role = 'operator') = (operator_id IS NOT NULL)",
            name=op.f("ck_api_keys_operator_binding"),
        ),
        sa.CheckConstraint(
            "(role = 'territory') = (territory_id IS NOT NULL)",
            name=op.f("ck_api_keys_territory_binding"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["api_keys.id"],
            name=op.f("fk_api_keys_created_by_id_api_keys"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_api_keys_operator_id_operators"),
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_api_keys_territory_id_territories"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    op.create_index(op.f("ix_api_keys_operator_id"), "api_keys", ["operator_id"], unique=False)
    op.create_index(op.f("ix_api_keys_territory_id"), "api_keys", ["territory_id"], unique=False)
    op.create_table(
        "epcis",
        sa.Column("siren", sa.String(length=9), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("population", sa.BigInteger(), nullable=True),
        sa.Column("department_code", sa.String(length=3), nullable=True),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("member_count", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_epcis_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["regions.code"], name=op.f("fk_epcis_region_code_regions")
        ),
        sa.PrimaryKeyConstraint("siren", name=op.f("pk_epcis")),
    )
    op.create_index(op.f("ix_epcis_department_code"), "epcis", ["department_code"], unique=False)
    op.create_index(op.f("ix_epcis_region_code"), "epcis", ["region_code"], unique=False)
    op.create_table(
        "funds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "kind",
            sa.Enum("aid_scheme", "call_for_projects", "label_catalogue", name="fund_kind"),
            nullable=False,
        ),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "open", "closed", "archived", name="fund_status"),
            nullable=False,
        ),
        sa.Column("envelope_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("regional_share_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("max_award_cents", sa.BigInteger(), nullable=True),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "aid_forms",
            postgresql.ARRAY(
                sa.Enum(
                    "subsidy",
                    "repayable_advance",
                    "loan",
                    "equity",
                    "engineering",
                    "label",
                    name="aid_form",
                )
            ),
            nullable=False,
        ),
        sa.Column(
            "regional_preselection",
            sa.Boolean(),
            server_default="false",
            nullable=False,
        ),
        sa.Column("source_url", sa.String(length=500), nullable=True),
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
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
            name=op.f("ck_funds_window_ordered"),
        ),
        sa.CheckConstraint("envelope_cents >= 0", name=op.f("ck_funds_envelope_non_negative")),
        sa.CheckConstraint(
            "regional_share_cents >= 0 AND regional_share_cents <= envelope_cents",
            name=op.f("ck_funds_regional_share_within_envelope"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_funds_operator_id_operators"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_funds")),
        sa.UniqueConstraint("code", name=op.f("uq_funds_code")),
    )
    op.create_index(op.f("ix_funds_operator_id"), "funds", ["operator_id"], unique=False)
    op.create_index(op.f("ix_funds_status"), "funds", ["status"], unique=False)
    op.create_table(
        "territory_contacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum("elected_official", "industrialist", "project_lead", name="contact_role"),
            nullable=False,
        ),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), server_default="", nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column(
            "legal_basis",
            sa.String(length=100),
            server_default="public_task",
            nullable=False,
        ),
        sa.Column("retain_until", sa.Date(), nullable=True),
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
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_territory_contacts_territory_id_territories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_territory_contacts")),
    )
    op.create_index(
        op.f("ix_territory_contacts_territory_id"),
        "territory_contacts",
        ["territory_id"],
        unique=False,
    )
    op.create_table(
        "communes",
        sa.Column("insee_code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=3), nullable=False),
        sa.Column("region_code", sa.String(length=3), nullable=False),
        sa.Column("epci_siren", sa.String(length=9), nullable=True),
        sa.Column("siren", sa.String(length=9), nullable=True),
        sa.Column("population", sa.BigInteger(), nullable=True),
        sa.Column("postal_codes", postgresql.ARRAY(sa.String(length=5)), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_communes_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["epci_siren"], ["epcis.siren"], name=op.f("fk_communes_epci_siren_epcis")
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
            name=op.f("fk_communes_region_code_regions"),
        ),
        sa.PrimaryKeyConstraint("insee_code", name=op.f("pk_communes")),
    )
    op.create_index(
        op.f("ix_communes_department_code"),
        "communes",
        ["department_code"],
        unique=False,
    )
    op.create_index(op.f("ix_communes_epci_siren"), "communes", ["epci_siren"], unique=False)
    op.create_index(op.f("ix_communes_region_code"), "communes", ["region_code"], unique=False)
    op.create_table(
        "territory_epcis",
        sa.Column("territory_id", sa.Uuid(), nullable=False),
        sa.Column("epci_siren", sa.String(length=9), nullable=False),
        sa.ForeignKeyConstraint(
            ["epci_siren"],
            ["epcis.siren"],
            name=op.f("fk_territory_epcis_epci_siren_epcis"),
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territories.id"],
            name=op.f("fk_territory_epcis_territory_id_territories"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("territory_id", "epci_siren", name=op.f("pk_territory_epcis")),
    )
    op.create_index(
        op.f("ix_territory_epcis_epci_siren"),
        "territory_epcis",
        ["epci_siren"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_territory_epcis_epci_siren"), table_name="territory_epcis")
    op.drop_table("territory_epcis")
    op.drop_index(op.f("ix_communes_region_code"), table_name="communes")
    op.drop_index(op.f("ix_communes_epci_siren"), table_name="communes")
    op.drop_index(op.f("ix_communes_department_code"), table_name="communes")
    op.drop_table("communes")
    op.drop_index(op.f("ix_territory_contacts_territory_id"), table_name="territory_contacts")
    op.drop_table("territory_contacts")
    op.drop_index(op.f("ix_funds_status"), table_name="funds")
    op.drop_index(op.f("ix_funds_operator_id"), table_name="funds")
    op.drop_table("funds")
    op.drop_index(op.f("ix_epcis_region_code"), table_name="epcis")
    op.drop_index(op.f("ix_epcis_department_code"), table_name="epcis")
    op.drop_table("epcis")
    op.drop_index(op.f("ix_api_keys_territory_id"), table_name="api_keys")
    op.drop_index(op.f("ix_api_keys_operator_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_index(op.f("ix_territories_region_code"), table_name="territories")
    op.drop_index(op.f("ix_territories_name"), table_name="territories")
    op.drop_table("territories")
    op.drop_table("operators")
    op.drop_index(op.f("ix_departments_region_code"), table_name="departments")
    op.drop_table("departments")
    op.drop_table("regions")
    op.drop_index("ix_audit_entries_subject", table_name="audit_entries")
    op.drop_index("ix_audit_entries_occurred_at_id", table_name="audit_entries")
    op.drop_table("audit_entries")
    for enum in (
        "aid_form",
        "fund_status",
        "fund_kind",
        "api_key_role",
        "operator_kind",
        "contact_role",
    ):
        sa.Enum(name=enum).drop(op.get_bind(), checkfirst=True)
