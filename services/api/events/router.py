"""The events API: poll the same envelopes the webhooks carry."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from services.api.deps import LimitDep, RecordReader, SessionDep
from services.api.routing import TidiRoute
from shared.events.catalogue import EventType
from shared.events.feed import EventFeedPage, read_feed

router = APIRouter(prefix="/v1/events", tags=["events"], route_class=TidiRoute)


@router.get("", summary="List events")
async def list_events(
    principal: RecordReader,
    session: SessionDep,
    request: Request,
    limit: LimitDep,
    after: Annotated[
        str | None,
        Query(max_length=200, description="`next_cursor` of the previous call; omit to start."),
    ] = None,
    types: Annotated[
        list[EventType] | None, Query(description="Only these types (repeat the parameter).")
    ] = None,
) -> EventFeedPage:
    """Events in order, oldest first, kept 30 days: the same envelopes and ids as the
    webhooks (`id` is the `webhook-id`). Operators see the events routed to them, territory
    keys those of their territory. Poll with the returned `next_cursor` as `after`."""
    settings = request.app.state.settings
    return await read_feed(
        session,
        principal,
        after=after,
        types=[t.value for t in types] if types else None,
        limit=limit,
        retention_days=settings.EVENT_PAYLOAD_RETENTION_DAYS,
    )
