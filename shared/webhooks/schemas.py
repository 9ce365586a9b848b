"""Webhook contract: endpoints, secrets, routing rules, deliveries, attempts, stats, events."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from shared.classification import Priority, ProjectNature
from shared.schemas import InputSchema, Omittable, Schema, documented_as
from shared.types import FromText, Slug, UtcDatetime
from shared.webhooks.health import DisabledReason, HealthState
from shared.webhooks.models import DeliveryStatus, RecoveryStatus, RouteField

ENDPOINT_URL = "/v1/webhook-endpoints/{id}"
"""An endpoint's path in the API: the `url` of the events about it."""

SubscribableEvent = Literal[
    "project.submitted",
    "project.updated",
    "project.status_changed",
    "application.submitted",
    "application.withdrawn",
    "application.expired",
    "application.scored",
    "application.preselected",
    "application.not_retained",
    "application.under_review",
    "application.information_requested",
    "application.information_provided",
    "application.information_overdue",
    "application.approved",
    "application.rejected",
    "application.agreement_signed",
    "application.payment_recorded",
    "application.closed",
    "application.cancelled",
    "outcome.reported",
    "fund.ruleset_published",
]
WebhookUrlText = Annotated[
    str,
    Field(
        min_length=8,
        max_length=2048,
        description="Where to POST: `https` (plain `http` only for allow-listed hosts).",
        examples=["https://hooks.operator.example/tidi"],
    ),
]
TimeoutSeconds = Annotated[
    int, Field(ge=5, le=30, description="Per-attempt time limit in seconds (5–30).")
]
InFlight = Annotated[
    int, Field(ge=1, le=16, description="Requests in flight at most to this endpoint.")
]
Description = Annotated[str, Field(max_length=500, examples=["Instruction Bpifrance"])]


class EndpointCreate(InputSchema):
    """A new webhook endpoint; its secret is returned once, in the response."""

    url: WebhookUrlText
    description: Description = ""
    event_types: list[SubscribableEvent] = Field(
        default_factory=list,
        max_length=50,
        description="Only these event types; empty: every event routed to the operator.",
        examples=[["application.submitted", "application.scored"]],
    )
    fund_codes: list[Slug] = Field(
        default_factory=list,
        max_length=50,
        description="Only events of these funds; empty: every fund.",
        examples=[["fonds-acceleration"]],
    )
    timeout_seconds: TimeoutSeconds = 15
    max_in_flight: InFlight = 4
    operator_code: Slug | None = Field(
        default=None,
        description="Owner (admins only; an operator key always creates for its operator).",
        examples=["bpifrance"],
    )


class EndpointUpdate(InputSchema):
    """Changes to an endpoint; absent fields are left as they are."""

    url: Omittable[WebhookUrlText] = None
    description: Omittable[Description] = None
    event_types: Omittable[list[SubscribableEvent]] = Field(default=None, max_length=50)
    fund_codes: Omittable[list[Slug]] = Field(default=None, max_length=50)
    timeout_seconds: Omittable[TimeoutSeconds] = None
    max_in_flight: Omittable[InFlight] = None


class EndpointRead(Schema):
    """A webhook endpoint (its secret is never shown again after creation or rotation)."""

    id: uuid.UUID
    operator_code: str = Field(examples=["bpifrance"])
    url: str = Field(examples=["https://hooks.operator.example/tidi"])
    description: str
    event_types: list[str]
    fund_codes: list[str]
    timeout_seconds: int
    max_in_flight: int
    state: HealthState = Field(
        description=(
            "healthy; degraded (5 consecutive failures); circuit_open (20 failures over "
            "10 min: messages kept, one probe at growing intervals); disabled (410 Gone, "
            "failing for 5 days, or by its owner: messages kept, sent after re-enabling)."
        )
    )
    disabled_reason: DisabledReason | None
    consecutive_failures: int
    last_success_at: datetime | None
    last_failure_at: datetime | None
    next_probe_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="During a rotation: until when the previous secret still signs."
    )
    version: int = Field(description="Current version; also sent as the ETag.")
    created_at: datetime
    updated_at: datetime


class EndpointSecret(Schema):
    """The signing secret, shown once: store it now."""

    secret: str = Field(
        description="`whsec_` + base64: give it to your Standard Webhooks verifier.",
        examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
    )
    previous_secret_expires_at: datetime | None = Field(
        default=None, description="Until when the previous secret also signs (rotation)."
    )


class EndpointCreated(EndpointRead):
    """The new endpoint with its secret (shown this once)."""

    secret: str = Field(examples=["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])


class PriorityRouteCreate(InputSchema):
    """Route the projects that declare a priority."""

    operator_code: Slug = Field(examples=["france-travail"])
    field: Literal["priority"]
    value: FromText[Priority] = Field(examples=["recrutement"])


class NatureRouteCreate(InputSchema):
    """Route the projects of a nature."""

    operator_code: Slug = Field(examples=["bpifrance"])
    field: Literal["nature"]
    value: FromText[ProjectNature] = Field(examples=["extension"])


class RoutingRuleCreate(InputSchema):
    """Send project events whose `field` holds `value` to an operator.

    Documented as one shape per `field`, each with its values.
    """

    __get_pydantic_json_schema__ = documented_as(
        Annotated[PriorityRouteCreate | NatureRouteCreate, Field(discriminator="field")]
    )

    operator_code: Slug = Field(examples=["france-travail"])
    field: FromText[RouteField] = Field(examples=["priority"])
    value: str = Field(min_length=1, max_length=64, examples=["recrutement"])

    @model_validator(mode="after")
    def _value_of_field(self) -> "RoutingRuleCreate":
        allowed = {
            RouteField.PRIORITY: {p.value for p in Priority},
            RouteField.NATURE: {n.value for n in ProjectNature},
        }[self.field]
        if self.value not in allowed:
            raise ValueError(f"value must be one of {sorted(allowed)} for field {self.field}")
        return self


class RoutingRuleRead(Schema):
    """A routing rule."""

    id: uuid.UUID
    operator_code: str = Field(examples=["france-travail"])
    field: RouteField
    value: str = Field(examples=["recrutement"])
    created_at: datetime


class DeliveryRead(Schema):
    """One message to one endpoint."""

    id: uuid.UUID
    event_id: uuid.UUID = Field(description="Also the `webhook-id` header: stable on retries.")
    event_type: str = Field(examples=["application.submitted"])
    status: DeliveryStatus
    attempts: int = Field(description="Attempts of the current round.")
    next_attempt_at: datetime | None = Field(description="When pending: the next attempt.")
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None = Field(examples=["timeout"])
    delivered_at: datetime | None
    created_at: datetime


class AttemptRead(Schema):
    """One HTTP attempt."""

    id: int
    delivery_id: uuid.UUID
    attempt_no: int
    probe: bool = Field(description="A probe of an open circuit (does not use up retries).")
    started_at: datetime
    duration_ms: int
    status_code: int | None
    error_class: str | None = Field(
        description="Without a response: timeout, dns, connect, tls, ssrf_blocked, protocol.",
        examples=["timeout"],
    )
    outcome: str = Field(examples=["success"])
    response_excerpt: str | None = Field(description="The first 16 KiB of the response body.")


class EndpointStats(Schema):
    """Delivery figures of one endpoint."""

    state: HealthState
    attempts_1h: int
    success_rate_1h: float | None = Field(description="Share of 2xx over the last hour.")
    attempts_24h: int
    success_rate_24h: float | None
    latency_p50_ms: float | None = Field(description="Over the last 24 hours.")
    latency_p95_ms: float | None
    pending: int
    failed: int


class PingResult(Schema):
    """The test message queued for one endpoint."""

    event_id: uuid.UUID
    delivery_id: uuid.UUID


class RecoveryCreate(InputSchema):
    """Send again an endpoint's failed messages created in a time range (≤ 30 days)."""

    since: UtcDatetime = Field(examples=["2026-11-01T00:00:00Z"])
    until: UtcDatetime | None = Field(default=None, description="Default: now.")


class RecoveryRead(Schema):
    """Progress of a recovery."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    since: datetime
    until: datetime
    status: RecoveryStatus
    total: int
    done: int
    created_at: datetime
    finished_at: datetime | None
