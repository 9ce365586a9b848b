"""API key contract: create, read, the one-time secret, and the caller's identity."""

import uuid
from datetime import datetime

from pydantic import ConfigDict, Field, model_validator

from shared.principal import Role
from shared.schemas import InputSchema, Schema
from shared.types import ShortText


class ApiKeyCreate(InputSchema):
    """A new API key; territory keys name their territory, operator keys their operator."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Portail Pontivy (production)",
                    "role": "territory",
                    "territory_id": "5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11",
                    "expires_at": "2027-12-31T23:59:59Z",
                }
            ]
        }
    )

    name: ShortText = Field(
        description="What the key is for.", examples=["Portail Pontivy (production)"]
    )
    role: Role = Field(
        description=(
            "admin: everything; territory: its own territory's records; "
            "operator: its own funds' applications; observer: read-only aggregates."
        ),
        examples=["territory"],
    )
    territory_id: uuid.UUID | None = Field(
        default=None, description="Required for (and only for) territory keys."
    )
    operator_code: str | None = Field(
        default=None,
        description="Required for (and only for) operator keys.",
        examples=["bpifrance"],
    )
    expires_at: datetime | None = Field(
        default=None,
        description="Optional expiry (RFC 3339, with offset); never expires if null.",
        examples=["2027-12-31T23:59:59Z"],
    )

    @model_validator(mode="after")
    def _expiry_has_timezone(self) -> "ApiKeyCreate":
        if self.expires_at is not None and self.expires_at.tzinfo is None:
            raise ValueError("expires_at must carry a UTC offset")
        return self


class ApiKeyRead(Schema):
    """An API key as listed (never the secret)."""

    id: uuid.UUID
    name: str = Field(examples=["Portail Pontivy (production)"])
    prefix: str = Field(description="First characters of the key.", examples=["tidi_Ab3dE9"])
    role: Role = Field(examples=["territory"])
    territory_id: uuid.UUID | None
    operator_id: uuid.UUID | None = Field(examples=[None])
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
