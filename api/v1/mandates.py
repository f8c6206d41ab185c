"""Mandate checks (single and batch) and the representatives of a person."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from api.v1.deps import AfnemerCtx, afnemer_client, origin_of
from api.v1.schemas import (
    MandateCheckAnswer,
    MandateCheckBatch,
    MandateCheckBatchAnswer,
    MandateCheckRequest,
    RepresentativeOut,
    RepresentativesPage,
    RepresentativesSearch,
)
from machtigen.authz.actors import Actor
from machtigen.clients.service import ClientIdentity
from machtigen.context import Ctx, Origin
from machtigen.mandates.check import (
    CheckAnswer,
    CheckQuestion,
    RepresentativeRef,
    check_many,
)
from machtigen.mandates.representatives import representatives_of

router = APIRouter(tags=["mandates"])
AfnemerClient = Annotated[ClientIdentity, Depends(afnemer_client)]


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
async def check(body: MandateCheckRequest, request: Request, client: AfnemerClient) -> Response:
    """On PostgreSQL on the event loop (``check_pg``: one decision statement, one audit
    INSERT); elsewhere through the ORM session on a thread.

    The answer is validated once, when it is made, and written straight to JSON: handing
    the model back to FastAPI would validate it a second time against ``response_model``
    and encode it twice (to Python values, then to text)."""
    answers = await _checks(request, client, [_question(body)], limit=1)
    return _json(answers[0])


@router.post(
    "/mandate-checks/_batch",
    operation_id="checkMandates",
    summary="Up to a bounded number of mandate checks in one call, answered in order",
    response_model=MandateCheckBatchAnswer,
)
async def check_batch(body: MandateCheckBatch, request: Request, client: AfnemerClient) -> Response:
    limit = request.app.state.settings.max_batch
    questions = [_question(item) for item in body.checks]
    answers = await _checks(request, client, questions, limit=limit)
    return _json(MandateCheckBatchAnswer(results=answers))


def _json(answer: MandateCheckAnswer | MandateCheckBatchAnswer) -> Response:
    """What FastAPI would send for ``response_model`` (camelCase names, nulls included)."""
    return Response(answer.model_dump_json(by_alias=True), media_type="application/json")


async def _checks(
    request: Request, client: ClientIdentity, questions: list[CheckQuestion], *, limit: int
) -> list[MandateCheckAnswer]:
    state = request.app.state
    actor = client.actor(state.clock.now())
    fast = state.fast_checks
    if fast is not None:
        answers = await fast.check_many(actor, origin_of(request), questions, limit=limit)
    else:
        answers = await run_in_threadpool(
            _check_in_session, state, actor, origin_of(request), questions, limit
        )
    return [_answer(answer) for answer in answers]


def _check_in_session(
    state: State, actor: Actor, origin: Origin, questions: list[CheckQuestion], limit: int
) -> list[CheckAnswer]:
    with state.session_factory() as session, session.begin():
        ctx = Ctx(session, actor, state.clock, state.authorizer, origin)
        return check_many(ctx, questions, limit=limit)


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
