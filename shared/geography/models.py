"""Reference geography, keyed by its official codes (INSEE, SIREN)."""

from sqlalchemy import Double, ForeignKey, String
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class Region(Base):
    """A region or overseas collectivity (INSEE code)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    zone: Mapped[str] = mapped_column(String(10))
    chief_town_insee: Mapped[str | None] = mapped_column(String(5))


class Department(Base):
    """A department (INSEE code), in one region."""

    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    zone: Mapped[str] = mapped_column(String(10))
    chief_town_insee: Mapped[str | None] = mapped_column(String(5))


class Epci(Base):
    """An intercommunality (EPCI à fiscalité propre), identified by its SIREN."""

    __tablename__ = "epcis"

    siren: Mapped[str] = mapped_column(String(9), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    population: Mapped[int | None]
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    member_count: Mapped[int | None]


class Commune(Base):
    """A commune (INSEE code) and the EPCI it belongs to."""

    __tablename__ = "communes"
    insee_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    epci_siren: Mapped[str | None] = mapped_column(ForeignKey("epcis.siren"), index=True)
    siren: Mapped[str | None] = mapped_column(String(9))
    population: Mapped[int | None]
    postal_codes: Mapped[list[str]] = mapped_column(ARRAY(String(5)), default=list)
    latitude: Mapped[float | None] = mapped_column(Double)
    longitude: Mapped[float | None] = mapped_column(Double)
    """The commune's centre (WGS 84), when the reference data carries it."""
