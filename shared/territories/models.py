"""A Territoire d'industrie, its intercommunalités and its contacts (binôme)."""

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.db.base import Base, Timestamps, UUIDPrimaryKey, Versioned, pg_enum


class ContactRole(StrEnum):
    """The role of a territory contact."""

    ELECTED_OFFICIAL = "elected_official"
    INDUSTRIALIST = "industrialist"
    PROJECT_LEAD = "project_lead"


class Territory(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """A Territoire d'industrie (one or more EPCIs forming an employment basin)."""

    __tablename__ = "territories"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")

    epcis: Mapped[list["TerritoryEpci"]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="TerritoryEpci.epci_siren",
    )
    contacts: Mapped[list["TerritoryContact"]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="TerritoryContact.role",
    )

    @property
    def epci_sirens(self) -> list[str]:
        """The SIRENs of the territory's EPCIs."""
        return [link.epci_siren for link in self.epcis]


class TerritoryEpci(Base):
    """Membership of an EPCI in a territory."""

    __tablename__ = "territory_epcis"

    territory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("territories.id", ondelete="CASCADE"), primary_key=True
    )
    epci_siren: Mapped[str] = mapped_column(ForeignKey("epcis.siren"), primary_key=True, index=True)


class TerritoryContact(UUIDPrimaryKey, Timestamps, Base):
    """A person who leads or runs the territory (personal data: minimum kept)."""

    __tablename__ = "territory_contacts"

    territory_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("territories.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[ContactRole] = mapped_column(pg_enum(ContactRole, "contact_role"))
    full_name: Mapped[str] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="", server_default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    legal_basis: Mapped[str] = mapped_column(
        String(100), default="public_task", server_default="public_task"
    )
    retain_until: Mapped[date | None]
