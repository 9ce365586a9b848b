"""Project contract: create, update, read, and the bodies of lifecycle actions."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, computed_field, model_validator

from shared.classification import Priority, ProjectNature
from shared.projects.enums import ApplicantKind, CompanyCategory, EuSize, ProjectStatus
from shared.projects.sizing import company_category, eu_size
from shared.schemas import InputSchema, Omittable, Schema, documented_as
from shared.types import (
    AmountCents,
    Email,
    FromText,
    InseeCommuneCode,
    IsoDate,
    LongText,
    NafCode,
    ShortText,
    Siren,
    Siret,
)

CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$"),
    Field(description="ISO 3166-1 alpha-2 country code.", examples=["CN"]),
]
LegalFormCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{4}$"),
    Field(description="INSEE legal category (catégorie juridique, 4 digits).", examples=["5710"]),
]
HolderAdminStatus = Literal["A", "C"]
"""SIRENE `etat_administratif` of a legal unit: A active, C ceased."""
SiteAdminStatus = Literal["A", "F"]
"""SIRENE `etat_administratif` of an establishment: A active, F closed."""
Headcount = Annotated[int, Field(ge=0, le=10_000_000, description="Staff (effectif).")]
Jobs = Annotated[int, Field(ge=0, le=1_000_000)]


class Holder(InputSchema):
    """The company (or body) that carries the project."""

    siren: Siren
    name: ShortText = Field(examples=["Fonderies de Bretagne"])
    kind: FromText[ApplicantKind] = Field(default=ApplicantKind.COMPANY, examples=["company"])
    legal_form_code: LegalFormCode | None = None
    naf_code: NafCode | None = None
    headcount: Headcount | None = Field(default=None, examples=[180])
    turnover_cents: AmountCents | None = Field(default=None, examples=[4_200_000_000])
    balance_sheet_cents: AmountCents | None = Field(default=None, examples=[3_100_000_000])
    in_difficulty: bool | None = Field(
        default=None, description="Company in difficulty (EU definition); null if not declared."
    )
    admin_status: HolderAdminStatus | None = Field(
        default=None,
        description="Administrative status of the legal unit in the SIRENE register as "
        "declared by the holder (A active, C ceased); tidi does not query the register. "
        "Counts only with `registry_attested`.",
        examples=["A"],
    )
    registry_attested: bool | None = Field(
        default=None,
        description="The holder attests that the administrative statuses declared for itself "
        "and for the site's establishment are those of the SIRENE register today.",
        examples=[True],
    )

    @model_validator(mode="after")
    def _status_is_attested(self) -> Self:
        if self.admin_status is not None and self.registry_attested is not True:
            raise ValueError("a declared admin_status needs registry_attested set to true")
        return self


class HolderRead(Schema):
    """The project holder, with its size computed from headcount and figures."""

    siren: str = Field(examples=["552100554"])
    name: str
    kind: ApplicantKind
    legal_form_code: str | None
    naf_code: str | None
    headcount: int | None
    turnover_cents: int | None
    balance_sheet_cents: int | None
    in_difficulty: bool | None
    admin_status: HolderAdminStatus | None = Field(
        default=None, description="Declared SIRENE status of the legal unit (A, C)."
    )
    registry_attested: bool | None = Field(
        default=None, description="Whether the holder attested the declared statuses."
    )

    @model_validator(mode="after")
    def _only_attested_status(self) -> Self:
        # The input schema refuses a status without the attestation; a document without
        # it (older or hand-made) reads as no declared status.
        if self.registry_attested is not True:
            self.admin_status = None
        return self

    @computed_field(description="EU size (small/medium/large) for aid intensities.")  # type: ignore[prop-decorator]
    @property
    def eu_size(self) -> EuSize | None:
        """EU size, computed."""
        return eu_size(self.headcount, self.turnover_cents, self.balance_sheet_cents)

    @computed_field(description="French category (pme/eti/ge).")  # type: ignore[prop-decorator]
    @property
    def category(self) -> CompanyCategory | None:
        """French category, computed."""
        return company_category(self.headcount, self.turnover_cents, self.balance_sheet_cents)


class Site(InputSchema):
    """Where the investment happens: an establishment (SIRET) and/or a commune."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [name], "properties": {name: {"type": "string"}}}
                for name in ("siret", "commune_insee")
            ],
            "examples": [{"siret": "24561443300010", "commune_insee": "56178"}],
        }
    )

    siret: Siret | None = None
    commune_insee: InseeCommuneCode | None = None
    admin_status: SiteAdminStatus | None = Field(
        default=None,
        description="Administrative status of the establishment (SIRET) in the SIRENE "
        "register as declared by the holder (A active, F closed); counts only when the "
        "holder's `registry_attested` is true.",
        examples=["A"],
    )

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if self.siret is None and self.commune_insee is None:
            raise ValueError("give the site's siret or commune_insee (or both)")
        return self


class SiteRead(Schema):
    """The project site; `region_code` is derived from the commune."""

    siret: str | None
    commune_insee: str | None = Field(examples=["56178"])
    region_code: str | None = Field(examples=["53"])
    admin_status: SiteAdminStatus | None = Field(
        default=None, description="Declared SIRENE status of the establishment (A, F)."
    )


class NoRelocation(InputSchema):
    """The project brings back no activity from abroad (`flag` false or left out)."""

    flag: Literal[False] = False
    from_country: None = None


class RelocationFromAbroad(InputSchema):
    """The project brings back to France an activity from abroad, from `from_country` if known."""

    flag: Literal[True]
    from_country: CountryCode | None = None


class Relocation(InputSchema):
    """Whether the project brings back to France an activity from abroad.

    Documented as its two shapes: `from_country` only with `flag` true.
    """

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"flag": True, "from_country": "CN"}]}
    )

    flag: bool = False
    from_country: CountryCode | None = None

    __get_pydantic_json_schema__ = documented_as(NoRelocation | RelocationFromAbroad)

    @model_validator(mode="after")
    def _country_with_flag(self) -> Self:
        if self.from_country is not None and not self.flag:
            raise ValueError("from_country is only meaningful when flag is true")
        return self


class ProjectContact(InputSchema):
    """A professional contact for the project (personal data: keep it minimal)."""

    full_name: ShortText = Field(examples=["Jeanne Martin"])
    role: ShortText = Field(examples=["Directrice industrielle"])
    email: Email | None = Field(default=None, examples=["j.martin@fonderies-bretagne.fr"])
    phone: str | None = Field(
        default=None, pattern=r"^\+?[0-9 .()-]{6,20}$", examples=["+33 2 97 27 33 00"]
    )


def _check_dates(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValueError("planned_end must not be before planned_start")


class ProjectCreate(InputSchema):
    """A new industrial project (created as a draft).

    Territory keys create projects in their own territory (`territory_id` may be
    omitted); only admins create projects outside any Territoire d'industrie.
    """

    territory_id: FromText[uuid.UUID] | None = Field(
        default=None, description="The Territoire d'industrie; null: outside any (admins only)."
    )
    title: ShortText = Field(examples=["Nouvelle ligne de fonderie basse pression"])
    description: LongText = ""
    nature: FromText[ProjectNature] = Field(examples=["extension"])
    priorities: list[FromText[Priority]] = Field(
        default_factory=list, max_length=4, examples=[["decarbonation", "recrutement"]]
    )
    holder: Holder
    site: Site
    investment_total_cents: AmountCents = Field(examples=[1_250_000_000])
    planned_start: IsoDate | None = Field(default=None, examples=["2027-03-01"])
    planned_end: IsoDate | None = Field(default=None, examples=["2028-06-30"])
    jobs_created: Jobs = Field(default=0, examples=[35])
    jobs_maintained: Jobs = Field(default=0, examples=[180])
    relocation: Relocation = Field(default_factory=Relocation)
    is_collective: bool = Field(
        default=False, description="Several companies; the lead carries the costs."
    )
    contacts: list[ProjectContact] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        _check_dates(self.planned_start, self.planned_end)
        if len(set(self.priorities)) != len(self.priorities):
            raise ValueError("each priority may appear only once")
        return self


class ProjectUpdate(InputSchema):
    """Changes to a draft project; nested objects (holder, site…) are replaced whole.

    Absent fields are left as they are; null clears a planned date.
    """

    title: Omittable[ShortText] = None
    description: Omittable[LongText] = None
    nature: Omittable[FromText[ProjectNature]] = None
    priorities: Omittable[list[FromText[Priority]]] = Field(default=None, max_length=4)
    holder: Omittable[Holder] = None
    site: Omittable[Site] = None
    investment_total_cents: Omittable[AmountCents] = None
    planned_start: IsoDate | None = None
    planned_end: IsoDate | None = None
    jobs_created: Omittable[Jobs] = None
    jobs_maintained: Omittable[Jobs] = None
    relocation: Omittable[Relocation] = None
    is_collective: Omittable[bool] = None
    contacts: Omittable[list[ProjectContact]] = Field(default=None, max_length=10)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        _check_dates(self.planned_start, self.planned_end)
        if self.priorities is not None and len(set(self.priorities)) != len(self.priorities):
            raise ValueError("each priority may appear only once")
        return self


class TransitionRequest(InputSchema):
    """The body of a lifecycle action: why it is done (recorded in the audit log)."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = (
        Field(default=None, examples=["Dossier complet, validé en comité de pilotage."])
    )


class ProjectRead(Schema):
    """An industrial project."""

    id: uuid.UUID
    territory_id: uuid.UUID | None
    status: ProjectStatus
    title: str
    description: str
    nature: ProjectNature
    priorities: list[Priority]
    holder: HolderRead
    site: SiteRead
    investment_total_cents: int
    planned_start: date | None
    planned_end: date | None
    jobs_created: int
    jobs_maintained: int
    relocation: Relocation
    is_collective: bool
    contacts: list[ProjectContact]
    allowed_actions: list[str] = Field(
        description="Lifecycle actions possible now (POST /v1/projects/{id}/{action}).",
        examples=[["submit", "withdraw"]],
    )
    submitted_at: datetime | None
    version: int = Field(description="Current version; also sent as the ETag.")
    created_at: datetime
    updated_at: datetime
