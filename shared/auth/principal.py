"""The principal a request acts as, derived from its API key."""

import uuid
from dataclasses import dataclass

from shared.auth.models import Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: role and tenant binding (territory or operator)."""

    key_id: uuid.UUID | None
    role: Role
    territory_id: uuid.UUID | None = None
    operator_id: uuid.UUID | None = None
    name: str = ""

    @property
    def is_admin(self) -> bool:
        """Admins see and manage everything."""
        return self.role is Role.ADMIN


SYSTEM = Principal(key_id=None, role=Role.ADMIN, name="system")
"""The principal of command-line and worker actions."""
