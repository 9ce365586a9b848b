"""The State-aid register: every award tidi records, and aid granted elsewhere."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, UUIDPrimaryKey, pg_enum
from shared.stateaid.regimes import AidRegime


class AidSource(StrEnum):
    """Where the aid was granted: by an award recorded in tidi, or elsewhere (declared)."""

    TIDI = "tidi"
    EXTERNAL = "external"


class AidGrant(UUIDPrimaryKey, Base):
    """One aid granted to an undertaking (SIREN): its regime, nominal amount and gross grant
    equivalent (GGE, what the ceilings count)."""

    __tablename__ = "aid_register"
    __table_args__ = (
        CheckConstraint("nominal_cents > 0", name="nominal_positive"),
        CheckConstraint(
            "gross_grant_equivalent_cents >= 0 AND gross_grant_equivalent_cents <= nominal_cents",
            name="gge_within_nominal",
        ),
        CheckConstraint("(source = 'tidi') = (application_id IS NOT NULL)", name="tidi_award"),
        # The de minimis cumulation of an undertaking reads its grants by date.
        Index("ix_aid_register_siren_granted_on", "siren", "granted_on"),
        Index(
            "uq_aid_register_application",
            "application_id",
            unique=True,
            postgresql_where=text("application_id IS NOT NULL"),
        ),
    )

    siren: Mapped[str] = mapped_column(String(9))
    granted_on: Mapped[date]
    regime: Mapped[AidRegime] = mapped_column(pg_enum(AidRegime, "aid_regime"))
    nominal_cents: Mapped[int]
    gross_grant_equivalent_cents: Mapped[int]
    source: Mapped[AidSource] = mapped_column(pg_enum(AidSource, "aid_source"))
    granted_by: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(String(200), default="", server_default="")
    application_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("applications.id"))
    recorded_by_key_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
