"""API key contract: create, read, the one-time secret, and the caller's identity."""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from shared.principal import Role
from shared.schemas import InputSchema, Schema, documented_as
from shared.types import FromText, RegionCode, ShortText, UtcDatetime


class _KeyFields(InputSchema):
    name: ShortText = Field(
        description="What the key is for.", examples=["Portail Pontivy (production)"]
    )
    expires_at: UtcDatetime | None = Field(
        default=None,
        description="Optional expiry, in the future (RFC 3339, with offset); never expires "
        "if null.",
        examples=["2035-12-31T23:59:59Z"],
    )


class UnboundKeyCreate(_KeyFields):
    """An admin key (everything) or an observer key (read-only aggregates): bound to nothing."""

    role: Literal["admin", "observer"]
    territory_id: None = None
    operator_code: None = None
    region_code: None = None


class TerritoryKeyCreate(_KeyFields):
    """A territory key: its own territory's records."""

    role: Literal["territory"]
    territory_id: uuid.UUID = Field(examples=["5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11"])
    operator_code: None = None
    region_code: None = None


class OperatorKeyCreate(_KeyFields):
    """An operator key: its own funds' applications."""

    role: Literal["operator"]
    territory_id: None = None
    operator_code: str = Field(examples=["bpifrance"])
    region_code: None = None


class RegionKeyCreate(_KeyFields):
    """A region key (préfet de région and Région): the regional preselection of the
    applications whose site is in its region, for funds that have one."""

    role: Literal["region"]
    territory_id: None = None
    operator_code: None = None
    region_code: RegionCode


class ApiKeyCreate(_KeyFields):
    """A new API key; territory keys name their territory, operator keys their operator.

    Documented as one shape per role (`territory_id` only for, and required for, territory
    keys; `operator_code` likewise for operator keys); the binding is checked on creation.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Portail Pontivy (production)",
                    "role": "territory",
                    "territory_id": "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11",
                    "expires_at": "2035-12-31T23:59:59Z",
                }
            ]
        }
    )

    role: FromText[Role] = Field(
        description=(
            "admin: everything; territory: its own territory's records; "
            "operator: its own funds' applications; region: the regional preselection in "
            "its region; observer: read-only aggregates."
        ),
        examples=["territory"],
    )
    territory_id: FromText[uuid.UUID] | None = Field(
        default=None, description="Required for (and only for) territory keys."
    )
    operator_code: str | None = Field(
        default=None,
        description="Required for (and only for) operator keys.",
        examples=["bpifrance"],
    )
    region_code: RegionCode | None = Field(
        default=None,
        description="Required for (and only for) region keys: the region's INSEE code.",
    )

    __get_pydantic_json_schema__ = documented_as(
        Annotated[
            UnboundKeyCreate | TerritoryKeyCreate | OperatorKeyCreate | RegionKeyCreate,
            Field(discriminator="role"),
        ]
    )

    @field_validator("expires_at")
    @classmethod
    def _expiry_in_the_future(cls, expires_at: datetime | None) -> datetime | None:
        if expires_at is not None and expires_at <= datetime.now(UTC):
            raise PydanticCustomError("date-out-of-range", "expires_at must be in the future")
        return expires_at


class ApiKeyRead(Schema):
    """An API key as listed (never the secret)."""

    id: uuid.UUID
    name: str = Field(examples=["Portail Pontivy (production)"])
    prefix: str = Field(description="First characters of the key.", examples=["tidi_Ab3dE9"])
    role: Role = Field(examples=["territory"])
    territory_id: uuid.UUID | None
    operator_id: uuid.UUID | None = Field(examples=[None])
    region_code: str | None = Field(examples=[None])
    expires_at: datetime | None
    revoked_at: datetime | None = Field(examples=[None])
    last_used_at: datetime | None = Field(description="Last use, updated at most once a minute.")
    created_at: datetime


class ApiKeyCreated(ApiKeyRead):
    """A freshly created key: `secret` is shown this once and never again."""

    secret: str = Field(
        description="The bearer token. Store it now: only its hash is kept.",
        examples=["tidi_Ab3dE9fGh1jK2lM3nO4pQ5rS6tU7vW8xY9zA0bC1dE2"],
    )


class PrincipalRead(Schema):
    """The identity the presented key grants."""

    key_id: uuid.UUID | None
    name: str
    role: Role
    territory_id: uuid.UUID | None
    operator_id: uuid.UUID | None
    region_code: str | None
