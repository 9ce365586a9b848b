"""What the statistics read: one narrow row per submitted application
(`ApplicationStatistics`), and, on the tables of the domains they aggregate (declared here
so that the model registry, and `alembic check`, know them), the columns the database
computes from an application's snapshot and decision.

The rows are kept by the database itself, in the transaction that changes what they copy
(triggers of migration 0017, set-based on each statement's changed rows): an application's
insert or update, its project's status, its zoning facts. Reading one narrow table, with no
join, is what lets a statistic of the whole programme aggregate 100,000 applications in a
fraction of the time the wide rows and their joins took.
"""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Computed,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.applications.enums import ApplicationStatus
from shared.applications.models import Application
from shared.db.base import Base, pg_enum
from shared.projects.enums import ProjectStatus

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

SITE_COMMUNE = Index(
    "ix_applications_site_commune",
    # As PostgreSQL writes the expression back, so that `alembic check` finds it unchanged.
    text("((project_snapshot -> 'site'::text) ->> 'commune_insee'::text)"),
)
_APPLICATIONS.append_constraint(SITE_COMMUNE)
"""Applications by their site's commune (as submitted)."""


class ApplicationStatistics(Base):
    """A submitted application as the statistics read it: its keys and status, its project's
    status, its amounts and planned figures, its last decision, and its site's zoning facts
    for this submission (None until stored: the statistics then look them up)."""

    __tablename__ = "application_statistics"
    __table_args__ = (
        Index("ix_application_statistics_submitted_at", "submitted_at"),
        Index(
            "ix_application_statistics_shared",
            "project_id",
            postgresql_where=text("project_shared"),
        ),
        Index(
            "ix_application_statistics_without_facts",
            "application_id",
            postgresql_where=text("vintage_set_id IS NULL"),
        ),
    )

    # In the order of the table (migration 0017): the columns the aggregates read first,
    # those of fixed width before those of variable width, so that PostgreSQL reaches
    # them in each row without walking the others (a third less time per scan, measured).
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[uuid.UUID] = mapped_column(index=True)
    submitted_at: Mapped[datetime]
    submitted_month: Mapped[date]
    """The first day of the submission's month (UTC): the monthly series' key."""
    status: Mapped[ApplicationStatus] = mapped_column(
        pg_enum(ApplicationStatus, "application_status")
    )
    project_status: Mapped[ProjectStatus] = mapped_column(pg_enum(ProjectStatus, "project_status"))
    project_shared: Mapped[bool]
    """The project has other applications (of any status): its figures need the latest of
    those counted. False: this application is its project's only one, counted as is."""
    fund_id: Mapped[uuid.UUID]
    operator_id: Mapped[uuid.UUID]
    fragile: Mapped[bool | None]
    extension: Mapped[bool | None]
    undetermined: Mapped[bool | None]
    planned_relocation: Mapped[bool | None]
    vintage_set_id: Mapped[int | None]
    """With `fragile`, `extension`, `undetermined` and `department_code`: the zoning facts of
    this submission (`shared.zonings.facts`); None: not stored yet."""
    requested_amount_cents: Mapped[int | None]
    planned_jobs_created: Mapped[int | None]
    planned_jobs_maintained: Mapped[int | None]
    planned_investment_cents: Mapped[int | None]
    decided_at: Mapped[datetime | None]
    territory_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    decision_kind: Mapped[str | None] = mapped_column(Text)
    region_code: Mapped[str | None] = mapped_column(String(3), index=True)
    department_code: Mapped[str | None] = mapped_column(String(3))
    nature: Mapped[str | None] = mapped_column(Text)
    site_commune_insee: Mapped[str | None] = mapped_column(Text)
    priorities: Mapped[Any] = mapped_column(JSONB, nullable=True)
