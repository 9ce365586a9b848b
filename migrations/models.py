"""The model registry: every domain's models, so Alembic (`alembic check`, autogenerate)
sees the whole schema. Lives beside the migrations: no domain imports it."""

from shared.applications.models import Application
from shared.audit.models import AuditEntry
from shared.auth.models import ApiKey
from shared.budgets.models import BudgetEnvelope, Commitment, Payment
from shared.db.base import Base
from shared.eligibility.dryrun_models import DryRun
from shared.eligibility.models import Assessment, RulesetVersion
from shared.events.models import Event
from shared.funds.models import Fund
from shared.geography.models import Commune, Department, Epci, Region
from shared.idempotency.models import IdempotencyRecord
from shared.operators.models import Operator
from shared.outcomes.models import Outcome
from shared.projects.models import Project
from shared.sites.models import Site
from shared.stateaid.models import AidGrant
from shared.stats.models import SITE_COMMUNE, ApplicationStatistics
from shared.territories.models import Territory, TerritoryContact, TerritoryEpci
from shared.webhooks.models import (
    RoutingRule,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookRecovery,
)
from shared.zonings.models import (
    ApplicationZoningFacts,
    ZoningCoverage,
    ZoningMembership,
    ZoningVintageSet,
)

__all__ = [
    "SITE_COMMUNE",
    "AidGrant",
    "ApiKey",
    "Application",
    "ApplicationStatistics",
    "ApplicationZoningFacts",
    "Assessment",
    "AuditEntry",
    "Base",
    "BudgetEnvelope",
    "Commitment",
    "Commune",
    "Department",
    "DryRun",
    "Epci",
    "Event",
    "Fund",
    "IdempotencyRecord",
    "Operator",
    "Outcome",
    "Payment",
    "Project",
    "Region",
    "RoutingRule",
    "RulesetVersion",
    "Site",
    "Territory",
    "TerritoryContact",
    "TerritoryEpci",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookRecovery",
    "ZoningCoverage",
    "ZoningMembership",
    "ZoningVintageSet",
]
