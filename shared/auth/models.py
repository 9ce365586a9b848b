"""Bearer API keys: only a hash of the secret is stored."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base, Timestamps, UUIDPrimaryKey, pg_enum
from shared.principal import Role


class ApiKey(UUIDPrimaryKey, Timestamps, Base):
    """A bearer key (`tidi_…`); the secret is shown once and stored as SHA-256."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(
            "(role = 'territory') = (territory_id IS NOT NULL)",
            name="territory_binding",
        ),
        # Region keys are bound to their Region's operator too (its endpoints, its feed).
        CheckConstraint(
            "(role IN ('operator', 'region')) = (operator_id IS NOT NULL)",
            name="operator_binding",
        ),
        CheckConstraint("(role = 'region') = (region_code IS NOT NULL)", name="region_binding"),
    )

    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(pg_enum(Role, "api_key_role"))
    territory_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("territories.id"), index=True)
    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("operators.id"), index=True)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"))
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("api_keys.id"))
