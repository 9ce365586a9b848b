"""Eligibility contract: assessments with per-criterion results, and simulations."""

import uuid
from datetime import datetime
from typing import Any

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
from shared.types import AmountCents, JsonObject, Siren


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
    aid_form: AidForm | None = Field(default=None, examples=["subsidy"])
    prior_deminimis_cents: AmountCents = Field(default=0, examples=[12_000_000])
    engagements: Engagements = Field(default_factory=Engagements)
    attestations: Attestations = Field(default_factory=Attestations)
    territory_opinion: TerritoryOpinion | None = None
    answers: JsonObject = Field(
        default_factory=dict,
        description="Answers to the fund's own questions.",
        examples=[{"friche_vacant_or_degraded": True}],
    )


class SimulationInput(InputSchema):
    """A what-if evaluation: nothing is stored."""

    application: SimulatedApplication
    project: ProjectCreate
    submitted_at: datetime | None = Field(
        default=None, description="The submission date to assume; now when omitted."
    )
