"""Application contract: create, update, read, completeness."""

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from shared.applications.enums import ApplicationStatus, ExpenseCategory, TerritoryOpinion
from shared.classification import Priority, ProjectNature
from shared.funds.models import AidForm
from shared.projects.schemas import HolderRead, Relocation, SiteRead
from shared.schemas import InputSchema, Omittable, Schema
from shared.types import AmountCents, FromText, IsoDate, JsonObject, ShortText, Siren

Commitment = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500, pattern=r"\S")
]


_EXPENSE_HOLDER = (
    "Collective project: the SIREN of the company that carries the eligible expenses "
    "(the acceleration fund requires the lead applicant to carry them all)."
)


class ExpenseLine(InputSchema):
    """One planned expense of the project."""

    category: FromText[ExpenseCategory] = Field(examples=["equipment"])
    amount_cents: AmountCents = Field(examples=[480_000_000])
    description: Annotated[str, StringConstraints(max_length=500)] = Field(
        default="", examples=["Cellule de coulée basse pression"]
    )
    leased: bool = Field(default=False, description="Financed by leasing (crédit-bail).")
    planned_date: IsoDate | None = Field(default=None, examples=["2027-04-15"])


class Engagements(InputSchema):
    """The applicant's commitments (engagements solidarités et transition écologique)."""

    solidarites: list[Commitment] = Field(
        default_factory=list,
        max_length=20,
        description="Commitments on skills, apprenticeship, inclusion (engagements solidarités).",
        examples=[["Accueil de 6 apprentis par an", "Recrutement via France Travail"]],
    )
    transition_ecologique: list[Commitment] = Field(
        default_factory=list,
        max_length=20,
        description="Commitments on decarbonisation and resources.",
        examples=[["Réduction de 30 % de la consommation de gaz du four"]],
    )


class Attestations(InputSchema):
    """Sworn statements; null means not answered yet."""

    tax_social_ok: bool | None = Field(default=None, description="Tax and social dues up to date.")
    not_started: bool | None = Field(
        default=None, description="Work not started (incentive effect)."
    )
    not_in_difficulty: bool | None = Field(
        default=None,
        description="Not a company in difficulty (GBER art. 2(18)); contradicts a holder "
        "declared in difficulty on the project.",
    )
    difficulty_exit_proven: bool | None = Field(
        default=None,
        description="A holder in difficulty brings evidence that it has left that status "
        "(attached to the application; the operator judges it at review).",
    )
    permits_obtained: bool | None = Field(default=None, description="Permits obtained.")
    financing_secured: bool | None = Field(default=None, description="Financing plan secured.")


class Attachment(InputSchema):
    """Metadata of a document held by the applicant portal (the file itself is not stored here)."""

    name: ShortText = Field(examples=["kbis.pdf"])
    media_type: Annotated[str, StringConstraints(pattern=r"^[a-z]+/[a-z0-9.+-]+$")] = Field(
        examples=["application/pdf"]
    )
    size_bytes: int = Field(ge=0, le=500_000_000, examples=[184_233])
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
    )


class _AmountsCoherent(InputSchema):
    @model_validator(mode="after")
    def _requested_within_base(self) -> Self:
        requested = getattr(self, "requested_amount_cents", None)
        base = getattr(self, "eligible_expense_base_cents", None)
        if requested is not None and base is not None and requested > base:
            raise PydanticCustomError(
                "amount-exceeds-base",
                "requested_amount_cents cannot exceed eligible_expense_base_cents",
            )
        return self


class ApplicationCreate(_AmountsCoherent):
    """A new draft application of an active project to an open fund."""

    project_id: FromText[uuid.UUID]
    fund_code: Annotated[str, StringConstraints(max_length=64)] = Field(
        examples=["fonds-acceleration"]
    )
    applicant_siren: Siren | None = Field(
        default=None, description="Defaults to the project holder's SIREN."
    )
    expense_holder_siren: Siren | None = Field(default=None, description=_EXPENSE_HOLDER)
    requested_amount_cents: AmountCents | None = Field(default=None, examples=[90_000_000])
    eligible_expense_base_cents: AmountCents | None = Field(default=None, examples=[980_000_000])
    expense_lines: list[ExpenseLine] = Field(default_factory=list, max_length=200)
    aid_form: FromText[AidForm] | None = Field(default=None, examples=["subsidy"])
    prior_deminimis_cents: AmountCents | None = Field(
        default=None,
        description="De minimis aid received over the last 3 years (cents), as the applicant "
        "declares it; absent or null: not declared, so unknown (never taken as 0).",
        examples=[12_000_000],
    )
    engagements: Engagements = Field(default_factory=Engagements)
    attestations: Attestations = Field(default_factory=Attestations)
    territory_opinion: FromText[TerritoryOpinion] | None = None
    answers: JsonObject = Field(
        default_factory=dict,
        description="Answers to the fund's own questions (validated by its `question_schema`).",
        examples=[{"production_capacity_tonnes": 12000}],
    )
    attachments: list[Attachment] = Field(default_factory=list, max_length=50)


class ApplicationUpdate(_AmountsCoherent):
    """Changes to a draft application; absent fields are left as they are, null clears one."""

    applicant_siren: Omittable[Siren] = None
    expense_holder_siren: Siren | None = Field(default=None, description=_EXPENSE_HOLDER)
    requested_amount_cents: AmountCents | None = None
    eligible_expense_base_cents: AmountCents | None = None
    expense_lines: Omittable[list[ExpenseLine]] = Field(default=None, max_length=200)
    aid_form: FromText[AidForm] | None = None
    prior_deminimis_cents: AmountCents | None = None
    engagements: Omittable[Engagements] = None
    attestations: Omittable[Attestations] = None
    territory_opinion: FromText[TerritoryOpinion] | None = None
    answers: Omittable[JsonObject] = None
    attachments: Omittable[list[Attachment]] = Field(default=None, max_length=50)


class ProjectSnapshot(Schema):
    """The project's scoring inputs, frozen at submission."""

    project_id: uuid.UUID
    version: int
    territory_id: uuid.UUID | None
    title: str
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


class InformationRequestRead(Schema):
    """The operator's open (or last) request for information."""

    items: list[str] = Field(examples=[["/expense_lines", "document:plan-de-financement"]])
    message: str
    due_on: date
    requested_at: datetime
    answered_at: datetime | None = None
    answer: str | None = None


class DecisionRead(Schema):
    """The last decision: preselection, not retained, approval or rejection."""

    kind: str = Field(examples=["approved"])
    decided_at: datetime
    reason_code: str | None = Field(default=None, examples=[None])
    reason_text: str | None = Field(default=None, examples=[None])
    comment: str | None = Field(default=None, examples=[None])
    amount_cents: int | None = Field(default=None, examples=[120_000_000])
    aid_form: str | None = Field(default=None, examples=["subsidy"])
    regime: str | None = Field(default=None, examples=["gber_regional_investment"])
    gross_grant_equivalent_cents: int | None = Field(default=None, examples=[120_000_000])
    conditions: list[str] = Field(default_factory=list)
    financer: str | None = Field(default=None, examples=["state"])
    ceiling: dict[str, Any] | None = Field(
        default=None,
        description="The State-aid ceiling the award was checked against: the regime, the "
        "cap and the figures used (register, declaration, size, zone, base, intensity).",
        examples=[None],
    )


class AgreementRead(Schema):
    """The signed funding agreement."""

    signed_on: date
    reference: str = Field(examples=["CONV-2027-0042"])


class ApplicationRead(Schema):
    """An application to a fund."""

    id: uuid.UUID
    project_id: FromText[uuid.UUID]
    fund_code: str = Field(examples=["fonds-acceleration"])
    status: ApplicationStatus
    territory_id: uuid.UUID | None
    region_code: str | None
    applicant_siren: str
    expense_holder_siren: str | None = Field(default=None, description=_EXPENSE_HOLDER)
    requested_amount_cents: int | None
    eligible_expense_base_cents: int | None
    expense_lines: list[ExpenseLine]
    aid_form: AidForm | None
    prior_deminimis_cents: int | None = Field(
        description="Declared de minimis aid over 3 years; null: not declared (unknown)."
    )
    engagements: Engagements
    attestations: Attestations
    territory_opinion: TerritoryOpinion | None
    answers: dict[str, Any]
    attachments: list[Attachment]
    project_snapshot: ProjectSnapshot | None = Field(
        description="Scoring inputs frozen at the last submission."
    )
    submission_no: int = Field(description="How many times it was submitted.")
    submitted_at: datetime | None
    assignee: str | None = Field(description="Who instructs it at the operator.")
    information_request: InformationRequestRead | None
    information_overdue: bool = Field(
        description="Information was requested and its due date has passed unanswered."
    )
    decision: DecisionRead | None
    awarded_cents: int | None = Field(description="The amount approved (cents).")
    agreement: AgreementRead | None
    allowed_actions: list[str] = Field(
        description="Lifecycle actions possible now (POST /v1/applications/{id}/{action}).",
        examples=[["submit", "withdraw"]],
    )
    version: int = Field(description="Current version; also sent as the ETag.")
    created_at: datetime
    updated_at: datetime


class MissingItem(Schema):
    """Something the applicant fills in: where (resource and JSON pointer) and why."""

    pointer: str = Field(
        description="JSON pointer into the resource's request body.", examples=["/aid_form"]
    )
    detail: str = Field(examples=["choose an aid form the fund offers: subsidy"])
    resource: Literal["application", "project"] = Field(
        default="application",
        description="The resource the pointer is in: this application, or its project "
        "(`PATCH /v1/projects/{project_id}`).",
    )
    required: bool = Field(
        default=True,
        description="Needed before submission (the fund's form or an eligibility gate); "
        "false: optional, but a score criterion awards no points without it.",
    )
    input: str | None = Field(
        default=None,
        description="The eligibility input this fills (a path of the evaluation context).",
        examples=["application.aid_form"],
    )
    criteria: list[str] = Field(
        default_factory=list,
        description="The criteria of the fund's current ruleset that need it.",
        examples=[["G06_min_expense_base"]],
    )


class ProgrammeDataItem(Schema):
    """An input the programme's reference data lacks: the applicant cannot supply it."""

    input: str = Field(examples=["zonings.QPV"])
    detail: str = Field(
        examples=["no QPV zoning data covers commune 56178 on 2027-01-15"],
    )
    criteria: list[str] = Field(default_factory=list, examples=[["S02_fragile_territory"]])


class FundWindow(Schema):
    """The fund's submission window."""

    opens_at: datetime | None
    closes_at: datetime | None
    open_now: bool


class Completeness(Schema):
    """What is missing before the application can be submitted.

    `missing` lists what the applicant provides (the fund's form, and every input the
    fund's current ruleset needs); `complete` is true when no required item is left.
    `programme_data_missing` lists the inputs tidi's reference data lacks for this
    application (zoning coverage of the site's commune, say): they do not block the
    submission, but the criteria that need them stay undetermined until the data exists.
    """

    complete: bool
    missing: list[MissingItem]
    programme_data_missing: list[ProgrammeDataItem] = Field(default_factory=list)
    ruleset_version: int | None = Field(
        default=None, description="The fund's current ruleset version the inputs come from."
    )
    window: FundWindow
