"""Territory contract: create, update, read."""

import uuid
from datetime import date, datetime

from pydantic import Field, field_validator

from shared.schemas import InputSchema, Omittable, Schema
from shared.territories.models import ContactRole
from shared.types import Email, FromText, IsoDate, LongText, RegionCode, ShortText, Siren, Slug


class ContactWrite(InputSchema):
    """A contact of the territory: professional details only."""

    role: FromText[ContactRole] = Field(
        description="elected_official and industrialist form the binôme; project_lead runs it.",
        examples=["elected_official"],
    )
    full_name: ShortText = Field(examples=["Marie Le Goff"])
    organisation: str = Field(default="", max_length=200, examples=["Pontivy Communauté"])
    email: Email | None = Field(default=None, examples=["m.legoff@pontivy-communaute.bzh"])
    phone: str | None = Field(
        default=None, pattern=r"^\+?[0-9 .()-]{6,20}$", examples=["+33 2 97 25 01 70"]
    )
    retain_until: IsoDate | None = Field(
        default=None, description="Date after which the contact is purged."
    )


class ContactRead(Schema):
    """A territory contact (visible to admins and the territory's own keys)."""

    role: ContactRole
    full_name: str
    organisation: str
    email: str | None
    phone: str | None
    retain_until: date | None


def _unique_sirens(sirens: list[str]) -> list[str]:
    if len(set(sirens)) != len(sirens):
        raise ValueError("each EPCI may appear only once")
    return sirens


class TerritoryCreate(InputSchema):
    """A new Territoire d'industrie."""

    code: Slug = Field(description="Stable code, unique.", examples=["ti-pontivy"])
    name: ShortText = Field(examples=["Pontivy (CC Pontivy Communauté)"])
    region_code: RegionCode
    description: LongText = ""
    epci_sirens: list[Siren] = Field(
        min_length=1,
        max_length=50,
        description="SIRENs of the member intercommunalités (at least one).",
        examples=[["245614433"]],
    )
    contacts: list[ContactWrite] = Field(default_factory=list, max_length=20)

    _check_sirens = field_validator("epci_sirens")(_unique_sirens)


class TerritoryUpdate(InputSchema):
    """Changes to a territory; absent fields are left as they are.

    Territory keys may change `description` and `contacts` of their own territory;
    the other fields are for admins.
    """

    name: Omittable[ShortText] = None
    region_code: Omittable[RegionCode] = None
    description: Omittable[LongText] = None
    epci_sirens: Omittable[list[Siren]] = Field(default=None, min_length=1, max_length=50)
    contacts: Omittable[list[ContactWrite]] = Field(
        default=None, max_length=20, description="Replaces the whole contact list."
    )

    _check_sirens = field_validator("epci_sirens")(lambda v: v if v is None else _unique_sirens(v))


class TerritoryRead(Schema):
    """A Territoire d'industrie."""

    id: uuid.UUID
    code: str = Field(examples=["ti-pontivy"])
    name: str = Field(examples=["Pontivy (CC Pontivy Communauté)"])
    region_code: str = Field(examples=["53"])
    description: str
    epci_sirens: list[str] = Field(examples=[["245614433"]])
    contacts: list[ContactRead] | None = Field(
        description="Null unless the caller is an admin or this territory's key."
    )
    version: int = Field(description="Current version; also sent as the ETag.")
    created_at: datetime
    updated_at: datetime
