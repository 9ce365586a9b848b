"""The statistics contract: programme figures, in total, per territory and per region."""

import uuid

from pydantic import Field

from shared.applications.enums import ApplicationStatus
from shared.budgets.models import Financer
from shared.projects.enums import ProjectStatus
from shared.schemas import Schema
from shared.zonings.kinds import ZoningKind

Share = float | None


class ApplicationFigures(Schema):
    """Applications counted (submitted at least once), by current status."""

    count: int = Field(examples=[42])
    by_status: dict[ApplicationStatus, int] = Field(
        description="Every status, zeros included.",
        examples=[{"under_review": 12, "approved": 5, "funded": 20, "rejected": 5}],
    )


class ProjectFigures(Schema):
    """The projects of the applications counted, by their current status."""

    count: int = Field(examples=[40])
    by_status: dict[ProjectStatus, int] = Field(
        description="Every status, zeros included.", examples=[{"active": 32, "completed": 8}]
    )


class FinancerAmounts(Schema):
    """One financer's money on the applications counted."""

    financer: Financer = Field(examples=["state"])
    awarded_cents: int = Field(
        description="Awards in force (live commitments).", examples=[120_000_000]
    )
    committed_cents: int = Field(
        description="Held on the envelopes: awards in force, plus what cancelled awards paid.",
        examples=[125_000_000],
    )
    paid_cents: int = Field(examples=[60_000_000])


class AmountFigures(Schema):
    """Money: requested, awarded, committed and paid, in total and by financer."""

    requested_cents: int = Field(examples=[900_000_000])
    awarded_cents: int = Field(examples=[450_000_000])
    committed_cents: int = Field(examples=[470_000_000])
    paid_cents: int = Field(examples=[210_000_000])
    awarded_applications: int = Field(description="Awards in force.", examples=[25])
    by_financer: list[FinancerAmounts] = Field(description="State, Region, operator: each one.")


class JobFigures(Schema):
    """Jobs and investment: planned (each project's latest submitted snapshot) and reported
    (each project's latest outcome report)."""

    planned_created: int = Field(examples=[1_200])
    planned_maintained: int = Field(examples=[5_400])
    planned_investment_cents: int = Field(examples=[52_000_000_000])
    projects_reporting: int = Field(description="Projects with an outcome report.", examples=[18])
    reported_created: int = Field(examples=[640])
    reported_maintained: int = Field(examples=[3_100])
    reported_investment_cents: int = Field(examples=[21_000_000_000])


class RelocationFigures(Schema):
    """Projects bringing back to France an activity from abroad, and their jobs."""

    projects: int = Field(examples=[6])
    planned_jobs_created: int = Field(examples=[180])
    planned_jobs_maintained: int = Field(examples=[40])
    reported_jobs_created: int = Field(examples=[95])


class ZoningVintage(Schema):
    """A zoning list the fragility figures read (kind and vintage)."""

    kind: ZoningKind = Field(examples=["FRR_PLUS"])
    label: str = Field(examples=["FRR+"])
    vintage: str = Field(examples=["frr-2025"])


class FragileExtension(Schema):
    """A labelled extension of fragility (small towns), reported apart, never counted in it."""

    zonings: list[str] = Field(examples=[["PVD"]])
    projects: int = Field(examples=[4])
    project_share: Share = Field(examples=[0.1])


class FragileFigures(Schema):
    """Projects and money in fragile territories: the site's commune in one of `zonings` on
    the application's submission date, read from the zoning tables at the vintages listed."""

    zonings: list[str] = Field(examples=[["FRR", "FRR+", "QPV", "ACV"]])
    projects: int = Field(examples=[27])
    project_share: Share = Field(
        description="Of the projects counted (null when there are none).", examples=[0.675]
    )
    undetermined_projects: int = Field(
        description="Not shown fragile, and the zoning data does not cover every fragile "
        "kind for their site (unknown, never counted as not fragile).",
        examples=[2],
    )
    requested_cents: int = Field(examples=[600_000_000])
    requested_share: Share = Field(examples=[0.6667])
    awarded_cents: int = Field(examples=[300_000_000])
    awarded_share: Share = Field(examples=[0.6667])
    extension: FragileExtension
    vintages: list[ZoningVintage] = Field(description="The zoning lists read.")


class MonthFigures(Schema):
    """One month (UTC) of activity: submissions, awards, payments."""

    month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", examples=["2026-03"])
    submitted: int = Field(examples=[7])
    requested_cents: int = Field(examples=[140_000_000])
    awarded: int = Field(examples=[3])
    awarded_cents: int = Field(examples=[60_000_000])
    paid_cents: int = Field(examples=[25_000_000])


class DecisionDelays(Schema):
    """Days from submission to decision (approval, rejection or not retained)."""

    decided: int = Field(examples=[30])
    median_days: float | None = Field(examples=[41.5])
    p90_days: float | None = Field(examples=[88.0])


class TerritoryFigures(Schema):
    """The Territoires d'industrie with applications counted, and their intercommunalités."""

    count: int = Field(examples=[146])
    epcis: int = Field(
        description="Intercommunalités (EPCI) of those territories, each counted once.",
        examples=[542],
    )


class FinancerEndowment(Schema):
    """What one financer put into the envelopes."""

    financer: Financer = Field(examples=["region"])
    amount_cents: int = Field(examples=[14_300_000_000])


class EndowmentFigures(Schema):
    """The endowment: the budget envelopes of the funds in scope, by financer."""

    amount_cents: int = Field(examples=[85_000_000_000])
    by_financer: list[FinancerEndowment] = Field(
        description="State, Region, operator: each one, zeros included."
    )


class ProgrammeStats(Schema):
    """Programme figures over the applications in the caller's scope (submitted at least
    once) that match the filters."""

    applications: ApplicationFigures
    projects: ProjectFigures
    amounts: AmountFigures
    jobs: JobFigures
    relocation: RelocationFigures
    fragile: FragileFigures
    monthly: list[MonthFigures] = Field(
        description="Every month from the first to the last with activity, in order."
    )
    decision_delays: DecisionDelays
    territories: TerritoryFigures
    endowment: EndowmentFigures | None = Field(
        default=None,
        description="The envelopes of the funds in scope (the fund filter; an operator key's "
        "own funds), for the whole fund or earmarked for a region; with a region (the filter "
        "or a region key), those earmarked for it only. The other filters do not apply (an "
        "envelope is not per application). Programme-wide figures only: null per territory "
        "and per region.",
    )
    labelled_sites_by_region: dict[str, int] | None = Field(
        default=None,
        description="Labelled sites clés en main by region code (the public catalogue; of "
        "the filters, only region, department and territory apply). Programme-wide figures "
        "only: null per territory and per region.",
        examples=[{"53": 4, "84": 11}],
    )


class TerritoryStats(ProgrammeStats):
    """The programme figures of one Territoire d'industrie."""

    territory_id: uuid.UUID
    territory_code: str = Field(examples=["ti-pontivy"])
    territory_name: str = Field(examples=["Territoire de Pontivy"])


class RegionStats(ProgrammeStats):
    """The programme figures of one region (the projects' site)."""

    region_code: str = Field(examples=["53"])
    region_name: str = Field(examples=["Bretagne"])
