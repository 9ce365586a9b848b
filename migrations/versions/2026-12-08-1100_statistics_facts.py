"""Facts programme statistics read per application: the snapshot's planned figures and the
last decision as columns the database computes, in an index the statistics scan alone;
each project's status in an index; and what the zonings said of the site on the submission
day (`application_zoning_facts`), backfilled here.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PLANNED = (
    ("planned_jobs_created", "jobs_created"),
    ("planned_jobs_maintained", "jobs_maintained"),
    ("planned_investment_cents", "investment_total_cents"),
)
_RELOCATION = "(((project_snapshot -> 'relocation'::text) ->> 'flag'::text) = 'true'::text)"
_TEXTS = (
    ("site_commune_insee", "((project_snapshot -> 'site'::text) ->> 'commune_insee'::text)"),
    ("decision_kind", "(decision ->> 'kind'::text)"),
    ("decision_at", "(decision ->> 'decided_at'::text)"),
)
_STATS_COLUMNS = [
    "id",
    "project_id",
    "territory_id",
    "region_code",
    "operator_id",
    "fund_id",
    "status",
    "requested_amount_cents",
    "planned_jobs_created",
    "planned_jobs_maintained",
    "planned_investment_cents",
    "planned_relocation",
    "site_commune_insee",
    "decision_kind",
    "decision_at",
]
# What shared.zonings.facts.refresh stores, for every submitted application.
_BACKFILL = """
WITH computed AS (
SELECT
    a.id,
    a.submitted_at,
    c.department_code,
    f.fragile,
    f.extension,
    NOT f.fragile AND (
        c.department_code IS NULL
        OR (
            SELECT count(DISTINCT z.kind) FROM zoning_coverages AS z
            WHERE z.kind IN ('FRR', 'FRR_PLUS', 'QPV', 'ACV')
              AND z.valid_from <= s.day AND (z.valid_to IS NULL OR z.valid_to > s.day)
              AND (z.scope = 'france'
                   OR (z.scope = 'departments' AND c.department_code = ANY (z.scope_codes))
                   OR (z.scope = 'communes' AND s.commune = ANY (z.scope_codes)))
        ) < 4
    ) AS undetermined,
    (
        SELECT coalesce(
            jsonb_agg(jsonb_build_array(found.kind, found.vintage) ORDER BY found.kind, found.vintage),
            jsonb_build_array()
        )
        FROM (
            SELECT m.kind, m.vintage FROM zoning_memberships AS m
            WHERE m.commune_insee = s.commune AND m.kind IN ('FRR', 'FRR_PLUS', 'QPV', 'ACV', 'PVD') AND m.valid_from <= s.day AND (m.valid_to IS NULL OR m.valid_to > s.day)
            UNION
            SELECT z.kind, z.vintage FROM zoning_coverages AS z
            WHERE c.department_code IS NOT NULL AND z.kind IN ('FRR', 'FRR_PLUS', 'QPV', 'ACV', 'PVD')
              AND z.valid_from <= s.day AND (z.valid_to IS NULL OR z.valid_to > s.day)
              AND (z.scope = 'france'
                   OR (z.scope = 'departments' AND c.department_code = ANY (z.scope_codes))
                   OR (z.scope = 'communes' AND s.commune = ANY (z.scope_codes)))
        ) AS found
    ) AS vintages
FROM applications AS a
CROSS JOIN LATERAL (
    SELECT
        (a.project_snapshot -> 'site') ->> 'commune_insee' AS commune,
        (timezone('UTC', a.submitted_at))::date AS day
) AS s
LEFT JOIN communes AS c ON c.insee_code = s.commune
CROSS JOIN LATERAL (
    SELECT
        EXISTS (
            SELECT 1 FROM zoning_memberships AS m
            WHERE m.commune_insee = s.commune
              AND m.kind IN ('FRR', 'FRR_PLUS', 'QPV', 'ACV') AND m.valid_from <= s.day AND (m.valid_to IS NULL OR m.valid_to > s.day)
        ) AS fragile,
        EXISTS (
            SELECT 1 FROM zoning_memberships AS m
            WHERE m.commune_insee = s.commune AND m.kind = 'PVD' AND m.valid_from <= s.day AND (m.valid_to IS NULL OR m.valid_to > s.day)
        ) AS extension
) AS f
WHERE a.submitted_at IS NOT NULL
),
sets AS (
    INSERT INTO zoning_vintage_sets (vintages) SELECT DISTINCT vintages FROM computed
    RETURNING id, vintages
)
INSERT INTO application_zoning_facts
    (application_id, submitted_at, department_code, fragile, extension, undetermined,
     vintage_set_id)
SELECT c.id, c.submitted_at, c.department_code, c.fragile, c.extension, c.undetermined, s.id
FROM computed AS c JOIN sets AS s ON s.vintages = c.vintages
"""


def upgrade() -> None:
    for column, key in _PLANNED:
        expression = f"((project_snapshot ->> '{key}'::text))::bigint"
        op.add_column(
            "applications",
            sa.Column(column, sa.BigInteger(), sa.Computed(expression, persisted=True)),
        )
    op.add_column(
        "applications",
        sa.Column("planned_relocation", sa.Boolean(), sa.Computed(_RELOCATION, persisted=True)),
    )
    for column, expression in _TEXTS:
        op.add_column(
            "applications", sa.Column(column, sa.Text(), sa.Computed(expression, persisted=True))
        )
    _submitted_at_index(include=_STATS_COLUMNS)
    op.create_index(
        "ix_projects_id_status", "projects", ["id"], unique=False, postgresql_include=["status"]
    )
    op.create_table(
        "zoning_vintage_sets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("vintages", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zoning_vintage_sets")),
        sa.UniqueConstraint("vintages", name=op.f("uq_zoning_vintage_sets_vintages")),
    )
    op.create_table(
        "application_zoning_facts",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department_code", sa.String(length=3), nullable=True),
        sa.Column("fragile", sa.Boolean(), nullable=False),
        sa.Column("extension", sa.Boolean(), nullable=False),
        sa.Column("undetermined", sa.Boolean(), nullable=False),
        sa.Column("vintage_set_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_zoning_facts_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vintage_set_id"],
            ["zoning_vintage_sets.id"],
            name=op.f("fk_application_zoning_facts_vintage_set_id_zoning_vintage_sets"),
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_application_zoning_facts")),
    )
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.drop_table("application_zoning_facts")
    op.drop_table("zoning_vintage_sets")
    op.drop_index("ix_projects_id_status", table_name="projects")
    _submitted_at_index(include=[])
    computed = ("planned_relocation", *(c for c, _ in (*_PLANNED, *_TEXTS)))
    for column in computed:
        op.drop_column("applications", column)


def _submitted_at_index(include: list[str]) -> None:
    """ix_applications_submitted_at again, with these columns included."""
    where = sa.text("submitted_at IS NOT NULL")
    op.drop_index("ix_applications_submitted_at", table_name="applications", postgresql_where=where)
    op.create_index(
        "ix_applications_submitted_at",
        "applications",
        ["submitted_at"],
        unique=False,
        postgresql_where=where,
        postgresql_include=include,
    )
