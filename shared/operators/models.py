"""A partner operator that instructs funds and receives notifications."""

from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, Timestamps, UUIDPrimaryKey, Versioned, pg_enum


class OperatorKind(StrEnum):
    """What kind of body the operator is."""

    NATIONAL_OPERATOR = "national_operator"
    STATE = "state"
    REGION = "region"


class Operator(UUIDPrimaryKey, Timestamps, Versioned, Base):
    """A partner operator (national operator, State service or Region)."""

    __tablename__ = "operators"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OperatorKind] = mapped_column(pg_enum(OperatorKind, "operator_kind"))
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
