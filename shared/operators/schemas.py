"""Operator contract: create, update, read."""

import uuid
from datetime import datetime

from pydantic import Field, HttpUrl

from shared.operators.models import OperatorKind
from shared.schemas import InputSchema, Schema, refuse_null
from shared.types import LongText, RegionCode, ShortText, Slug


class OperatorCreate(InputSchema):
    """A new partner operator."""

    code: Slug = Field(examples=["bpifrance"])
    name: ShortText = Field(examples=["Bpifrance"])
    kind: OperatorKind = Field(examples=["national_operator"])
    region_code: RegionCode | None = Field(default=None, description="For Regions only.")
    website: HttpUrl | None = Field(default=None, examples=["https://www.bpifrance.fr"])
    description: LongText = ""


class OperatorUpdate(InputSchema):
    """Changes to an operator; absent fields are left as they are."""

    name: ShortText | None = None
    kind: OperatorKind | None = None
    region_code: RegionCode | None = None
    website: HttpUrl | None = None
    description: LongText | None = None

    _not_null = refuse_null("name", "kind", "description")


class OperatorRead(Schema):
    """A partner operator."""

    id: uuid.UUID
    code: str = Field(examples=["bpifrance"])
    name: str = Field(examples=["Bpifrance"])
    kind: OperatorKind
    region_code: str | None
    website: str | None = Field(examples=["https://www.bpifrance.fr"])
    description: str
    version: int = Field(description="Current version; also sent as the ETag.")
    created_at: datetime
    updated_at: datetime
