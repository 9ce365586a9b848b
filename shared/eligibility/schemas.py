"""Eligibility contract: assessments with per-criterion results, and simulations."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field

from shared.applications.enums import TerritoryOpinion
from shared.applications.schemas import (
    Attestations,
    Engagements,
    ExpenseLine,
    _AmountsCoherent,
)
from shared.eligibility.models import AssessmentOutcome
from shared.eligibility.rules import CriterionKind, CriterionStatus
from shared.funds.models import AidForm
from shared.projects.schemas import ProjectCreate
from shared.schemas import InputSchema, Schema
from shared.types import AmountCents, FromText, JsonObject, Siren, UtcDatetime


class CriterionResult(Schema):
    """How one criterion of the ruleset went for this application."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "F04_economic_deficit",
                    "kind": "gate",
                    "label_fr": "Déficit économique résiduel de l'opération",
                    "status": "pass",
                    "points": 0.0,
                    "max_points": 0,
                    "value": True,
                    "inputs": {"answers.economic_deficit_cents": 2_000_000_000},
                    "missing": [],
                    "source": [33],
                    "explanation": "Satisfait. Déficit de l'opération : 20 000 000 €.",
                }
            ]
        }
    )

    id: str = Field(description="The criterion id, e.g. `G06_min_expense_base`.")
    kind: CriterionKind = Field(examples=["gate"])
    label_fr: str = Field(examples=["Assiette de dépenses éligibles minimale"])
    status: CriterionStatus = Field(examples=["pass"])
    points: float = Field(description="Points awarded (scores only).", examples=[0.0])
    max_points: int = Field(examples=[0])
    value: bool | float | None = Field(
        description="The gate's verdict or the score's value in [0, 1]; null when unknown.",
        examples=[True],
    )
    inputs: dict[str, Any] = Field(
        description="Each input the criterion read and its value (null when missing).",
        examples=[{"application.eligible_expense_base_cents": 980_000_000}],
    )
    missing: list[str] = Field(
        description="Inputs whose absence left the criterion undetermined.", examples=[[]]
    )
    source: list[int] | str = Field(
        description="Numbers of the research sources, or `assumption`.", examples=[[3, 7]]
    )
    explanation: str = Field(
        examples=["Satisfait. Assiette de 9 800 000 € pour un minimum de 1 000 000 €."]
    )


class OutcomeRead(Schema):
    """The verdict of a fund's ruleset on one application's inputs."""

    fund_code: str = Field(examples=["fonds-friches"])
    ruleset_version: int = Field(examples=[1])
    outcome: AssessmentOutcome = Field(examples=["eligible"])
    total_points: float = Field(description="Sum of the criteria's points.", examples=[62.5])
    max_points: int = Field(examples=[100])
    missing_inputs: list[str] = Field(
        description="Inputs to complete before the verdict can be decided.",
        examples=[[]],
    )
    failed_gates: list[str] = Field(examples=[[]])
    unknown_gates: list[str] = Field(examples=[[]])
    criteria: list[CriterionResult]


class AssessmentRead(OutcomeRead):
    """An immutable assessment of one submission under one ruleset version."""

    id: uuid.UUID
    application_id: uuid.UUID
    submission_no: int = Field(examples=[1])
    created_at: datetime


class AssessmentList(Schema):
    """The assessments of an application, latest first."""

    items: list[AssessmentRead]


class SimulatedApplication(_AmountsCoherent):
    """The application inputs of a simulation (an `ApplicationCreate` without its project)."""

    applicant_siren: Siren | None = Field(
        default=None, description="Defaults to the project holder's SIREN."
    )
    requested_amount_cents: AmountCents | None = Field(default=None, examples=[150_000_000])
    eligible_expense_base_cents: AmountCents | None = Field(default=None, examples=[980_000_000])
    expense_lines: list[ExpenseLine] = Field(default_factory=list, max_length=200)
    aid_form: FromText[AidForm] | None = Field(default=None, examples=["subsidy"])
    prior_deminimis_cents: AmountCents | None = Field(
        default=None,
        description="Declared de minimis aid over 3 years; absent or null: unknown.",
        examples=[12_000_000],
    )
    engagements: Engagements = Field(default_factory=Engagements)
    attestations: Attestations = Field(default_factory=Attestations)
    territory_opinion: FromText[TerritoryOpinion] | None = None
    answers: JsonObject = Field(
        default_factory=dict,
        description="Answers to the fund's own questions.",
        examples=[{"friche_vacant_or_degraded": True}],
    )


class SimulationInput(InputSchema):
    """A what-if evaluation: nothing is stored."""

    application: SimulatedApplication
    project: ProjectCreate
    submitted_at: UtcDatetime | None = Field(
        default=None, description="The submission date to assume; now when omitted."
    )


# --- project screening and ranking ------------------------------------------------------
ScreeningState = Literal["pass", "fail", "needs_application_input", "unknown", "not_applicable"]
Prospect = Literal["eligible", "eligible_if_completed", "undetermined", "ineligible"]


class CriterionScreening(Schema):
    """One criterion on a project alone: `fail` is a failure on what the project is;
    `needs_application_input` waits only for what an application supplies (amounts,
    attestations, commitments, the fund's questions); `unknown` lacks project facts or
    the programme's data."""

    id: str = Field(description="The criterion id, e.g. `G12_engagements_filled`.")
    state: ScreeningState = Field(examples=["needs_application_input"])
    to_provide: list[str] = Field(
        description="The application inputs it waits for.",
        examples=[["application.engagements.solidarites"]],
    )
    missing_elsewhere: list[str] = Field(
        description="Missing project facts or programme data.", examples=[[]]
    )


class FundScreening(OutcomeRead):
    """The verdict of one open fund's current ruleset on a project.

    `outcome` and the criteria are the engine's, as for a simulation with no application
    inputs; `prospect` reads them: `ineligible` when a gate fails on what the project is,
    `eligible_if_completed` when every undecided gate waits only for application inputs,
    `undetermined` when project facts or programme data are missing too.
    """

    rank: int = Field(description="1 for the best match.", examples=[1])
    fund_name: str = Field(examples=["Fonds friches — recyclage foncier"])
    prospect: Prospect = Field(examples=["eligible_if_completed"])
    application_inputs: list[str] = Field(
        description="What an application to this fund must supply for its gates.",
        examples=[["application.attestations.tax_social_ok"]],
    )
    screening: list[CriterionScreening]


class ProjectScreening(Schema):
    """A project screened against every open fund: nothing is stored."""

    project_id: uuid.UUID
    screened_at: datetime
    items: list[FundScreening] = Field(
        description=(
            "By prospect (eligible, eligible if completed, undetermined, ineligible), then "
            "by decreasing points known, ties by fund code."
        )
    )


class RankedApplication(Schema):
    """An eligible application with its latest assessment."""

    application_id: uuid.UUID
    project_id: uuid.UUID
    project_title: str = Field(examples=["Nouvelle fonderie bas carbone"])
    territory_id: uuid.UUID | None
    region_code: str | None = Field(examples=["53"])
    requested_amount_cents: int | None = Field(examples=[150_000_000])
    submitted_at: datetime
    assessment_id: uuid.UUID
    ruleset_version: int = Field(examples=[1])
    total_points: float = Field(examples=[72.5])
    max_points: int = Field(examples=[100])
