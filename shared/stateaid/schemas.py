"""State-aid register contract."""

import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from shared.schemas import InputSchema, Schema
from shared.stateaid.models import AidSource
from shared.stateaid.regimes import AidRegime
from shared.types import AmountCents, FromText, IsoDate, ShortText, Siren


class ExternalAidCreate(InputSchema):
    """Aid an undertaking received outside tidi, as its granting authority recorded it."""

    siren: Siren = Field(examples=["732829320"])
    granted_on: IsoDate = Field(examples=["2025-06-12"])
    regime: FromText[AidRegime] = Field(examples=["de_minimis_2023_2831"])
    nominal_cents: Annotated[int, Field(gt=0, le=10**15)] = Field(examples=[8_000_000])
    gross_grant_equivalent_cents: AmountCents | None = Field(
        default=None,
        description="Its gross grant equivalent; a subsidy's is its nominal amount (the default).",
        examples=[None],
    )
    granted_by: ShortText = Field(examples=["Région Bretagne"])
    reference: str = Field(default="", max_length=200, examples=["AR-2025-118"])

    @model_validator(mode="after")
    def _equivalent_within_nominal(self) -> Self:
        if (
            self.gross_grant_equivalent_cents is not None
            and self.gross_grant_equivalent_cents > self.nominal_cents
        ):
            raise PydanticCustomError(
                "amount-exceeds-base", "gross_grant_equivalent_cents cannot exceed nominal_cents"
            )
        return self


class AidGrantRead(Schema):
    """One grant of the register."""

    id: uuid.UUID
    siren: str = Field(examples=["732829320"])
    granted_on: date
    regime: AidRegime = Field(examples=["de_minimis_2023_2831"])
    nominal_cents: int = Field(examples=[8_000_000])
    gross_grant_equivalent_cents: int = Field(examples=[8_000_000])
    source: AidSource = Field(examples=["external"])
    granted_by: str = Field(examples=["Région Bretagne"])
    reference: str = Field(examples=["AR-2025-118"])
    application_id: uuid.UUID | None = Field(
        description="The application whose approval granted it (awards in tidi)."
    )
    created_at: datetime


class DeminimisRoom(Schema):
    """What an undertaking may still receive under de minimis on a date."""

    siren: str = Field(examples=["732829320"])
    on: date
    ceiling_cents: int = Field(examples=[30_000_000])
    registered_cents: int = Field(
        description="De minimis in the register over the three rolling years.",
        examples=[8_000_000],
    )
    room_cents: int = Field(examples=[22_000_000])
