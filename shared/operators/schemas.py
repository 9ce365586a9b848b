"""Operator contract: create, update, read."""

import uuid
from datetime import datetime

from pydantic import Field

from shared.operators.models import OperatorKind
from shared.schemas import InputSchema, Omittable, Schema
from shared.types import FromText, LongText, RegionCode, ShortText, Slug, WebUrl


class OperatorCreate(InputSchema):
    """A new partner operator."""

    code: Slug = Field(examples=["bpifrance"])
    name: ShortText = Field(examples=["Bpifrance"])
    kind: FromText[OperatorKind] = Field(examples=["national_operator"])
    region_code: RegionCode | None = Field(default=None, description="For Regions only.")
    website: WebUrl | None = Field(default=None, examples=["https://www.bpifrance.fr"])
    description: LongText = ""


class OperatorUpdate(InputSchema):
    """Changes to an operator; absent fields are left as they are, null clears an optional one."""

    name: Omittable[ShortText] = None
    kind: Omittable[FromText[OperatorKind]] = None
    region_code: RegionCode | None = None
    website: WebUrl | None = None
    description: Omittable[LongText] = None


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
