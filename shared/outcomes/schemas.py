"""The outcomes contract: a report of what a funded project achieved, and the history of an
application's reports beside the figures its project planned."""

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from shared.projects.schemas import Jobs
from shared.schemas import InputSchema, Schema
from shared.types import AmountCents, IsoDate

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class OutcomeReportCreate(InputSchema):
    """What the project has achieved at a date: jobs actually created and maintained, and
    investment actually made (cumulative figures at `reported_on`)."""

    reported_on: IsoDate = Field(
        description="The date the figures describe: not in the future, not before the "
        "agreement was signed.",
        examples=["2028-06-30"],
    )
    jobs_created: Jobs = Field(description="Jobs actually created so far.", examples=[28])
    jobs_maintained: Jobs = Field(description="Jobs actually maintained.", examples=[176])
    investment_cents: AmountCents = Field(
        description="Investment actually made so far, in euro cents.", examples=[980_000_000]
    )
    comment: Comment | None = Field(
        default=None, examples=["Ligne en production depuis mai ; 7 recrutements en cours."]
    )


class OutcomeReportRead(Schema):
    """One report of what an application's project achieved (reports never change)."""

    id: uuid.UUID
    application_id: uuid.UUID
    reported_on: date = Field(examples=["2028-06-30"])
    jobs_created: int = Field(examples=[28])
    jobs_maintained: int = Field(examples=[176])
    investment_cents: int = Field(examples=[980_000_000])
    comment: str | None = Field(examples=["Ligne en production depuis mai."])
    reported_by_role: str = Field(
        description="Who reported: territory or admin.", examples=["territory"]
    )
    created_at: datetime


class PlannedFigures(Schema):
    """What the project planned, as frozen in the application's project snapshot."""

    jobs_created: int = Field(examples=[35])
    jobs_maintained: int = Field(examples=[180])
    investment_cents: int = Field(examples=[1_250_000_000])


class OutcomeReportHistory(Schema):
    """An application's outcome reports, newest first, beside the planned figures; the
    latest report (the newest `reported_on`, then the newest written) is the one that counts."""

    application_id: uuid.UUID
    planned: PlannedFigures | None = Field(
        description="The project's planned figures at submission (null: never submitted)."
    )
    latest: OutcomeReportRead | None = Field(description="The report that counts (null: none yet).")
    items: list[OutcomeReportRead] = Field(description="This page of the reports, newest first.")
    next_cursor: str | None = Field(
        description="Opaque cursor of the next page; null on the last page.",
        examples=[None],
    )
