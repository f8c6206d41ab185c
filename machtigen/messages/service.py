"""Delivering post into the mailbox, listing what an actor may read, opening and filing it."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from machtigen.accounts.models import Folder
from machtigen.afnemers.models import Afnemer, Service
from machtigen.audit.service import record_about
from machtigen.consents.service import DeliveryDecision, decide_delivery
from machtigen.context import Ctx
from machtigen.identity.loa import require_loa
from machtigen.identity.service import find_person_by_bsn
from machtigen.messages.errors import (
    FolderMismatch,
    IdempotencyKeyReused,
    InvalidMessage,
    MessageNotFound,
    UnknownRecipient,
)
from machtigen.messages.models import Message, MessageRead
from machtigen.notifications.outbox import on_message_delivered

MAX_PAGE = 200
MAX_SEARCH = 100


@dataclass(frozen=True)
class Delivery:
    message: Message
    replayed: bool


@dataclass(frozen=True)
class NewMessage:
    bsn: str
    service_id: UUID
    subject: str
    body: str
    action_text: str | None = None
    deadline: date | None = None

    def fingerprint(self) -> str:
        canonical = json.dumps(
            [
                self.bsn,
                str(self.service_id),
                self.subject,
                self.body,
                self.action_text,
                str(self.deadline),
            ]
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


def deliver(ctx: Ctx, new: NewMessage, *, idempotency_key: str) -> Delivery:
    """Deliver once per idempotency key: a retry with the same request gets the same answer."""
    if not 1 <= len(idempotency_key) <= 128:
        raise InvalidMessage("An Idempotency-Key has 1 to 128 characters.")
    service = ctx.session.get(Service, new.service_id)
    if service is None:
        raise InvalidMessage("No such service.")
    ctx.authorize("deliver", service)
    earlier = _by_idempotency_key(ctx, service.afnemer_id, idempotency_key)
    if earlier is not None:
        return _replay(earlier, new)
    person = find_person_by_bsn(ctx, new.bsn)
    if person is None:
        raise UnknownRecipient()
    afnemer = ctx.session.get_one(Afnemer, service.afnemer_id)
    decision = decide_delivery(ctx, person, afnemer, ctx.now)
    values = message_values(new, person.id, afnemer.id, decision, idempotency_key, ctx.now)
    message = Message(**values)
    try:
        with ctx.session.begin_nested():
            ctx.session.add(message)
    except IntegrityError:
        concurrent = _by_idempotency_key(ctx, service.afnemer_id, idempotency_key)
        if concurrent is None:
            raise
        return _replay(concurrent, new)
    record_about(
        ctx,
        "message.delivered",
        message,
        afnemer=afnemer.name,
        channel=decision.channel,
        reason=decision.reason,
    )
    on_message_delivered(ctx, message)
    return Delivery(message, replayed=False)


def message_values(
    new: NewMessage,
    person_id: UUID,
    afnemer_id: UUID,
    decision: DeliveryDecision,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """The column values of a delivered message; the ORM path and the async delivery
    (``messages/deliver_pg.py``) both store these."""
    return {
        "person_id": person_id,
        "afnemer_id": afnemer_id,
        "service_id": new.service_id,
        "subject": new.subject,
        "body": new.body,
        "action_text": new.action_text,
        "deadline": new.deadline,
        "received_at": now,
        "channel": decision.channel,
        "channel_reason": decision.reason,
        "idempotency_key": idempotency_key,
        "request_hash": new.fingerprint(),
    }


def readable_messages(
    ctx: Ctx,
    *,
    person_id: UUID | None = None,
    folder_id: UUID | None = None,
    archived: bool = False,
    limit: int = 50,
) -> Sequence[Message]:
    """The actor's inbox (or a client's, with ``person_id``), filtered in SQL; unread first."""
    statement = _readable(ctx, person_id=person_id, folder_id=folder_id, archived=archived)
    unread = ~_read_by_actor(ctx)
    statement = statement.order_by(unread.desc(), col(Message.received_at).desc(), col(Message.id))
    return ctx.session.scalars(statement.limit(min(limit, MAX_PAGE))).all()


@dataclass(frozen=True)
class MailboxQuery:
    """One page of a person's mailbox as the actor may see it (the portal's inbox)."""

    person_id: UUID
    folder_id: UUID | None = None
    archived: bool = False
    search: str | None = None
    """Case-insensitive, in the subject or the sender's name."""
    page: int = 1
    page_size: int = 25


@dataclass(frozen=True)
class MailboxEntry:
    message: Message
    sender: str
    service: str
    read: bool
    """Read by this actor: the owner and each representative read separately."""


@dataclass(frozen=True)
class MailboxPage:
    entries: list[MailboxEntry]
    total: int
    unread: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def mailbox(ctx: Ctx, query: MailboxQuery) -> MailboxPage:
    """A page of the mailbox: unread first, then newest; filtered in SQL by the policy."""
    require_loa(ctx, "read_mailbox")
    page_size = max(1, min(query.page_size, MAX_PAGE))
    page = max(1, query.page)
    statement = _readable(
        ctx, person_id=query.person_id, folder_id=query.folder_id, archived=query.archived
    )
    term = (query.search or "").strip()[:MAX_SEARCH].lower()
    if term:
        senders = select(col(Afnemer.id)).where(
            func.lower(col(Afnemer.name)).contains(term, autoescape=True)
        )
        statement = statement.where(
            or_(
                func.lower(col(Message.subject)).contains(term, autoescape=True),
                col(Message.afnemer_id).in_(senders),
            )
        )
    read = _read_by_actor(ctx)
    total, unread = _counts(ctx, statement, read)
    rows = ctx.session.execute(
        statement.add_columns(col(Afnemer.name), col(Service.name), read.label("read"))
        .join(Afnemer, col(Afnemer.id) == col(Message.afnemer_id))
        .join(Service, col(Service.id) == col(Message.service_id))
        .order_by((~read).desc(), col(Message.received_at).desc(), col(Message.id))
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).all()
    entries = [MailboxEntry(row[0], row[1], row[2], bool(row[3])) for row in rows]
    return MailboxPage(entries, total, unread, page, page_size)


def unread_count(ctx: Ctx, person_id: UUID) -> int:
    """Unread (by this actor) messages in the person's mailbox, archive excluded."""
    statement = _readable(ctx, person_id=person_id, folder_id=None, archived=False)
    return _counts(ctx, statement, _read_by_actor(ctx))[1]


def _counts(ctx: Ctx, statement: Select[Any], read: Any) -> tuple[int, int]:
    listed = statement.with_only_columns(col(Message.id), read.label("read")).subquery()
    total, unread = ctx.session.execute(
        select(func.count(), func.count().filter(~listed.c.read)).select_from(listed)
    ).one()
    return int(total), int(unread)


@dataclass(frozen=True)
class MessageDetail:
    message: Message
    sender: str
    service: str
    folder: str | None
    first_time: bool


def read_message(ctx: Ctx, message_id: UUID) -> MessageDetail:
    """Open a message (recorded and audited) with what the reader needs to act on it."""
    message, first_time = _open(ctx, message_id)
    afnemer = ctx.session.get_one(Afnemer, message.afnemer_id)
    service = ctx.session.get_one(Service, message.service_id)
    folder = ctx.session.get(Folder, message.folder_id) if message.folder_id else None
    folder_name = folder.name if folder else None
    return MessageDetail(message, afnemer.name, service.name, folder_name, first_time)


def _readable(
    ctx: Ctx, *, person_id: UUID | None, folder_id: UUID | None, archived: bool
) -> Select[Any]:
    statement = ctx.authz.select(ctx.actor, "read", Message)
    if person_id is not None:
        statement = statement.where(col(Message.person_id) == person_id)
    if folder_id is not None:
        statement = statement.where(col(Message.folder_id) == folder_id)
    archived_clause = (
        col(Message.archived_at).is_not(None) if archived else col(Message.archived_at).is_(None)
    )
    return statement.where(archived_clause)


def _read_by_actor(ctx: Ctx):
    return exists().where(
        and_(
            col(MessageRead.message_id) == col(Message.id),
            col(MessageRead.reader_kind) == ctx.actor.kind,
            col(MessageRead.reader_id) == ctx.actor.key,
        )
    )


def open_message(ctx: Ctx, message_id: UUID) -> Message:
    """Read a message: recorded per reader, and in the owner's audit trail (who, for whom)."""
    return _open(ctx, message_id)[0]


def _open(ctx: Ctx, message_id: UUID) -> tuple[Message, bool]:
    require_loa(ctx, "read_mailbox")
    message = _load(ctx, message_id, "read")
    reader_id = ctx.actor.key
    assert isinstance(reader_id, UUID)
    already = ctx.session.scalars(
        select(MessageRead).where(
            col(MessageRead.message_id) == message.id,
            col(MessageRead.reader_kind) == ctx.actor.kind,
            col(MessageRead.reader_id) == reader_id,
        )
    ).first()
    if already is None:
        ctx.session.add(
            MessageRead(
                message_id=message.id,
                reader_kind=ctx.actor.kind,
                reader_id=reader_id,
                read_at=ctx.now,
            )
        )
    record_about(ctx, "message.opened", message, first_time=already is None)
    return message, already is None


def file_in_folder(ctx: Ctx, message_id: UUID, folder_id: UUID | None) -> Message:
    require_loa(ctx, "read_mailbox")
    message = _load(ctx, message_id, "manage_folders")
    if folder_id is not None:
        folder = ctx.session.get(Folder, folder_id)
        if folder is None or folder.person_id != message.person_id:
            raise FolderMismatch()
    message.folder_id = folder_id
    record_about(ctx, "message.filed", message, folder=folder_id)
    return message


def set_archived(ctx: Ctx, message_id: UUID, archived: bool) -> Message:
    require_loa(ctx, "read_mailbox")
    message = _load(ctx, message_id, "manage_folders")
    message.archived_at = ctx.now if archived else None
    record_about(ctx, "message.archived" if archived else "message.unarchived", message)
    return message


def is_read_by_owner(ctx: Ctx, message: Message) -> bool:
    statement = select(col(MessageRead.id)).where(
        col(MessageRead.message_id) == message.id,
        col(MessageRead.reader_kind) == "person",
        col(MessageRead.reader_id) == message.person_id,
    )
    return ctx.session.scalars(statement).first() is not None


def _load(ctx: Ctx, message_id: UUID, action: str) -> Message:
    message = ctx.session.get(Message, message_id)
    if message is None:
        raise MessageNotFound()
    ctx.authorize(action, message)
    return message


def _by_idempotency_key(ctx: Ctx, afnemer_id: UUID, key: str) -> Message | None:
    statement = select(Message).where(
        col(Message.afnemer_id) == afnemer_id, col(Message.idempotency_key) == key
    )
    return ctx.session.scalars(statement).one_or_none()


def _replay(earlier: Message, new: NewMessage) -> Delivery:
    refuse_another_request(earlier.request_hash, new.fingerprint())
    return Delivery(earlier, replayed=True)


def refuse_another_request(earlier_hash: str | None, fingerprint: str) -> None:
    """An idempotency key sent again with another request is refused; the same request is
    answered as a replay of the earlier delivery (here and in ``deliver_pg``)."""
    if earlier_hash != fingerprint:
        raise IdempotencyKeyReused()
