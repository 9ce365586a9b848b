"""What the statistics read through, on tables of the domains they aggregate (declared here
so that the model registry, and `alembic check`, know them): the columns the database
computes from an application's snapshot and decision, and the indexes."""

from sqlalchemy import BigInteger, Boolean, Column, Computed, Index, Table, Text, text

from shared.applications.models import Application
from shared.projects.models import Project

_APPLICATIONS: Table = Application.__table__  # type: ignore[assignment]


def _computed(name: str, type_: type[BigInteger | Boolean | Text], expression: str) -> Column:  # type: ignore[type-arg]
    return Column(name, type_, Computed(expression, persisted=True))


def _planned(name: str, key: str) -> Column:  # type: ignore[type-arg]
    return _computed(name, BigInteger, f"((project_snapshot ->> '{key}'::text))::bigint")


PLANNED = (
    _planned("planned_jobs_created", "jobs_created"),
    _planned("planned_jobs_maintained", "jobs_maintained"),
    _planned("planned_investment_cents", "investment_total_cents"),
    _computed(
        "planned_relocation",
        Boolean,
        "(((project_snapshot -> 'relocation'::text) ->> 'flag'::text) = 'true'::text)",
    ),
)
"""The planned figures of the snapshot (jobs, investment, relocation) as typed columns the
database computes whenever the snapshot is written (at submission; backfilled by the
migration that added them): the statistics sum them without reading the JSON."""
SITE = _computed(
    "site_commune_insee", Text, "((project_snapshot -> 'site'::text) ->> 'commune_insee'::text)"
)
"""The site's commune, as submitted."""
DECIDED = (
    _computed("decision_kind", Text, "(decision ->> 'kind'::text)"),
    _computed("decision_at", Text, "(decision ->> 'decided_at'::text)"),
)
"""The last decision's kind and instant (ISO 8601 text: its cast to a timestamp is not
immutable, so the statistics cast it when they read it)."""
for _column in (*PLANNED, SITE, *DECIDED):
    # Not mapped on `Application`: the ORM neither writes nor reads them.
    _APPLICATIONS.append_column(_column)

SUBMITTED_AT = Index(
    "ix_applications_submitted_at",
    Application.submitted_at,
    postgresql_where=Application.submitted_at.is_not(None),
    postgresql_include=[
        "id",
        "project_id",
        "territory_id",
        "region_code",
        "operator_id",
        "fund_id",
        "status",
        "requested_amount_cents",
        *(column.name for column in (*PLANNED, SITE, *DECIDED)),
    ],
)
"""The applications counted (submitted), by submission instant, with every column the
statistics read: an index-only scan (the period filter, the monthly series)."""

SITE_COMMUNE = Index(
    "ix_applications_site_commune",
    # As PostgreSQL writes the expression back, so that `alembic check` finds it unchanged.
    text("((project_snapshot -> 'site'::text) ->> 'commune_insee'::text)"),
)
_APPLICATIONS.append_constraint(SITE_COMMUNE)
"""Applications by their site's commune (as submitted)."""

PROJECT_STATUS = Index("ix_projects_id_status", Project.id, postgresql_include=["status"])
"""Each project's status, read without the project rows (the statistics count projects by
status)."""
