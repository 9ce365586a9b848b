"""The review and decision contract: each action's request body, and the published lists
of reason codes and aid regimes."""

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.budgets.models import Financer
from shared.schemas import InputSchema, Schema
from shared.stateaid.regimes import AidRegime
from shared.types import AmountCents, FromText, IsoDate, ShortText

LongMessage = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000, pattern=r"\S")
]


class ReasonCode(StrEnum):
    """Why an application is not retained or rejected (the published list)."""

    INELIGIBLE_ON_REVIEW = "ineligible_on_review"
    INCOMPLETE_AFTER_DEADLINE = "incomplete_after_deadline"
    INSUFFICIENT_MATURITY = "insufficient_maturity"
    ENVELOPE_EXHAUSTED = "envelope_exhausted"
    STATE_AID_CEILING = "state_aid_ceiling"
    OTHER = "other"


REASON_LABELS = {
    ReasonCode.INELIGIBLE_ON_REVIEW: "Inéligible après instruction",
    ReasonCode.INCOMPLETE_AFTER_DEADLINE: "Dossier incomplet à l'échéance de la demande",
    ReasonCode.INSUFFICIENT_MATURITY: "Maturité insuffisante du projet",
    ReasonCode.ENVELOPE_EXHAUSTED: "Enveloppe épuisée",
    ReasonCode.STATE_AID_CEILING: "Plafond d'aides d'État atteint",
    ReasonCode.OTHER: "Autre motif (précisé dans le texte)",
}


class Refusal(InputSchema):
    """Not retained or rejected: a reason code from the published list, and its text."""

    reason_code: FromText[ReasonCode] = Field(examples=["insufficient_maturity"])
    reason_text: LongMessage = Field(
        examples=["Permis de construire non déposé ; démarrage au-delà de 12 mois."]
    )


class Preselection(InputSchema):
    """The regional preselection (préfet de région and Région)."""

    comment: LongMessage | None = Field(
        default=None, examples=["Projet prioritaire du comité régional du 12 mars"]
    )


class ReviewStart(InputSchema):
    """The operator takes the application into instruction."""

    assignee: ShortText = Field(
        description="Who instructs it (a team or a reference, not a personal email).",
        examples=["Bpifrance DR Rennes — chargé d'affaires 12"],
    )


ANSWERABLE_FIELDS = (
    "requested_amount_cents",
    "eligible_expense_base_cents",
    "expense_lines",
    "aid_form",
    "prior_deminimis_cents",
    "engagements",
    "attestations",
    "answers",
    "attachments",
)
"""Top-level fields an information request may name (the territory PATCHes them)."""

RequestedItem = Annotated[
    str,
    StringConstraints(
        max_length=300,
        pattern=rf"^(document:[a-z0-9_-]{{1,64}}|/({'|'.join(ANSWERABLE_FIELDS)})(/[^/]+)*)$",
    ),
    Field(
        description="A JSON pointer into one of the application's fields the territory may "
        "change, or `document:<kind>` for an attachment to add.",
        examples=["/answers/production_capacity_tonnes"],
    ),
]


class InformationRequestCreate(InputSchema):
    """What the operator needs, by when: the territory answers through the API."""

    items: list[RequestedItem] = Field(
        min_length=1,
        max_length=50,
        description="JSON pointers into the application (fields the territory may then "
        "PATCH), or `document:<kind>` for an attachment to add.",
        examples=[["/expense_lines", "document:plan-de-financement"]],
    )
    message: LongMessage = Field(
        examples=["Merci de détailler les devis des équipements et le plan de financement."]
    )
    due_on: IsoDate = Field(description="Answer expected by this date.", examples=["2027-02-15"])


class InformationAnswer(InputSchema):
    """The territory's answer to an information request (after PATCHing the fields named)."""

    message: LongMessage | None = Field(
        default=None, examples=["Devis et plan de financement ajoutés."]
    )


class Approval(InputSchema):
    """The award: amount, aid form, State-aid regime, conditions."""

    amount_cents: Annotated[int, Field(gt=0, le=10**15)] = Field(examples=[120_000_000])
    aid_form: Literal["subsidy", "repayable_advance"] = Field(examples=["subsidy"])
    regime: FromText[AidRegime] = Field(
        description="The State-aid regime: the award's gross grant equivalent must fit its "
        "ceiling for this applicant (de minimis room, or the regime's intensity for its EU "
        "size and the site's AFR zone, on the expense base).",
        examples=["gber_art17_sme"],
    )
    gross_grant_equivalent_cents: AmountCents | None = Field(
        default=None,
        description="The aid's gross grant equivalent; a subsidy's is its amount (the "
        "default), a repayable advance's is lower and must be given.",
        examples=[None],
    )
    conditions: list[LongMessage] = Field(
        default_factory=list,
        max_length=20,
        examples=[["Maintien des 35 emplois pendant 3 ans"]],
    )
    financer: FromText[Financer] | None = Field(
        default=None,
        description="Whose envelope carries the award; needed when several financers have "
        "envelopes covering the application.",
        examples=["state"],
    )


class Agreement(InputSchema):
    """The signed funding agreement (convention)."""

    signed_on: IsoDate = Field(examples=["2027-03-01"])
    reference: ShortText = Field(examples=["CONV-2027-0042"])


class PaymentCreate(InputSchema):
    """A tranche paid against the award's commitment."""

    amount_cents: Annotated[int, Field(gt=0, le=10**15)] = Field(examples=[45_000_000])
    paid_on: IsoDate = Field(examples=["2027-04-10"])
    reference: str = Field(default="", max_length=200, examples=["VIR-2027-000184"])


class Closing(InputSchema):
    """Closing the file once the award is paid."""

    comment: LongMessage | None = Field(default=None, examples=["Solde versé ; dossier clos."])


class ReasonRead(Schema):
    """One code of the published list of reasons."""

    code: ReasonCode
    label: str = Field(examples=["Maturité insuffisante du projet"])


class ReasonList(Schema):
    """The published reason codes."""

    items: list[ReasonRead]
