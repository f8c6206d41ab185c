"""Events for the afnemer, e.g. that a person was not reached (DOMAIN.md rules 7 and 8)."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.v1.deps import AfnemerCtx
from api.v1.schemas import MAX_PAGE_SIZE, CloudEvent, EventPage
from machtigen.inputs import Sequence
from machtigen.notifications.events import events_for_afnemer

router = APIRouter(tags=["events"])


@router.get(
    "/events",
    operation_id="listEvents",
    summary="This afnemer's events after a sequence number, oldest first (CloudEvents)",
    response_model=EventPage,
)
def list_events(
    ctx: AfnemerCtx,
    after: Annotated[Sequence, Query(description="The last sequence number already seen")] = 0,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> EventPage:
    events = [
        CloudEvent.model_validate(event)
        for event in events_for_afnemer(ctx, after=after, limit=page_size)
    ]
    last = int(events[-1].sequence) if events else after
    return EventPage(events=events, last_sequence=last)
