"""Ruleset administration contract: versions with their sources, checks, dry-runs and
rescoring progress."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.applications.enums import ApplicationStatus
from shared.eligibility.models import AssessmentOutcome, RulesetStatus
from shared.eligibility.schemas import AssessmentRead
from shared.schemas import ProblemFieldError, Schema
from shared.types import JsonObject

RULESET_EXAMPLE = {
    "fund_code": "fonds-friches",
    "version": 2,
    "label_fr": "Fonds friches — recyclage foncier",
    "params": {"max_months_to_start": 24},
    "criteria": [
        {
            "id": "F08_site_in_france",
            "label_fr": "Site en France",
            "kind": "gate",
            "source": "assumption",
            "expr": {"op": "valid_commune", "arg": {"op": "field", "path": "site.commune_insee"}},
            "explanation": "Commune du site : {site.commune_insee}.",
        }
    ],
    "max_score": None,
}


class RulesetVersionSummary(Schema):
    """One version of a fund's ruleset, without its definition."""

    id: uuid.UUID
    fund_code: str = Field(examples=["fonds-friches"])
    version: int = Field(description="Numbered per fund, from 1.", examples=[2])
    status: RulesetStatus = Field(
        description="A draft may still change; a published version never does.",
        examples=["draft"],
    )
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = Field(
        description="When it started screening the fund's applications; null for a draft."
    )


class SourceRead(Schema):
    """A document criteria cite, from the catalogue of sources."""

    number: int = Field(description="Its number, as criteria cite it.", examples=[9])
    title: str = Field(
        examples=["Soutenir l'investissement dans les territoires – Territoires d'Industrie"]
    )
    issuer: str = Field(description="Who published it.", examples=["Aides-territoires"])
    date: str | None = Field(
        description=(
            "When it was published, in ISO 8601 as precisely as known (`2021-03-25`, "
            "`2021-03`); null when unknown."
        ),
        pattern=r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$",
        examples=["2021-03-25"],
    )
    urls: list[str] = Field(
        description="Where to read it, as published (a mirror or relay may follow).",
        examples=[
            [
                "https://aides-territoires.beta.gouv.fr/aides/7fb0-soutenir-linvestissement-"
                "dans-les-territoires/"
            ]
        ],
    )


class RulesetVersionRead(RulesetVersionSummary):
    """One version of a fund's ruleset with its JSON definition and the documents it cites."""

    definition: JsonObject = Field(
        description="The ruleset document (criteria, parameters), as the engine validated it.",
        examples=[RULESET_EXAMPLE],
    )
    sources: list[SourceRead] = Field(
        description=(
            "The documents its criteria cite (`source` numbers), by number; criteria that "
            'say "assumption" cite none.'
        )
    )


class RulesetVersionList(Schema):
    """The ruleset versions of a fund, latest first."""

    items: list[RulesetVersionSummary]


class RulesetCheck(Schema):
    """Whether a stored ruleset version passes the engine's validation today."""

    fund_code: str = Field(examples=["fonds-friches"])
    version: int = Field(examples=[2])
    valid: bool = Field(examples=[True])
    errors: list[ProblemFieldError] = Field(
        description="Each fault, located by a JSON pointer into the definition.",
        examples=[[]],
    )
    gates: int = Field(description="How many gates (0 when invalid).", examples=[10])
    scores: int = Field(description="How many scores (0 when invalid).", examples=[6])
    points_total: int = Field(description="The best possible total.", examples=[100])


class DryRunItem(Schema):
    """How publishing the draft would change one application's verdict and points."""

    application_id: uuid.UUID
    status: ApplicationStatus = Field(examples=["eligible"])
    status_would_change: bool = Field(
        description=(
            "Whether rescoring may move the status (only before pre-selection) and the "
            "outcome changes."
        ),
        examples=[False],
    )
    before_outcome: AssessmentOutcome | None = Field(
        description="Under the published version; null when the fund has none.",
        examples=["eligible"],
    )
    after_outcome: AssessmentOutcome = Field(examples=["eligible"])
    before_points: float | None = Field(examples=[62.5])
    after_points: float = Field(examples=[70.0])
    delta: float = Field(description="after_points − before_points (0 before).", examples=[7.5])


class DryRunSummary(Schema):
    """The effect of publishing the draft over the fund's submitted applications."""

    evaluated: int = Field(description="Submitted (non-draft) applications.", examples=[120])
    outcome_changed: int = Field(examples=[4])
    points_changed: int = Field(examples=[37])
    improved: int = Field(examples=[30])
    worsened: int = Field(examples=[7])
    mean_delta: float = Field(examples=[1.25])
    min_delta: float = Field(examples=[-10.0])
    max_delta: float = Field(examples=[15.0])
    transitions: dict[str, int] = Field(
        description="Applications per `before→after` outcome pair that changed.",
        examples=[{"eligible→ineligible": 3, "undetermined→eligible": 1}],
    )
    failed: int = Field(
        description="Applications the engine could not evaluate (not in `items`).",
        examples=[0],
    )


class DryRunReport(Schema):
    """What publishing a draft would do: nothing is stored."""

    fund_code: str = Field(examples=["fonds-friches"])
    version: int = Field(description="The draft evaluated.", examples=[2])
    baseline_version: int | None = Field(
        description="The published version compared with; null when none.", examples=[1]
    )
    summary: DryRunSummary
    items: list[DryRunItem] = Field(
        description=(
            "The applications whose outcome or points change, outcome changes first, "
            "then by decreasing |delta|, then by id."
        )
    )
    items_truncated: bool = Field(
        description="Whether `items` was cut at its maximum length.", examples=[False]
    )


class DryRunRead(Schema):
    """A dry-run of a draft, run in the background: its progress and, once completed, its
    report. Kept 7 days after it completes (7 days after it started if it never does), then
    purged: it is then a 404."""

    id: uuid.UUID
    fund_code: str = Field(examples=["fonds-friches"])
    version: int = Field(description="The draft evaluated.", examples=[2])
    baseline_version: int | None = Field(
        description="The published version compared with; null when none.", examples=[1]
    )
    state: Literal["running", "completed"] = Field(examples=["running"])
    done: int = Field(description="Applications evaluated so far.", examples=[40_000])
    total: int = Field(
        description="Submitted (non-draft) applications of the fund when it started (or done, "
        "if more were submitted since).",
        examples=[100_000],
    )
    created_at: datetime
    completed_at: datetime | None
    expires_at: datetime = Field(description="When the result is purged.")
    report: DryRunReport | None = Field(
        description="Outcome changes and score deltas; null until completed."
    )


class RescoreProgress(Schema):
    """How far the rescoring of a fund's applications under a published version went."""

    fund_code: str = Field(examples=["fonds-friches"])
    ruleset_version: int = Field(examples=[2])
    state: str = Field(
        description=(
            "`in_progress`, `completed` (nothing remains), or `superseded` (a higher "
            "version was published: its own rescoring takes over)."
        ),
        examples=["in_progress"],
    )
    total: int = Field(
        description="Submitted applications this version screens or has screened.",
        examples=[1200],
    )
    done: int = Field(description="Assessed under this version.", examples=[800])
    failed: int = Field(
        description="In screening_error without an assessment (rescore them one by one).",
        examples=[0],
    )
    remaining: int = Field(examples=[400])


class RescoreStarted(Schema):
    """The rescoring of the fund under this version was (re)queued."""

    fund_code: str = Field(examples=["fonds-friches"])
    ruleset_version: int = Field(examples=[2])
    job_ids: list[str] = Field(
        description="The first batch of each shard of the rescoring.",
        examples=[["rescore:5b0c6f0e-8a52-4a55-9a50-2f4f1d7d3a11:0/8:start:3f1c2b9a0d4e"]],
    )


class RescoreResult(Schema):
    """The outcome of rescoring one application."""

    application_id: uuid.UUID
    status: ApplicationStatus = Field(examples=["eligible"])
    version: int = Field(description="The application's new ETag value.", examples=[5])
    assessment: AssessmentRead | None = Field(
        description="The new assessment; null when the engine failed again."
    )
