"""Delivering a message, and its status for the afnemer that delivered it."""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Path, Response

from api.v1.deps import AfnemerCtx
from api.v1.schemas import DeliveryAnswer, DeliveryRequest, MessageStatusAnswer, NotificationStatus
from machtigen.afnemers.service import service_by_code
from machtigen.inputs import SafeText
from machtigen.messages.service import NewMessage, deliver
from machtigen.messages.status import message_status

router = APIRouter(tags=["messages"])

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
def deliver_message(
    body: DeliveryRequest, ctx: AfnemerCtx, idempotency_key: IdempotencyKey, response: Response
) -> DeliveryAnswer:
    assert hasattr(ctx.actor, "afnemer_id")
    service = service_by_code(ctx, ctx.actor.afnemer_id, body.service_code)
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
    if delivery.replayed:
        response.status_code = 200
    message = delivery.message
    return DeliveryAnswer(
        message_id=message.id,
        channel=str(message.channel),
        reason=str(message.channel_reason),
        delivered_at=message.received_at,
        replayed=delivery.replayed,
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
