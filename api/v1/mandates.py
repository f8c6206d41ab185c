"""Mandate checks (single and batch) and the representatives of a person."""

from fastapi import APIRouter, Request

from api.v1.deps import AfnemerCtx
from api.v1.schemas import (
    MandateCheckAnswer,
    MandateCheckBatch,
    MandateCheckBatchAnswer,
    MandateCheckRequest,
    RepresentativeOut,
    RepresentativesPage,
    RepresentativesSearch,
)
from machtigen.mandates.check import (
    CheckAnswer,
    CheckQuestion,
    RepresentativeRef,
    check_many,
    check_representation,
    representatives_of,
)

router = APIRouter(tags=["mandates"])


def _question(body: MandateCheckRequest) -> CheckQuestion:
    return CheckQuestion(
        representative=RepresentativeRef(
            bsn=body.representative.bsn, kvk_number=body.representative.kvk_number
        ),
        person_bsn=body.person_bsn,
        service_code=body.service_code,
        action=body.action,
        at=body.at,
    )


def _answer(answer: CheckAnswer) -> MandateCheckAnswer:
    return MandateCheckAnswer.model_validate(answer, from_attributes=True)


@router.post(
    "/mandate-checks",
    operation_id="checkMandate",
    summary="May this representative act for this person at this service, at this moment?",
    response_model=MandateCheckAnswer,
)
def check(body: MandateCheckRequest, ctx: AfnemerCtx) -> MandateCheckAnswer:
    return _answer(check_representation(ctx, _question(body)))


@router.post(
    "/mandate-checks/_batch",
    operation_id="checkMandates",
    summary="Up to a bounded number of mandate checks in one call, answered in order",
    response_model=MandateCheckBatchAnswer,
)
def check_batch(
    body: MandateCheckBatch, ctx: AfnemerCtx, request: Request
) -> MandateCheckBatchAnswer:
    limit = request.app.state.settings.max_batch
    answers = check_many(ctx, [_question(item) for item in body.checks], limit=limit)
    return MandateCheckBatchAnswer(results=[_answer(answer) for answer in answers])


@router.post(
    "/representatives/_search",
    operation_id="searchRepresentatives",
    summary="Who represents this person now, for this afnemer's own services only",
    response_model=RepresentativesPage,
)
def search_representatives(
    body: RepresentativesSearch, ctx: AfnemerCtx, request: Request
) -> RepresentativesPage:
    page_size = min(body.page_size, request.app.state.settings.max_page_size)
    entries, has_next = representatives_of(
        ctx, body.person_bsn, offset=(body.page - 1) * page_size, limit=page_size
    )
    return RepresentativesPage(
        items=[RepresentativeOut.model_validate(entry, from_attributes=True) for entry in entries],
        page=body.page,
        page_size=page_size,
        has_next=has_next,
    )
