"""Dated zoning memberships per commune, and the coverage of each imported vintage.

A membership row says a commune is in a zoning from `valid_from` to `valid_to` (exclusive;
NULL: still in force). A coverage row says a vintage's list of one kind is complete for a
scope (all of France, some departments, or some communes) over a period: a commune inside a
covered scope with no membership row is outside that zoning; outside every covered scope,
the kind is unknown.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Identity,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, UUIDPrimaryKey, pg_enum
from shared.zonings.kinds import ZoningKind


class CoverageScope(StrEnum):
    """Where a vintage's list of one kind is complete."""

    FRANCE = "france"
    DEPARTMENTS = "departments"
    COMMUNES = "communes"


class ZoningMembership(UUIDPrimaryKey, Base):
    """A commune in a zoning (`code`: the zone's own code, e.g. a QPV code) over a period."""

    __tablename__ = "zoning_memberships"
    __table_args__ = (
        UniqueConstraint(
            "vintage",
            "kind",
            "commune_insee",
            "code",
            "valid_from",
            name="uq_zoning_memberships_entry",
        ),
        Index("ix_zoning_memberships_commune_insee_kind", "commune_insee", "kind"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_period"),
    )

    kind: Mapped[ZoningKind] = mapped_column(pg_enum(ZoningKind, "zoning_kind"))
    code: Mapped[str] = mapped_column(String(32), default="", server_default="")
    commune_insee: Mapped[str] = mapped_column(String(5))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    vintage: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ZoningCoverage(UUIDPrimaryKey, Base):
    """The list of one kind in one vintage is complete for this scope over this period."""

    __tablename__ = "zoning_coverages"
    __table_args__ = (
        UniqueConstraint("vintage", "kind"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="valid_period"),
    )

    kind: Mapped[ZoningKind] = mapped_column(pg_enum(ZoningKind, "zoning_kind"))
    vintage: Mapped[str] = mapped_column(String(64))
    scope: Mapped[CoverageScope] = mapped_column(pg_enum(CoverageScope, "zoning_coverage_scope"))
    scope_codes: Mapped[list[str]] = mapped_column(
        ARRAY(String(5)), default=list, server_default="{}"
    )
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    source: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ZoningVintageSet(Base):
    """A set of zoning lists read for a site, [kind, vintage] pairs by kind then vintage,
    stored once: the facts of every site that read the same lists point at it."""

    __tablename__ = "zoning_vintage_sets"

    id: Mapped[int] = mapped_column(Identity(), primary_key=True)
    vintages: Mapped[list[Any]] = mapped_column(JSONB, unique=True)


class ApplicationZoningFacts(Base):
    """What the zoning tables say of a submitted application's site on its submission day
    (`shared.zonings.facts`): written when it is scored and when a list is imported, read
    by the statistics instead of looking the zonings up per application."""

    __tablename__ = "application_zoning_facts"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True
    )
    submitted_at: Mapped[datetime]
    """The submission the facts are of (a later one makes them stale)."""
    department_code: Mapped[str | None] = mapped_column(String(3))
    """The department of the site's commune; None: not a commune of the reference."""
    fragile: Mapped[bool]
    extension: Mapped[bool]
    undetermined: Mapped[bool]
    """Not shown fragile, and some fragile kind has no list covering the site."""
    vintage_set_id: Mapped[int] = mapped_column(ForeignKey("zoning_vintage_sets.id"))
    """The lists read (`ZoningVintageSet`): the memberships found and the coverages held."""
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now())
