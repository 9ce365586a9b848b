"""Query parameters shared by the record collections (projects, applications)."""

import uuid
from typing import Annotated

from fastapi import Depends, Query
from pydantic import AwareDatetime

from shared.classification import Priority, ProjectNature
from shared.db.filters import RecordFilters, TimeWindow

CreatedAfter = Annotated[
    AwareDatetime | None, Query(description="Created at or after this moment (RFC 3339).")
]
CreatedBefore = Annotated[AwareDatetime | None, Query(description="Created before this moment.")]
UpdatedSince = Annotated[
    AwareDatetime | None,
    Query(description="Changed at or after this moment: incremental sync (keep the last seen)."),
]
TitleSearch = Annotated[
    str | None, Query(min_length=1, max_length=100, description="Project title contains.")
]
RegionFilter = Annotated[
    str | None, Query(pattern=r"^[0-9]{2}$", description="INSEE region code of the site.")
]
SortParam = Annotated[
    str,
    Query(
        pattern=r"^-?(created_at|updated_at|title)$",
        description="Order: created_at, updated_at (prefix - for newest first), title.",
    ),
]


async def time_window(
    created_after: CreatedAfter = None,
    created_before: CreatedBefore = None,
    updated_since: UpdatedSince = None,
) -> TimeWindow:
    """The creation and change bounds of a record collection."""
    return TimeWindow(created_after, created_before, updated_since)


TimeWindowDep = Annotated[TimeWindow, Depends(time_window)]


async def record_filters(
    window: TimeWindowDep,
    territory_id: Annotated[uuid.UUID | None, Query()] = None,
    region: RegionFilter = None,
    priority: Annotated[Priority | None, Query(description="The project has this axis.")] = None,
    nature: Annotated[ProjectNature | None, Query(description="Kind of project.")] = None,
    q: TitleSearch = None,
) -> RecordFilters:
    """The filters project and application lists share."""
    return RecordFilters(territory_id, region, priority, nature, q, window)


RecordFiltersDep = Annotated[RecordFilters, Depends(record_filters)]
