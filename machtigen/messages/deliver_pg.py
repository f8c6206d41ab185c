"""Delivery on PostgreSQL: async, one SELECT of every fact, one statement that writes it all.

``service.deliver`` delivers on any database through the ORM session, about ten statements a
message. On PostgreSQL the afnemer API delivers here instead, with the same answers and the
same rows (``tests/messages/test_deliver_pg.py`` holds both paths equal):

1. **One SELECT** finds the service (as the policy lets this afnemer deliver through it:
   the compiled ``allow`` filter, as the mandate check finds its service), the afnemer, an
   earlier message with the same idempotency key, the person by BSN with their account,
   their opt-in for this afnemer, whether a court measure is in force, their address and
   correspondence language, and whether anyone represents them.
2. **The decision in Python**, by the same functions as the ORM path: the replay rule
   (``service.refuse_another_request``), ``consents.service.delivery_decision`` (with
   ``exempted_group``), and the owner's ``receive_notifications`` asked of the policy; the
   outbox row is built by ``message_notice`` from ``notifications.outbox``'s values.
3. **One write statement**, sent in autocommit and so one transaction: the message
   (``INSERT … ON CONFLICT (afnemer_id, idempotency_key) DO NOTHING``), and only if it went
   in, its audit event (MAC made in Python, as ``record`` does) and its outbox rows. A
   concurrent delivery with the same key that got in first makes this one a replay, with no
   audit row and no notification, as on the ORM path.

A fresh delivery costs two round trips; a replay one. The work runs shielded, so a client
that goes away mid-request cannot split the message from its audit row and outbox rows.

**Not here:** a message that goes into the mailbox of a person whom someone represents
(a mandate or court measure names them). Which representatives are told is the policy's
``receive_notifications`` following relations row by row, so that delivery is answered by
``service.deliver`` on a thread (``FastDeliveries.deliver`` returns None for it). Paper
deliveries, and digital ones to a person nobody represents, are answered here.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from threading import Lock
from typing import Any
from uuid import UUID, uuid4

from psycopg import AsyncRawCursor
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import (
    DateTime,
    Select,
    String,
    Uuid,
    and_,
    bindparam,
    exists,
    or_,
    select,
    true,
)
from sqlmodel import col

from machtigen.accounts.models import Account, AccountState
from machtigen.afnemers.errors import ServiceNotFound
from machtigen.afnemers.models import Afnemer, Service
from machtigen.audit.service import act_values
from machtigen.authz.actors import AfnemerActor, PersonActor
from machtigen.authz.engine import Authorizer
from machtigen.authz.prepared import Params
from machtigen.clock import Clock
from machtigen.consents.models import Channel, Consent, DeliveryReason
from machtigen.consents.service import delivery_decision, exempted_group, measure_in_force
from machtigen.context import Origin
from machtigen.errors import Forbidden
from machtigen.identity.bsn import is_valid_bsn
from machtigen.identity.correspondence import correspondence_language_sql
from machtigen.identity.errors import InvalidBsn
from machtigen.identity.models import Person
from machtigen.mandates.check_pg import _AUDIT_COLUMNS, Compiled, compile_for_psycopg
from machtigen.mandates.models import LegalMeasure, Mandate
from machtigen.messages.errors import InvalidMessage, UnknownRecipient
from machtigen.messages.models import Message
from machtigen.messages.service import NewMessage, message_values, refuse_another_request
from machtigen.notifications.models import NotificationKind, RecipientKind
from machtigen.notifications.outbox import dedup_key_of, notice_values
from machtigen.notifications.texts import render_message_notice


@dataclass(frozen=True)
class Delivered:
    """What the API answers about a delivery (a new one or a replay)."""

    message_id: UUID
    channel: Channel
    reason: DeliveryReason
    received_at: datetime
    replayed: bool


def facts_statement(authz: Authorizer) -> Select[Any]:
    """The one SELECT of every fact a delivery is decided on (see the module's docstring).
    No row: no service of this code that the afnemer may deliver through."""
    params = Params()
    afnemer = AfnemerActor(params.uuid("afnemer_id"), params.unused_moment("actor_at"))
    services = authz.rules.rule_filter("allow", afnemer, "deliver", result=Service, params=params)
    service = (
        services.where(col(Service.code) == bindparam("service_code", type_=String()))
        .with_only_columns(
            col(Service.id).label("service_id"),
            col(Service.name).label("service_name"),
            col(Service.afnemer_id).label("afnemer_id"),
            maintain_column_froms=False,
        )
        .subquery("s")
    )
    at = bindparam("at", type_=DateTime(timezone=True))
    # The afnemer's own id (the service found is its own): each lookup below is one row by a
    # unique index, on its own, whatever the plan does with the service.
    afnemer_id = bindparam("afnemer_id", type_=Uuid())
    earlier = (
        select(
            col(Message.id).label("earlier_id"),
            col(Message.request_hash).label("earlier_hash"),
            col(Message.channel).label("earlier_channel"),
            col(Message.channel_reason).label("earlier_reason"),
            col(Message.received_at).label("earlier_at"),
        )
        .where(
            col(Message.afnemer_id) == afnemer_id,
            col(Message.idempotency_key) == bindparam("idempotency_key", type_=String()),
        )
        .lateral("e")
    )
    represented = or_(
        exists().where(col(Mandate.represented_person_id) == col(Person.id)),
        exists().where(col(LegalMeasure.subject_person_id) == col(Person.id)),
    )
    person = (
        select(
            col(Person.id).label("person_id"),
            col(Person.non_resident),
            col(Person.date_of_birth),
            col(Account.state).label("account_state"),
            col(Account.paper_only),
            col(Account.email),
            correspondence_language_sql().label("language"),
            measure_in_force(col(Person.id), at).label("measure_in_force"),
            represented.label("represented"),
            col(Consent.opted_in),
            col(Consent.previous_opted_in),
            col(Consent.effective_at),
        )
        .outerjoin(Account, col(Account.person_id) == col(Person.id))
        .outerjoin(
            Consent,
            and_(col(Consent.person_id) == col(Person.id), col(Consent.afnemer_id) == afnemer_id),
        )
        .where(col(Person.bsn) == bindparam("bsn", type_=String()))
        .lateral("p")
    )
    return select(
        service.c.service_id,
        service.c.service_name,
        col(Afnemer.name).label("afnemer_name"),
        col(Afnemer.legally_required_digital),
        earlier,
        person,
    ).select_from(
        service.join(Afnemer, col(Afnemer.id) == service.c.afnemer_id)
        .outerjoin(earlier, true())
        .outerjoin(person, true())
    )


_RUNTIME = frozenset({"afnemer_id", "service_code", "idempotency_key", "bsn", "at"})

_MESSAGE_COLUMNS = (
    ("id", "uuid"),
    ("person_id", "uuid"),
    ("afnemer_id", "uuid"),
    ("service_id", "uuid"),
    ("subject", "text"),
    ("body", "text"),
    ("action_text", "text"),
    ("deadline", "date"),
    ("received_at", "timestamptz"),
    ("channel", "text"),
    ("channel_reason", "text"),
    ("idempotency_key", "text"),
    ("request_hash", "text"),
)
_NOTIFICATION_COLUMNS = (
    ("id", "uuid"),
    ("kind", "text"),
    ("dedup_key", "text"),
    ("person_id", "uuid"),
    ("message_id", "uuid"),
    ("recipient_kind", "text"),
    ("recipient_id", "uuid"),
    ("email", "text"),
    ("subject", "text"),
    ("body", "text"),
    ("status", "text"),
    ("available_at", "timestamptz"),
    ("attempts", "int4"),
    ("created_at", "timestamptz"),
)


def _placeholders(columns: Sequence[tuple[str, str]], first: int, *, arrays: bool) -> str:
    suffix = "[]" if arrays else ""
    return ", ".join(f"${first + i}::{kind}{suffix}" for i, (_, kind) in enumerate(columns))


def _names(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(name for name, _ in columns)


_AUDIT_AT = len(_MESSAGE_COLUMNS) + 1
_NOTIFICATIONS_AT = _AUDIT_AT + len(_AUDIT_COLUMNS)
_NOTIFICATION_ARRAYS = _placeholders(_NOTIFICATION_COLUMNS, _NOTIFICATIONS_AT, arrays=True)
# Only this module's constant column names and types are formatted in: no injection.
WRITE = (
    f"WITH m AS (INSERT INTO message ({_names(_MESSAGE_COLUMNS)})"  # noqa: S608
    f" VALUES ({_placeholders(_MESSAGE_COLUMNS, 1, arrays=False)})"
    " ON CONFLICT (afnemer_id, idempotency_key) DO NOTHING RETURNING id),"
    f" a AS (INSERT INTO audit_event ({_names(_AUDIT_COLUMNS)})"
    f" SELECT {_placeholders(_AUDIT_COLUMNS, _AUDIT_AT, arrays=False)} FROM m),"
    f" n AS (INSERT INTO notification ({_names(_NOTIFICATION_COLUMNS)})"
    f" SELECT u.* FROM m, unnest({_NOTIFICATION_ARRAYS})"
    f" AS u({_names(_NOTIFICATION_COLUMNS)}))"
    " SELECT id FROM m"
)
"""The message, and only if it went in (no earlier one with its key), its audit event and
its outbox rows: one statement, so one transaction in autocommit."""
CONCURRENT = (
    "SELECT id, request_hash, channel, channel_reason, received_at FROM message"
    " WHERE afnemer_id = $1::uuid AND idempotency_key = $2::text"
)


class FastDeliveries:
    """Deliveries for the afnemer API on PostgreSQL (see the module's docstring)."""

    def __init__(self, pool: AsyncConnectionPool[Any], authz: Authorizer, clock: Clock) -> None:
        self.pool = pool
        self.authz = authz
        self.clock = clock
        self._compiled: Compiled | None = None
        self._lock = Lock()

    def statement(self) -> Compiled:
        compiled = self._compiled
        if compiled is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = compile_for_psycopg(facts_statement(self.authz), _RUNTIME)
                compiled = self._compiled
        return compiled

    async def deliver(
        self,
        actor: object,
        origin: Origin,
        service_code: str,
        new: "Delivery",
        *,
        idempotency_key: str,
    ) -> Delivered | None:
        """Deliver once per idempotency key, as ``service.deliver`` does; None when this
        delivery is the ORM path's (it notifies representatives), nothing written then."""
        if not isinstance(actor, AfnemerActor):
            raise Forbidden("This endpoint is for afnemers.")
        if not 1 <= len(idempotency_key) <= 128:
            raise InvalidMessage("An Idempotency-Key has 1 to 128 characters.")
        # Shielded: a client that goes away mid-request does not cut the work in two; the
        # message, its audit row and its outbox rows are written together or not at all.
        return await asyncio.shield(
            self._deliver(actor, origin, service_code, new, idempotency_key)
        )

    async def _deliver(
        self, actor: AfnemerActor, origin: Origin, service_code: str, new: "Delivery", key: str
    ) -> Delivered | None:
        compiled = self.statement()
        now = actor.at
        values = dict(
            afnemer_id=actor.afnemer_id,
            service_code=service_code,
            idempotency_key=key,
            bsn=new.bsn,
            at=now,
        )
        async with self.pool.connection() as connection:
            cursor = AsyncRawCursor(connection)
            await cursor.execute(compiled.sql, [values[name] for name in compiled.names])
            found = await cursor.fetchone()
            if found is None:
                raise ServiceNotFound()
            facts = _Facts(*found)
            request = new.for_service(facts.service_id)
            fingerprint = request.fingerprint()
            if facts.earlier_id is not None:
                return _replayed(facts.earlier_hash, fingerprint, found[4:9])
            if not is_valid_bsn(new.bsn):  # checked where the ORM path checks it
                raise InvalidBsn()
            if facts.person_id is None:
                raise UnknownRecipient()
            decision = delivery_decision(
                state=None if facts.account_state is None else AccountState(facts.account_state),
                paper_only=bool(facts.paper_only),
                legally_required_digital=facts.legally_required_digital,
                opted_in=lambda: facts.opted_in(now),
                exempted=lambda: exempted_group(
                    non_resident=facts.non_resident,
                    date_of_birth=facts.date_of_birth,
                    at=now,
                    measure_in_force=lambda: bool(facts.measure_in_force),
                ),
            )
            message_id = uuid4()
            message = message_values(request, facts.person_id, actor.afnemer_id, decision, key, now)
            message |= {
                "id": message_id,
                "channel": str(decision.channel),
                "channel_reason": str(decision.reason),
            }
            notices: list[dict[str, Any]] = []
            if decision.channel != Channel.PAPER:
                owners = None if facts.represented else self._owner_notices(facts, message)
                if owners is None:
                    return None  # the ORM path's: nothing written here
                notices = owners
            event = act_values(
                actor,
                origin,
                self.clock.now(),
                "message.delivered",
                subject_person_id=facts.person_id,
                object_type="message",
                object_id=message_id,
                afnemer=facts.afnemer_name,
                channel=decision.channel,
                reason=decision.reason,
            )
            parameters = [message[name] for name, _ in _MESSAGE_COLUMNS]
            parameters += [
                Json(event["detail"]) if name == "detail" else event.get(name)
                for name, _ in _AUDIT_COLUMNS
            ]
            parameters += [
                [notice[name] for notice in notices] for name, _ in _NOTIFICATION_COLUMNS
            ]
            await cursor.execute(WRITE, parameters)
            if await cursor.fetchone() is not None:
                return Delivered(message_id, decision.channel, decision.reason, now, False)
            # Another delivery with this key went in first: this one is its replay (no audit
            # row, no notification), as ``service.deliver`` answers an IntegrityError.
            await cursor.execute(CONCURRENT, [actor.afnemer_id, key])
            concurrent = await cursor.fetchone()
            if concurrent is None:
                raise RuntimeError("the message with this idempotency key is gone")
            return _replayed(concurrent[1], fingerprint, concurrent[:1] + concurrent[2:])

    def _owner_notices(
        self, facts: "_Facts", message: dict[str, Any]
    ) -> list[dict[str, Any]] | None:
        """The outbox rows ``notifications.service.on_message_delivered`` writes for a message
        to a person nobody represents: the owner's, if they have an address and the policy
        lets them receive notifications of it. None: the policy needs a session to say."""
        if not facts.email:
            return []
        owner = PersonActor(facts.person_id, message["received_at"])
        # The owner's rule reads the message's own columns, so the policy is asked without
        # a session; should a rule follow a relation, the adapter refuses (RuntimeError) and
        # the delivery goes the ORM path.
        try:
            allowed = self.authz.holds("allow", owner, "receive_notifications", Message(**message))
        except RuntimeError:
            return None
        if not allowed:
            return []
        return [
            message_notice(
                NotificationKind.NEW_MESSAGE,
                message,
                RecipientKind.OWNER,
                facts.person_id,
                facts.email,
                facts.language,
                organisation=facts.afnemer_name,
                kind_of_message=facts.service_name,
                client=None,
            )
        ]


def message_notice(
    kind: NotificationKind,
    message: dict[str, Any],
    recipient_kind: RecipientKind,
    recipient_id: UUID,
    email: str,
    language: str,
    *,
    organisation: str,
    kind_of_message: str,
    client: str | None,
) -> dict[str, Any]:
    """One outbox row about a message, as ``notifications.outbox`` writes it (its text, dedup
    key and column values); ``message`` holds the message's column values."""
    words = render_message_notice(
        language,
        reminder=kind == NotificationKind.REMINDER,
        organisation=organisation,
        kind_of_message=kind_of_message,
        action_text=message["action_text"],
        deadline=message["deadline"],
        client=client,
    )
    values = notice_values(
        kind=kind,
        dedup_key=dedup_key_of(f"{kind}:{message['id']}", recipient_kind, recipient_id),
        person_id=message["person_id"],
        recipient_kind=recipient_kind,
        recipient_id=recipient_id,
        email=email,
        words=words,
        now=message["received_at"],
        message_id=message["id"],
    )
    enums = ("kind", "recipient_kind", "status")
    return values | {name: str(values[name]) for name in enums} | {"id": uuid4(), "attempts": 0}


@dataclass(frozen=True)
class Delivery:
    """The request: ``NewMessage`` less the service, which the SELECT finds by its code."""

    bsn: str
    subject: str
    body: str
    action_text: str | None = None
    deadline: date | None = None

    def for_service(self, service_id: UUID) -> NewMessage:
        """The ORM path's request, once the SELECT has found the service."""
        return NewMessage(
            bsn=self.bsn,
            service_id=service_id,
            subject=self.subject,
            body=self.body,
            action_text=self.action_text,
            deadline=self.deadline,
        )


@dataclass(frozen=True)
class _Facts:
    """A row of ``facts_statement``, in its column order."""

    service_id: UUID
    service_name: str
    afnemer_name: str
    legally_required_digital: bool
    earlier_id: UUID | None
    earlier_hash: str | None
    earlier_channel: str | None
    earlier_reason: str | None
    earlier_at: datetime | None
    person_id: UUID
    non_resident: bool
    date_of_birth: date
    account_state: str | None
    paper_only: bool | None
    email: str | None
    language: str
    measure_in_force: bool
    represented: bool
    consent_opted_in: bool | None
    consent_previous: bool | None
    consent_effective_at: datetime | None

    def opted_in(self, at: datetime) -> bool:
        """``Consent.opted_in_at`` over the columns read (no consent: not opted in)."""
        if self.consent_opted_in is None or self.consent_effective_at is None:
            return False
        consent = Consent(
            person_id=self.person_id,
            afnemer_id=self.person_id,
            opted_in=self.consent_opted_in,
            previous_opted_in=bool(self.consent_previous),
            changed_at=self.consent_effective_at,
            effective_at=self.consent_effective_at,
        )
        return consent.opted_in_at(at)


def _replayed(earlier_hash: str | None, fingerprint: str, earlier: Sequence[Any]) -> Delivered:
    """The answer to a replay (``service._replay``): the earlier message, or 409."""
    refuse_another_request(earlier_hash, fingerprint)
    message_id, channel, reason, received_at = earlier[0], earlier[-3], earlier[-2], earlier[-1]
    return Delivered(message_id, Channel(channel), DeliveryReason(reason), received_at, True)
