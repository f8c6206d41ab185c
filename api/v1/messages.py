"""Delivering a message, and its status for the afnemer that delivered it."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Path, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from api.v1.deps import AfnemerCtx, afnemer_client, origin_of
from api.v1.schemas import DeliveryAnswer, DeliveryRequest, MessageStatusAnswer, NotificationStatus
from machtigen.afnemers.service import service_by_code
from machtigen.authz.actors import Actor, AfnemerActor
from machtigen.clients.service import ClientIdentity
from machtigen.context import Ctx, Origin
from machtigen.inputs import SafeText
from machtigen.messages.deliver_pg import Delivered, Delivery, FastDeliveries
from machtigen.messages.service import NewMessage, deliver
from machtigen.messages.status import message_status

router = APIRouter(tags=["messages"])
AfnemerClient = Annotated[ClientIdentity, Depends(afnemer_client)]

IdempotencyKey = Annotated[
    SafeText,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=128,
        description="The same key with the same body returns the same answer; another body: 409",
    ),
]


@router.post(
    "/messages",
    operation_id="deliverMessage",
    summary="Deliver a message to a person: digital, paper or both, with the reason",
    status_code=201,
    response_model=DeliveryAnswer,
    responses={200: {"model": DeliveryAnswer, "description": "A replay of an earlier delivery"}},
)
async def deliver_message(
    body: DeliveryRequest,
    request: Request,
    client: AfnemerClient,
    idempotency_key: IdempotencyKey,
    response: Response,
) -> DeliveryAnswer:
    # On PostgreSQL on the event loop (``deliver_pg``: one SELECT, one write statement);
    # elsewhere, and for mailbox post to a represented person, through the ORM session on a
    # thread. (A comment, not a docstring: the OpenAPI document's description stays as it was.)
    state = request.app.state
    actor = client.actor(state.clock.now())
    origin = origin_of(request)
    delivered = None
    fast = _fast_deliveries(state)
    if fast is not None:
        delivered = await fast.deliver(
            actor,
            origin,
            body.service_code,
            Delivery(body.bsn, body.subject, body.body, body.action_text, body.deadline),
            idempotency_key=idempotency_key,
        )
    if delivered is None:
        delivered = await run_in_threadpool(
            _deliver_in_session, state, actor, origin, body, idempotency_key
        )
    if delivered.replayed:
        response.status_code = 200
    return DeliveryAnswer(
        message_id=delivered.message_id,
        channel=delivered.channel,
        reason=delivered.reason,
        delivered_at=delivered.received_at,
        replayed=delivered.replayed,
    )


def _fast_deliveries(state: State) -> FastDeliveries | None:
    """The async delivery path, on the mandate checks' async pool: None where there is
    none (SQLite, or ``async_checks`` off)."""
    fast: FastDeliveries | None = getattr(state, "fast_deliveries", None)
    pool = getattr(state, "check_pool", None)
    if fast is None and pool is not None:
        fast = state.fast_deliveries = FastDeliveries(pool, state.authorizer, state.clock)
    return fast


def _deliver_in_session(
    state: State, actor: Actor, origin: Origin, body: DeliveryRequest, idempotency_key: str
) -> Delivered:
    with state.session_factory() as session, session.begin():
        ctx = Ctx(session, actor, state.clock, state.authorizer, origin)
        assert isinstance(actor, AfnemerActor)
        service = service_by_code(ctx, actor.afnemer_id, body.service_code)
        delivery = deliver(
            ctx,
            NewMessage(
                bsn=body.bsn,
                service_id=service.id,
                subject=body.subject,
                body=body.body,
                action_text=body.action_text,
                deadline=body.deadline,
            ),
            idempotency_key=idempotency_key,
        )
        message = delivery.message
        return Delivered(
            message.id,
            message.channel,
            message.channel_reason,
            message.received_at,
            delivery.replayed,
        )


@router.get(
    "/messages/{messageId}/status",
    operation_id="getMessageStatus",
    summary="The status of a message this afnemer delivered",
    response_model=MessageStatusAnswer,
)
def get_status(
    message_id: Annotated[UUID, Path(alias="messageId")], ctx: AfnemerCtx
) -> MessageStatusAnswer:
    status = message_status(ctx, message_id)
    return MessageStatusAnswer(
        message_id=status.message_id,
        channel=status.channel,
        channel_reason=status.channel_reason,
        delivered_at=status.delivered_at,
        notification=NotificationStatus(
            status=status.notification.status,
            last_attempt_at=status.notification.last_attempt_at,
            person_not_reached=status.notification.person_not_reached,
        ),
        read=status.read,
    )
