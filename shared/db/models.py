"""Imports every domain's models so the mapper registry (and Alembic) sees them all."""

from shared.audit.models import AuditEntry
from shared.auth.models import ApiKey
from shared.db.base import Base
from shared.funds.models import Fund
from shared.geography.models import Commune, Department, Epci, Region
from shared.operators.models import Operator
from shared.territories.models import Territory, TerritoryContact, TerritoryEpci

__all__ = [
    "ApiKey",
    "AuditEntry",
    "Base",
    "Commune",
    "Department",
    "Epci",
    "Fund",
    "Operator",
    "Region",
    "Territory",
    "TerritoryContact",
    "TerritoryEpci",
]
