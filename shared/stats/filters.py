"""What a statistics request selects: the filters, beside the caller's scope."""

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shared.applications.enums import ApplicationStatus
from shared.classification import Priority, ProjectNature
from shared.errors import Unprocessable


class Grouping(StrEnum):
    """How figures are grouped: the whole scope, per territory, per region."""

    PROGRAMME = "programme"
    TERRITORY = "territory"
    REGION = "region"


@dataclass(frozen=True, slots=True)
class StatsFilters:
    """Filters of the statistics (each optional): submission period (days, both included),
    the site's region and department, territory, fund, the project's axis and nature (as
    submitted), application status, and whether the site was in a fragile territory."""

    submitted_from: date | None = None
    submitted_to: date | None = None
    region: str | None = None
    department: str | None = None
    territory_id: uuid.UUID | None = None
    fund: str | None = None
    priority: Priority | None = None
    nature: ProjectNature | None = None
    status: tuple[ApplicationStatus, ...] = ()
    fragile: bool | None = None

    def __post_init__(self) -> None:
        if (
            self.submitted_from is not None
            and self.submitted_to is not None
            and self.submitted_to < self.submitted_from
        ):
            raise Unprocessable(
                "submitted_to is before submitted_from", pointer="/query/submitted_to"
            )
