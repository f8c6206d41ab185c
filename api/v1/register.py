"""The court-register feed (CCBR): measures start, change and end in bulk."""

from fastapi import APIRouter, Request

from api.v1.deps import RegisterCtx
from api.v1.schemas import MeasureFeed, MeasureFeedAnswer, MeasureFeedResult
from machtigen.mandates.check import RepresentativeRef
from machtigen.mandates.models import MeasureKind
from machtigen.mandates.register_feed import FeedItem, feed

router = APIRouter(tags=["court register"])


@router.post(
    "/court-measures/_batch",
    operation_id="feedCourtMeasures",
    summary="Start, change or end measures; idempotent per register id",
    response_model=MeasureFeedAnswer,
)
def feed_measures(body: MeasureFeed, ctx: RegisterCtx, request: Request) -> MeasureFeedAnswer:
    items = [
        FeedItem(
            register_id=item.register_id,
            operation=item.operation,
            subject_bsn=item.subject_bsn,
            kind=MeasureKind(item.kind) if item.kind else None,
            representative=(
                RepresentativeRef(
                    bsn=item.representative.bsn, kvk_number=item.representative.kvk_number
                )
                if item.representative
                else None
            ),
            starts_at=item.starts_at,
            ends_at=item.ends_at,
        )
        for item in body.measures
    ]
    results = feed(ctx, items, limit=request.app.state.settings.max_batch)
    return MeasureFeedAnswer(
        results=[
            MeasureFeedResult(register_id=r.register_id, outcome=r.outcome, detail=r.detail)
            for r in results
        ]
    )
