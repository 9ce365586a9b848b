"""The event types and the payload (`data`) model of each: the operators' contract.

Payloads are thin plus essentials: ids and URL, status, the routing fields,
`sequence` to order updates of one resource; never personal data.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from shared.schemas import Schema


class EventType(StrEnum):
    """Every event tidi emits (versioned by addition: a breaking change gets a new name)."""

    PROJECT_SUBMITTED = "project.submitted"
    PROJECT_UPDATED = "project.updated"
    PROJECT_STATUS_CHANGED = "project.status_changed"
    APPLICATION_SUBMITTED = "application.submitted"
    APPLICATION_WITHDRAWN = "application.withdrawn"
    APPLICATION_EXPIRED = "application.expired"
    APPLICATION_SCORED = "application.scored"
    APPLICATION_PRESELECTED = "application.preselected"
    APPLICATION_NOT_RETAINED = "application.not_retained"
    APPLICATION_UNDER_REVIEW = "application.under_review"
    APPLICATION_INFORMATION_REQUESTED = "application.information_requested"
    APPLICATION_INFORMATION_PROVIDED = "application.information_provided"
    APPLICATION_INFORMATION_OVERDUE = "application.information_overdue"
    APPLICATION_APPROVED = "application.approved"
    APPLICATION_REJECTED = "application.rejected"
    APPLICATION_AGREEMENT_SIGNED = "application.agreement_signed"
    APPLICATION_PAYMENT_RECORDED = "application.payment_recorded"
    APPLICATION_CLOSED = "application.closed"
    APPLICATION_CANCELLED = "application.cancelled"
    OUTCOME_REPORTED = "outcome.reported"
    FUND_RULESET_PUBLISHED = "fund.ruleset_published"
    ENDPOINT_PING = "endpoint.ping"
    ENDPOINT_DEGRADED = "endpoint.degraded"
    ENDPOINT_CIRCUIT_OPENED = "endpoint.circuit_opened"
    ENDPOINT_DISABLED = "endpoint.disabled"
    ENDPOINT_RECOVERED = "endpoint.recovered"


class ProjectEventData(Schema):
    """`data` of project events."""

    id: uuid.UUID
    url: str = Field(examples=["https://tidi.example/v1/projects/0b6f…"])
    status: str = Field(examples=["submitted"])
    previous_status: str | None = Field(default=None, examples=["draft"])
    occurred_at: datetime
    sequence: int = Field(description="Monotonic per project; drop lower ones.")
    territory_id: uuid.UUID | None
    region_code: str | None = Field(examples=["53"])
    nature: str = Field(examples=["extension"])
    priorities: list[str] = Field(examples=[["decarbonation"]])
    investment_total_cents: int


class ApplicationEventData(Schema):
    """`data` of application events."""

    id: uuid.UUID
    url: str = Field(examples=["https://tidi.example/v1/applications/5c1e…"])
    status: str = Field(examples=["submitted"])
    previous_status: str | None = Field(default=None, examples=["draft"])
    occurred_at: datetime
    sequence: int = Field(description="Monotonic per application; drop lower ones.")
    project_id: uuid.UUID
    fund_code: str = Field(examples=["fonds-acceleration"])
    territory_id: uuid.UUID | None
    region_code: str | None = Field(examples=["53"])
    requested_amount_cents: int | None
    eligible_expense_base_cents: int | None


class ApplicationScoredData(ApplicationEventData):
    """`data` of `application.scored`: the screening verdict and its ruleset version."""

    outcome: str = Field(examples=["eligible"])
    total_points: float = Field(examples=[62.5])
    ruleset_version: int = Field(examples=[1])
    missing_input_count: int = Field(
        description="How many inputs must be completed before the verdict is decided.",
        examples=[0],
    )


class ApplicationDecisionData(ApplicationEventData):
    """`data` of the review and decision events (`application.preselected` … `.closed`):
    what the step decided; fields a step does not set are null."""

    reason_code: str | None = Field(
        default=None, description="Why not retained or rejected.", examples=[None]
    )
    information_items: list[str] | None = Field(
        default=None,
        description="What the information request asks for: JSON pointers into the "
        "application, or `document:<kind>`.",
        examples=[None],
    )
    information_due_on: date | None = Field(default=None, examples=[None])
    awarded_cents: int | None = Field(default=None, examples=[120_000_000])
    aid_form: str | None = Field(default=None, examples=["subsidy"])
    regime: str | None = Field(default=None, examples=["gber_regional_investment"])
    agreement_reference: str | None = Field(default=None, examples=[None])
    payment_cents: int | None = Field(
        default=None, description="The tranche this event records.", examples=[None]
    )
    paid_cents: int | None = Field(
        default=None, description="Paid in total after it.", examples=[None]
    )
    released_cents: int | None = Field(
        default=None,
        description="What a cancellation gave back to the envelope (the unpaid part).",
        examples=[None],
    )


class OutcomeReportedData(Schema):
    """`data` of `outcome.reported`: what a funded project achieved, as its territory
    reported it (jobs, investment at a date); reports are immutable, each its own event."""

    id: uuid.UUID = Field(description="The report's id.")
    url: str = Field(examples=["https://tidi.example/v1/outcomes/9d2f…"])
    occurred_at: datetime
    sequence: int = Field(description="Always 1: a report never changes.")
    application_id: uuid.UUID
    project_id: uuid.UUID
    fund_code: str = Field(examples=["fonds-acceleration"])
    territory_id: uuid.UUID | None
    region_code: str | None = Field(examples=["53"])
    reported_on: date = Field(description="The date the figures describe.")
    jobs_created: int = Field(examples=[28])
    jobs_maintained: int = Field(examples=[176])
    investment_cents: int = Field(description="Investment actually made.", examples=[980_000_000])


class FundRulesetPublishedData(Schema):
    """`data` of `fund.ruleset_published`: a new ruleset version now screens the fund."""

    id: uuid.UUID = Field(description="The fund's id.")
    url: str = Field(examples=["https://tidi.example/v1/funds/fonds-acceleration"])
    fund_code: str = Field(examples=["fonds-acceleration"])
    occurred_at: datetime
    sequence: int = Field(description="Monotonic per fund; drop lower ones.")
    ruleset_version: int = Field(examples=[2])
    previous_version: int | None = Field(default=None, examples=[1])


class EndpointPingData(Schema):
    """`data` of `endpoint.ping`: a test message sent on request to one endpoint."""

    id: uuid.UUID = Field(description="The endpoint's id.")
    url: str = Field(examples=["https://tidi.example/v1/webhook-endpoints/7d0e…"])
    occurred_at: datetime
    sequence: int = Field(description="Monotonic per endpoint.")
    message: str = Field(examples=["Test message from tidi"])


class EndpointHealthData(Schema):
    """`data` of the endpoint health warnings (`endpoint.degraded`, `.circuit_opened`, ...).

    They reach the endpoint's owner through the events API and the admin views, never by
    webhook (the endpoint is the one failing).
    """

    id: uuid.UUID = Field(description="The endpoint's id.")
    url: str = Field(examples=["https://tidi.example/v1/webhook-endpoints/7d0e…"])
    occurred_at: datetime
    sequence: int = Field(description="Monotonic per endpoint.")
    state: str = Field(examples=["circuit_open"])
    previous_state: str = Field(examples=["degraded"])
    consecutive_failures: int = Field(examples=[20])
    disabled_reason: str | None = Field(default=None, examples=["gone"])


OWNER_ONLY_EVENTS: frozenset[EventType] = frozenset(
    {
        EventType.ENDPOINT_DEGRADED,
        EventType.ENDPOINT_CIRCUIT_OPENED,
        EventType.ENDPOINT_DISABLED,
        EventType.ENDPOINT_RECOVERED,
    }
)
"""Endpoint health warnings: for the endpoint's owner (events API), never sent by webhook."""

PAYLOADS: dict[EventType, type[Schema]] = {
    EventType.PROJECT_SUBMITTED: ProjectEventData,
    EventType.PROJECT_UPDATED: ProjectEventData,
    EventType.PROJECT_STATUS_CHANGED: ProjectEventData,
    EventType.APPLICATION_SUBMITTED: ApplicationEventData,
    EventType.APPLICATION_WITHDRAWN: ApplicationEventData,
    EventType.APPLICATION_EXPIRED: ApplicationEventData,
    EventType.APPLICATION_SCORED: ApplicationScoredData,
    **dict.fromkeys(
        (
            EventType.APPLICATION_PRESELECTED,
            EventType.APPLICATION_NOT_RETAINED,
            EventType.APPLICATION_UNDER_REVIEW,
            EventType.APPLICATION_INFORMATION_REQUESTED,
            EventType.APPLICATION_INFORMATION_PROVIDED,
            EventType.APPLICATION_INFORMATION_OVERDUE,
            EventType.APPLICATION_APPROVED,
            EventType.APPLICATION_REJECTED,
            EventType.APPLICATION_AGREEMENT_SIGNED,
            EventType.APPLICATION_PAYMENT_RECORDED,
            EventType.APPLICATION_CLOSED,
            EventType.APPLICATION_CANCELLED,
        ),
        ApplicationDecisionData,
    ),
    EventType.OUTCOME_REPORTED: OutcomeReportedData,
    EventType.FUND_RULESET_PUBLISHED: FundRulesetPublishedData,
    EventType.ENDPOINT_PING: EndpointPingData,
    EventType.ENDPOINT_DEGRADED: EndpointHealthData,
    EventType.ENDPOINT_CIRCUIT_OPENED: EndpointHealthData,
    EventType.ENDPOINT_DISABLED: EndpointHealthData,
    EventType.ENDPOINT_RECOVERED: EndpointHealthData,
}
"""The payload model of each event type."""
