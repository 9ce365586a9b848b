"""The statistics' own narrow table, one row per submitted application, kept by the
database: three statement-level triggers copy what the statistics read, set-based from each
statement's changed rows and in its transaction, when an application is inserted or updated,
when a project's status changes, and when an application's zoning facts are stored. The
covering index on `applications` the statistics scanned before is dropped (nothing else
reads it, and every application write paid for it), and so is the projects' status index.

PL/pgSQL keeps each trigger statement's plan (planning them at every write would cost the
write path more than the copy itself); PostgreSQL plans them again when ANALYZE (or
autovacuum's) updates a table's statistics. A bulk load writes many rows per statement
(`tidi demo generate` one statement per batch), never one statement per row: the triggers
then run once per batch.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-09 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPIED = (
    "project_id",
    "fund_id",
    "operator_id",
    "territory_id",
    "region_code",
    "status",
    "submitted_at",
    "requested_amount_cents",
    "planned_jobs_created",
    "planned_jobs_maintained",
    "planned_investment_cents",
    "planned_relocation",
    "site_commune_insee",
    "decision_kind",
)
"""Columns copied as the application row holds them."""
_FACTS = ("department_code", "fragile", "extension", "undetermined", "vintage_set_id")
_COLUMNS = (
    "application_id",
    *_COPIED,
    "decided_at",
    "submitted_month",
    "project_status",
    "project_shared",
    "nature",
    "priorities",
    *_FACTS,
)


def _rows(source: str) -> str:
    """The statistics rows of the submitted applications of `source` (an `applications`
    row set): their project's status, whether it has other applications, the snapshot's
    nature and priorities, the zoning facts of this submission (if stored)."""
    return f"""
    SELECT a.id, {", ".join(f"a.{name}" for name in _COPIED)},
        a.decision_at::timestamptz,
        date_trunc('month', timezone('UTC', a.submitted_at))::date,
        p.status,
        EXISTS (SELECT 1 FROM applications AS o WHERE o.project_id = a.project_id AND o.id <> a.id),
        a.project_snapshot ->> 'nature',
        a.project_snapshot -> 'priorities',
        {", ".join(f"f.{name}" for name in _FACTS)}
    FROM {source} AS a
    JOIN projects AS p ON p.id = a.project_id
    LEFT JOIN application_zoning_facts AS f
        ON f.application_id = a.id AND f.submitted_at = a.submitted_at
    WHERE a.submitted_at IS NOT NULL"""  # noqa: S608 (constant names only)


_UPSERT = f"""
    INSERT INTO application_statistics ({", ".join(_COLUMNS)})
    {_rows("changed")}
    ON CONFLICT (application_id) DO UPDATE SET
        {", ".join(f"{name} = EXCLUDED.{name}" for name in _COLUMNS[1:])}
    WHERE application_statistics IS DISTINCT FROM EXCLUDED
"""

_OF_SUBMISSION = "CASE WHEN c.submitted_at = s.submitted_at THEN c.{} END"
"""A stored fact, if of the submission counted."""

_FUNCTIONS = f"""
CREATE FUNCTION application_statistics_of_applications() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- A project's new application: its other ones are no longer its only one.
        UPDATE application_statistics AS s SET project_shared = true
        FROM changed AS c
        WHERE s.project_id = c.project_id AND s.application_id <> c.id
            AND NOT s.project_shared;
    ELSE
        DELETE FROM application_statistics AS s
        USING changed AS c
        WHERE s.application_id = c.id AND c.submitted_at IS NULL;
    END IF;
    {_UPSERT};
    RETURN NULL;
END
$$;


CREATE FUNCTION application_statistics_of_projects() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE application_statistics AS s SET project_status = c.status
    FROM changed AS c
    WHERE s.project_id = c.id AND s.project_status <> c.status;
    RETURN NULL;
END
$$;


CREATE FUNCTION application_statistics_of_facts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Facts of another submission than the counted one are not its facts: none then.
    UPDATE application_statistics AS s SET
        {", ".join(f"{name} = {_OF_SUBMISSION.format(name)}" for name in _FACTS)}
    FROM changed AS c
    WHERE s.application_id = c.application_id
        AND ({", ".join(f"s.{name}" for name in _FACTS)})
            IS DISTINCT FROM ({", ".join(_OF_SUBMISSION.format(name) for name in _FACTS)});
    RETURN NULL;
END
$$;
"""  # noqa: S608 (constant names only)

_TRIGGERS = (
    ("applications", "INSERT", "applications"),
    ("applications", "UPDATE", "applications"),
    ("projects", "UPDATE", "projects"),
    ("application_zoning_facts", "INSERT", "facts"),
    ("application_zoning_facts", "UPDATE", "facts"),
)
"""(table, event, function suffix): one trigger per event, each statement's changed rows
as the transition table `changed`."""


def upgrade() -> None:
    op.create_table(
        "application_statistics",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_month", sa.Date(), nullable=False),
        sa.Column(
            "status",
            postgresql.ENUM(name="application_status", create_type=False),
            nullable=False,
        ),
        sa.Column(
            "project_status",
            postgresql.ENUM(name="project_status", create_type=False),
            nullable=False,
        ),
        sa.Column("project_shared", sa.Boolean(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.Uuid(), nullable=False),
        sa.Column("fragile", sa.Boolean(), nullable=True),
        sa.Column("extension", sa.Boolean(), nullable=True),
        sa.Column("undetermined", sa.Boolean(), nullable=True),
        sa.Column("planned_relocation", sa.Boolean(), nullable=True),
        sa.Column("vintage_set_id", sa.BigInteger(), nullable=True),
        sa.Column("requested_amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("planned_jobs_created", sa.BigInteger(), nullable=True),
        sa.Column("planned_jobs_maintained", sa.BigInteger(), nullable=True),
        sa.Column("planned_investment_cents", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("territory_id", sa.Uuid(), nullable=True),
        sa.Column("decision_kind", sa.Text(), nullable=True),
        sa.Column("region_code", sa.String(length=3), nullable=True),
        sa.Column("department_code", sa.String(length=3), nullable=True),
        sa.Column("nature", sa.Text(), nullable=True),
        sa.Column("site_commune_insee", sa.Text(), nullable=True),
        sa.Column("priorities", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_statistics_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_application_statistics")),
    )
    for column in ("project_id", "territory_id", "region_code", "submitted_at"):
        op.create_index(
            op.f(f"ix_application_statistics_{column}"), "application_statistics", [column]
        )
    op.create_index(
        "ix_application_statistics_shared",
        "application_statistics",
        ["project_id"],
        postgresql_where=sa.text("project_shared"),
    )
    op.create_index(
        "ix_application_statistics_without_facts",
        "application_statistics",
        ["application_id"],
        postgresql_where=sa.text("vintage_set_id IS NULL"),
    )
    for function in _FUNCTIONS.split("\n\n\n"):
        op.execute(function)
    for table, event, function in _TRIGGERS:
        op.execute(
            f"CREATE TRIGGER application_statistics_{event.lower()} AFTER {event} ON {table}"
            " REFERENCING NEW TABLE AS changed FOR EACH STATEMENT"
            f" EXECUTE FUNCTION application_statistics_of_{function}()"
        )
    op.execute(
        f"INSERT INTO application_statistics ({', '.join(_COLUMNS)}) {_rows('applications')}"
    )
    op.execute("ANALYZE application_statistics")
    where = sa.text("submitted_at IS NOT NULL")
    op.drop_index("ix_applications_submitted_at", table_name="applications", postgresql_where=where)
    op.drop_index("ix_projects_id_status", table_name="projects")


def downgrade() -> None:
    op.create_index(
        "ix_projects_id_status", "projects", ["id"], unique=False, postgresql_include=["status"]
    )
    op.create_index(
        "ix_applications_submitted_at",
        "applications",
        ["submitted_at"],
        unique=False,
        postgresql_where=sa.text("submitted_at IS NOT NULL"),
        postgresql_include=["id", *_COPIED[:6], *_COPIED[7:], "decision_at"],
    )
    for table, event, _ in _TRIGGERS:
        op.execute(f"DROP TRIGGER application_statistics_{event.lower()} ON {table}")
    for function in ("applications", "projects", "facts"):
        op.execute(f"DROP FUNCTION application_statistics_of_{function}()")
    op.drop_table("application_statistics")
