"""Budget contract: envelopes, the fund's budget view, payments."""

import uuid
from datetime import date, datetime
from typing import Any, Self

from pydantic import Field, model_validator

from shared.budgets.models import Financer
from shared.schemas import InputSchema, Schema
from shared.types import AmountCents, FromText, IsoDate, RegionCode

_AMOUNTS = {
    "amount_cents": "The envelope (cents).",
    "committed_cents": "Held by approved awards, not released (cents).",
    "paid_cents": "Paid out against those commitments (cents).",
    "remaining_cents": "What approvals can still commit: amount − committed (cents).",
}
_EXAMPLES = {
    "amount_cents": 70_700_000_000,
    "committed_cents": 1_200_000_000,
    "paid_cents": 450_000_000,
    "remaining_cents": 69_500_000_000,
}


def _amount(name: str) -> Any:
    """A figure of an envelope: its description and example."""
    return Field(description=_AMOUNTS[name], examples=[_EXAMPLES[name]])


class EnvelopeCreate(InputSchema):
    """A financer's envelope for the fund (or for the fund in one region) over a period."""

    financer: FromText[Financer] = Field(examples=["state"])
    region_code: RegionCode | None = Field(
        default=None, description="Only for awards to applications in this region."
    )
    label: str = Field(default="", max_length=200, examples=["Dotation État 2026-2027"])
    amount_cents: AmountCents = Field(examples=[70_700_000_000])
    period_start: IsoDate = Field(examples=["2026-01-01"])
    period_end: IsoDate = Field(examples=["2027-12-31"])

    @model_validator(mode="after")
    def _period_ordered(self) -> Self:
        if self.period_end < self.period_start:
            raise ValueError("period_end must not be before period_start")
        return self


class EnvelopeRead(Schema):
    """An envelope and where it stands."""

    id: uuid.UUID
    financer: Financer = Field(examples=["state"])
    region_code: str | None = Field(examples=[None])
    label: str = Field(examples=["Dotation État 2026-2027"])
    amount_cents: int = _amount("amount_cents")
    committed_cents: int = _amount("committed_cents")
    paid_cents: int = _amount("paid_cents")
    remaining_cents: int = _amount("remaining_cents")
    period_start: date
    period_end: date


class FinancerShare(Schema):
    """One financer's part of the fund's envelopes."""

    financer: Financer = Field(examples=["region"])
    amount_cents: int = _amount("amount_cents")
    committed_cents: int = _amount("committed_cents")
    paid_cents: int = _amount("paid_cents")
    remaining_cents: int = _amount("remaining_cents")
    share: float = Field(
        description="Its part of the total amount (co-financing share, 0 to 1).",
        examples=[0.168],
    )


class FundBudget(Schema):
    """A fund's budget: each envelope, each financer's share, and the totals."""

    fund_code: str = Field(examples=["fonds-acceleration"])
    envelopes: list[EnvelopeRead]
    financers: list[FinancerShare]
    amount_cents: int = _amount("amount_cents")
    committed_cents: int = _amount("committed_cents")
    paid_cents: int = _amount("paid_cents")
    remaining_cents: int = _amount("remaining_cents")


class PaymentRead(Schema):
    """One tranche paid."""

    id: uuid.UUID
    amount_cents: int = Field(examples=[45_000_000])
    paid_on: date
    reference: str = Field(examples=["VIR-2027-000184"])
    created_at: datetime


class PaymentList(Schema):
    """The tranches paid on an award, oldest first."""

    items: list[PaymentRead]
