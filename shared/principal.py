"""Who is calling: the role and tenant a request (or a job) acts as.

Every domain reads it to scope its queries; the keys it is derived from live in
`shared.auth`, above the domains that bind keys to tenants.
"""

import uuid
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a key may do; territory, operator and region keys are bound to their tenant."""

    ADMIN = "admin"
    TERRITORY = "territory"
    OPERATOR = "operator"
    REGION = "region"
    OBSERVER = "observer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: role and tenant binding (territory, operator or region)."""

    key_id: uuid.UUID | None
    role: Role
    territory_id: uuid.UUID | None = None
    operator_id: uuid.UUID | None = None
    name: str = ""
    region_code: str | None = None

    @property
    def is_admin(self) -> bool:
        """Admins see and manage everything."""
        return self.role is Role.ADMIN


PARTNER_ROLES = frozenset({Role.OPERATOR, Role.REGION})
"""Roles bound to an operator record: operator keys to theirs, region keys to their Region's
(its webhook endpoints and events feed are that operator's)."""

SYSTEM = Principal(key_id=None, role=Role.ADMIN, name="system")
"""The principal of command-line and worker actions (audited as `system`)."""
