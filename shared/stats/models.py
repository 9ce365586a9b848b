"""Indexes the statistics read through, on tables of the domains they aggregate (declared
here so that the model registry, and `alembic check`, know them)."""

from sqlalchemy import Index, Table, text

from shared.applications.models import Application

SUBMITTED_AT = Index(
    "ix_applications_submitted_at",
    Application.submitted_at,
    postgresql_where=Application.submitted_at.is_not(None),
)
"""Applications by submission instant: the period filter and the monthly series."""

SITE_COMMUNE = Index(
    "ix_applications_site_commune",
    # As PostgreSQL writes the expression back, so that `alembic check` finds it unchanged.
    text("((project_snapshot -> 'site'::text) ->> 'commune_insee'::text)"),
)
_APPLICATIONS: Table = Application.__table__  # type: ignore[assignment]
_APPLICATIONS.append_constraint(SITE_COMMUNE)
"""Applications by their site's commune (as submitted): the department filter, through the
communes of the department."""
