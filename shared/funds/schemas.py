"""Fund contract: create, update, read."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from shared.funds.models import AidForm, FundKind, FundStatus
from shared.funds.questions import check_question_schema
from shared.schemas import InputSchema, Omittable, Schema
from shared.types import (
    AmountCents,
    FromText,
    JsonObject,
    LongText,
    ShortText,
    Slug,
    UtcDatetime,
    WebUrl,
)

QUESTION_SCHEMA_EXAMPLE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "production_capacity_tonnes": {"type": "integer", "minimum": 0},
        "export_share_percent": {"type": "number", "minimum": 0, "maximum": 100},
    },
    "required": ["production_capacity_tonnes"],
    "additionalProperties": False,
}


def _usable(schema: dict[str, Any]) -> dict[str, Any]:
    if problem := check_question_schema(schema):
        raise PydanticCustomError("invalid-question-schema", "{problem}", {"problem": problem})
    return schema


QuestionSchema = Annotated[
    JsonObject,
    AfterValidator(_usable),
    WithJsonSchema(
        {
            "type": "object",
            "description": "A JSON Schema (2020-12) of an object: its `type` is `object`; "
            "`patternProperties` is not supported, `pattern`s must compile with RE2.",
            "required": ["type"],
            "properties": {"type": {"const": "object"}},
            "additionalProperties": True,
        }
    ),
]
"""A fund's question schema. That it is valid against the 2020-12 meta-schema (with RE2
patterns) is checked on input and refused as `invalid-question-schema`.
"""


class _FundFields(InputSchema):
    @model_validator(mode="after")
    def _coherent(self) -> "_FundFields":
        envelope = getattr(self, "envelope_cents", None)
        share = getattr(self, "regional_share_cents", None)
        if envelope is not None and share is not None and share > envelope:
            raise ValueError("regional_share_cents cannot exceed envelope_cents")
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
    kind: FromText[FundKind] = FundKind.AID_SCHEME
    operator_code: str = Field(
        description="Code of the instructing operator.", examples=["bpifrance"]
    )
    status: FromText[FundStatus] = FundStatus.DRAFT
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
    aid_forms: list[FromText[AidForm]] = Field(default_factory=list, examples=[["subsidy"]])
    regional_preselection: bool = Field(
        default=False,
        description="Whether the préfet and the Région pre-select applications.",
    )
    source_url: WebUrl | None = None
    question_schema: QuestionSchema | None = Field(
        default=None,
        description="JSON Schema (2020-12, an object) of the fund's own questions.",
        examples=[QUESTION_SCHEMA_EXAMPLE],
    )


class FundUpdate(_FundFields):
    """Changes to a fund; absent fields are left as they are, null clears an optional one."""

    name: Omittable[ShortText] = None
    description: Omittable[LongText] = None
    kind: Omittable[FromText[FundKind]] = None
    operator_code: Omittable[str] = None
    status: Omittable[FromText[FundStatus]] = None
    envelope_cents: Omittable[AmountCents] = None
    regional_share_cents: Omittable[AmountCents] = None
    max_award_cents: AmountCents | None = None
    opens_at: UtcDatetime | None = None
    closes_at: UtcDatetime | None = None
    aid_forms: Omittable[list[FromText[AidForm]]] = None
    regional_preselection: Omittable[bool] = None
    source_url: WebUrl | None = None
    question_schema: QuestionSchema | None = Field(
        default=None, description="Replaces the fund's question schema; null removes it."
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
