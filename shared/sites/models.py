"""A site clé en main: an industrial site ready for investors, in one commune."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Double, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from shared.db.base import Base, Timestamps, UUIDPrimaryKey, Versioned, pg_enum
from shared.sites.enums import LandControl, SiteStatus


class Site(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """A site proposed by a territory; procedures and services are JSON validated by the
    schemas; department and region are its commune's, kept for the search filters."""

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint("area_ha > 0", name="area_positive"),
        CheckConstraint(
            "(latitude IS NULL) = (longitude IS NULL)"
            " AND (latitude IS NULL OR latitude BETWEEN -90 AND 90)"
            " AND (longitude IS NULL OR longitude BETWEEN -180 AND 180)",
            name="coordinates_valid",
        ),
        CheckConstraint(
            "(status = 'labelled') = (label_vintage IS NOT NULL)",
            name="label_vintage_when_labelled",
        ),
        Index("ix_sites_created_at_id", "created_at", "id"),
        Index("ix_sites_updated_at_id", "updated_at", "id"),
        # The distance search's bounding box: a latitude range, then longitudes within it.
        Index(
            "ix_sites_latitude_longitude",
            "latitude",
            "longitude",
            postgresql_where="latitude IS NOT NULL",
        ),
    )

    territory_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("territories.id"), index=True)
    status: Mapped[SiteStatus] = mapped_column(pg_enum(SiteStatus, "site_status"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    commune_insee: Mapped[str] = mapped_column(
        String(5), ForeignKey("communes.insee_code"), index=True
    )
    department_code: Mapped[str] = mapped_column(
        String(3), ForeignKey("departments.code"), index=True
    )
    region_code: Mapped[str] = mapped_column(String(3), ForeignKey("regions.code"), index=True)
    area_ha: Mapped[float] = mapped_column(Numeric(10, 2, asdecimal=False))
    land_control: Mapped[LandControl] = mapped_column(pg_enum(LandControl, "site_land_control"))
    procedures: Mapped[dict[str, Any]] = mapped_column(JSONB)
    services: Mapped[dict[str, Any]] = mapped_column(JSONB)
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    label_vintage: Mapped[int | None] = mapped_column(Integer)
    labelled_at: Mapped[datetime | None]
    refusal_reason: Mapped[str | None] = mapped_column(Text)
    created_by_key_id: Mapped[uuid.UUID | None]

    distance_km: Mapped[float | None] = query_expression()
    """Set by the distance search only (kilometres from the searched point)."""
