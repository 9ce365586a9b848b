"""Fund contract: create, update, read."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, HttpUrl, model_validator

from shared.funds.models import AidForm, FundKind, FundStatus
from shared.funds.questions import check_question_schema
from shared.schemas import InputSchema, Schema, refuse_null
from shared.types import AmountCents, JsonObject, LongText, ShortText, Slug, UtcDatetime

QUESTION_SCHEMA_EXAMPLE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "production_capacity_tonnes": {"type": "integer", "minimum": 0},
        "export_share_percent": {"type": "number", "minimum": 0, "maximum": 100},
    },
    "required": ["production_capacity_tonnes"],
    "additionalProperties": False,
}


class _FundFields(InputSchema):
    @model_validator(mode="after")
    def _coherent(self) -> "_FundFields":
        envelope = getattr(self, "envelope_cents", None)
        share = getattr(self, "regional_share_cents", None)
        if envelope is not None and share is not None and share > envelope:
            raise ValueError("regional_share_cents cannot exceed envelope_cents")
        questions = getattr(self, "question_schema", None)
        if questions is not None and (problem := check_question_schema(questions)):
            raise ValueError(problem)
        opens, closes = (
            getattr(self, "opens_at", None),
            getattr(self, "closes_at", None),
        )
        if opens is not None and closes is not None and closes <= opens:
            raise ValueError("closes_at must be after opens_at")
        return self


class FundCreate(_FundFields):
    """A new fund (scheme) and its window."""

    code: Slug = Field(examples=["fonds-acceleration"])
    name: ShortText = Field(
        examples=["Fonds d'accélération des investissements industriels dans les territoires"]
    )
    description: LongText = ""
    kind: FundKind = FundKind.AID_SCHEME
    operator_code: str = Field(
        description="Code of the instructing operator.", examples=["bpifrance"]
    )
    status: FundStatus = FundStatus.DRAFT
    envelope_cents: AmountCents = 0
    regional_share_cents: AmountCents = Field(
        default=0, description="Part of the envelope brought by the Regions (cents)."
    )
    max_award_cents: AmountCents | None = Field(
        default=None,
        description="Cap on one application's award (cents); null: no cap.",
    )
    opens_at: UtcDatetime | None = Field(default=None, examples=["2026-01-15T00:00:00+01:00"])
    closes_at: UtcDatetime | None = Field(default=None, examples=["2027-06-30T23:59:59+02:00"])
    aid_forms: list[AidForm] = Field(default_factory=list, examples=[["subsidy"]])
    regional_preselection: bool = Field(
        default=False,
        description="Whether the préfet and the Région pre-select applications.",
    )
    source_url: HttpUrl | None = None
    question_schema: JsonObject | None = Field(
        default=None,
        description="JSON Schema (2020-12, an object) of the fund's own questions.",
        examples=[QUESTION_SCHEMA_EXAMPLE],
    )


class FundUpdate(_FundFields):
    """Changes to a fund; absent fields are left as they are."""

    name: ShortText | None = None
    description: LongText | None = None
    kind: FundKind | None = None
    operator_code: str | None = None
    status: FundStatus | None = None
    envelope_cents: AmountCents | None = None
    regional_share_cents: AmountCents | None = None
    max_award_cents: AmountCents | None = None
    opens_at: UtcDatetime | None = None
    closes_at: UtcDatetime | None = None
    aid_forms: list[AidForm] | None = None
    regional_preselection: bool | None = None
    source_url: HttpUrl | None = None
    question_schema: JsonObject | None = Field(
        default=None, description="Replaces the fund's question schema."
    )

    _not_null = refuse_null(
        "name",
        "description",
        "kind",
        "operator_code",
        "status",
        "envelope_cents",
        "regional_share_cents",
        "aid_forms",
        "regional_preselection",
    )


class FundRead(Schema):
    """A fund (scheme) with its window and envelope."""

    id: uuid.UUID
    code: str = Field(examples=["fonds-acceleration"])
    name: str
    description: str
    kind: FundKind
    operator_code: str = Field(examples=["bpifrance"])
    status: FundStatus
    envelope_cents: int = Field(examples=[85_000_000_000])
    regional_share_cents: int = Field(examples=[14_300_000_000])
    max_award_cents: int | None
    opens_at: datetime | None
    closes_at: datetime | None
    aid_forms: list[AidForm]
    regional_preselection: bool
    source_url: str | None
    question_schema: dict[str, Any] | None = Field(
        description="JSON Schema of the fund's own questions; applications answer in `answers`."
    )
    version: int = Field(description="Current version; also sent as the ETag.")
    created_at: datetime
    updated_at: datetime
