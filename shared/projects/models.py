"""An industrial project registered by (or for) a Territoire d'industrie."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.classification import Priority, ProjectNature
from shared.db.base import Base, Timestamps, UUIDPrimaryKey, Versioned, pg_enum
from shared.projects.enums import ProjectStatus


class Project(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """A project; holder, site, relocation and contacts are JSON validated by the schemas."""

    __tablename__ = "projects"
    __table_args__ = (
        CheckConstraint("investment_total_cents >= 0", name="investment_non_negative"),
        CheckConstraint("jobs_created >= 0 AND jobs_maintained >= 0", name="jobs_non_negative"),
        CheckConstraint(
            "planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start",
            name="dates_ordered",
        ),
        Index("ix_projects_created_at_id", "created_at", "id"),
        Index("ix_projects_updated_at_id", "updated_at", "id"),
    )

    territory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("territories.id"), index=True)
    status: Mapped[ProjectStatus] = mapped_column(
        pg_enum(ProjectStatus, "project_status"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    nature: Mapped[ProjectNature] = mapped_column(pg_enum(ProjectNature, "project_nature"))
    priorities: Mapped[list[Priority]] = mapped_column(
        ARRAY(pg_enum(Priority, "project_priority")), default=list
    )
    holder: Mapped[dict[str, Any]] = mapped_column(JSONB)
    holder_siren: Mapped[str] = mapped_column(String(9), index=True)
    site: Mapped[dict[str, Any]] = mapped_column(JSONB)
    site_region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    investment_total_cents: Mapped[int]
    planned_start: Mapped[date | None]
    planned_end: Mapped[date | None]
    jobs_created: Mapped[int] = mapped_column(default=0)
    jobs_maintained: Mapped[int] = mapped_column(default=0)
    relocation: Mapped[dict[str, Any]] = mapped_column(JSONB)
    is_collective: Mapped[bool] = mapped_column(default=False)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    submitted_at: Mapped[datetime | None]
    created_by_key_id: Mapped[uuid.UUID | None]
