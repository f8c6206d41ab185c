"""A person's own audit trail: "who did this on my account, when, from where?"

``read_trail`` is the query (filter by period, kind of act and who did it; newest first,
keyset pages). Reading needs ``read_audit`` on the person's account (policies/10_mailbox.polar:
the person; a curator under curatele in force). Only events *about* the person are returned.
The address and browser of an act are shown only for the person's own acts: a
representative's or stranger's address is their personal data, not the account holder's.
Names of representatives, organisations and offices are resolved for display.
"""

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlmodel import col

from machtigen.accounts.models import Account
from machtigen.afnemers.models import Afnemer, Service
from machtigen.audit.models import AuditEvent
from machtigen.audit.service import record
from machtigen.audit.store import latest_checkpoint
from machtigen.authz.actors import PersonActor
from machtigen.context import Ctx
from machtigen.errors import NotFound
from machtigen.identity.models import Office, Person
from machtigen.mandates.models import LegalMeasure, Mandate
from machtigen.messages.models import Message

MAX_PAGE = 200


class Kind(StrEnum):
    """Kinds of act, for the filter and for grouping on the page."""

    LOGIN = "login"
    ACCOUNT = "account"
    SETTINGS = "settings"
    CONSENT = "consent"
    MESSAGE = "message"
    MANDATE = "mandate"
    MEASURE = "measure"
    ORGANISATION = "organisation"
    """What organisations (afnemers) asked or learned about the person."""
    DENIED = "denied"
    OTHER = "other"


KIND_OF_ACTION: dict[str, Kind] = {
    "login": Kind.LOGIN,
    "logout": Kind.LOGIN,
    "login.step_up_required": Kind.LOGIN,
    "session.acting_for": Kind.LOGIN,
    "token.issued": Kind.LOGIN,
    "eidas.registered": Kind.LOGIN,
    "eidas.linked": Kind.LOGIN,
    "account.casco_created": Kind.ACCOUNT,
    "account.activated": Kind.ACCOUNT,
    "account.deactivated": Kind.ACCOUNT,
    "account.paper_switch": Kind.SETTINGS,
    "account.email_changed": Kind.SETTINGS,
    "account.email_confirmed": Kind.SETTINGS,
    "account.reminders_changed": Kind.SETTINGS,
    "account.afnemers_reviewed": Kind.SETTINGS,
    "folder.created": Kind.SETTINGS,
    "consent.ticked": Kind.CONSENT,
    "consent.unticked": Kind.CONSENT,
    "consent.untick_effective": Kind.CONSENT,
    "consent.read_state_shared": Kind.CONSENT,
    "consent.read_state_withheld": Kind.CONSENT,
    "message.delivered": Kind.MESSAGE,
    "message.opened": Kind.MESSAGE,
    "message.filed": Kind.MESSAGE,
    "message.archived": Kind.MESSAGE,
    "message.unarchived": Kind.MESSAGE,
    "message.reminder": Kind.MESSAGE,
    "message.not_reached": Kind.MESSAGE,
    "letter.created": Kind.MESSAGE,
    "letter.written": Kind.MESSAGE,
    "mandate.granted": Kind.MANDATE,
    "mandate.requested": Kind.MANDATE,
    "mandate.accepted": Kind.MANDATE,
    "mandate.declined": Kind.MANDATE,
    "mandate.revoked": Kind.MANDATE,
    "mandate.expired": Kind.MANDATE,
    "mandate.lapsed": Kind.MANDATE,
    "measure.started": Kind.MEASURE,
    "measure.changed": Kind.MEASURE,
    "measure.ended": Kind.MEASURE,
    "mandate.checked": Kind.ORGANISATION,
    "representatives.listed": Kind.ORGANISATION,
    "message.read_state_disclosed": Kind.ORGANISATION,
    "authz.denied": Kind.DENIED,
    "audit.exported": Kind.OTHER,
    "audit.viewed": Kind.OTHER,
}


class Who(StrEnum):
    SELF = "self"
    """The person themself."""
    PERSON = "person"
    """Another person or an office employee: a representative (or someone refused)."""
    ORGANISATION = "organisation"
    """An afnemer."""
    SERVICE = "service"
    """The service itself (jobs), the court register, an operator."""
    ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class TrailFilter:
    since: datetime | None = None
    until: datetime | None = None
    """Exclusive."""
    kinds: frozenset[Kind] = frozenset()
    who: frozenset[Who] = frozenset()
    actor_id: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.since or self.until or self.kinds or self.who or self.actor_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "kinds": sorted(self.kinds),
            "who": sorted(self.who),
            "actor_id": self.actor_id,
        }


EVERYTHING = TrailFilter()


@dataclass(frozen=True)
class TrailActor:
    kind: str
    id: str
    name: str
    who: Who
    office: str | None = None
    """The office an employee acted for."""


@dataclass(frozen=True)
class TrailEntry:
    seq: int
    occurred_at: datetime
    action: str
    kind: Kind
    actor: TrailActor
    means: str | None
    loa: str | None
    ip: str | None
    """Only for the person's own acts."""
    user_agent: str | None
    object_type: str | None
    object_id: str | None
    detail: dict[str, Any]
    names: dict[str, str] = field(default_factory=dict)
    """Resolved names for display: ``afnemer``, ``service``, ``representative``."""


@dataclass(frozen=True)
class TrailPage:
    entries: list[TrailEntry]
    next_before_seq: int | None
    """Pass as ``before_seq`` for the next (older) page; None when this was the last."""


def read_trail(
    ctx: Ctx,
    person_id: UUID,
    trail_filter: TrailFilter = EVERYTHING,
    *,
    limit: int = 50,
    before_seq: int | None = None,
) -> TrailPage:
    """One page of the person's trail, newest first. NotFound when the actor may not read it."""
    authorize_trail(ctx, person_id)
    limit = max(1, min(limit, MAX_PAGE))
    statement = filtered_events(person_id, trail_filter)
    if before_seq is not None:
        statement = statement.where(col(AuditEvent.seq) < before_seq)
    rows = ctx.session.scalars(
        statement.order_by(col(AuditEvent.seq).desc()).limit(limit + 1)
    ).all()
    more = len(rows) > limit
    entries = to_entries(ctx, person_id, rows[:limit])
    _note_reading(ctx, person_id, "audit.viewed")
    return TrailPage(entries, entries[-1].seq if more and entries else None)


def trail_actors(ctx: Ctx, person_id: UUID) -> list[TrailActor]:
    """Everyone who appears in the person's trail, for the "who did it" filter."""
    authorize_trail(ctx, person_id)
    rows = ctx.session.execute(
        select(col(AuditEvent.actor_kind), col(AuditEvent.actor_id), col(AuditEvent.actor_name))
        .where(col(AuditEvent.subject_person_id) == person_id)
        .group_by(col(AuditEvent.actor_kind), col(AuditEvent.actor_id), col(AuditEvent.actor_name))
        .limit(1000)
    ).all()
    names = _Names(ctx)
    actors = {
        (kind, actor_id): names.actor(person_id, kind, actor_id, name, {})
        for kind, actor_id, name in rows
    }
    names.resolve()
    return sorted((names.finish(actor) for actor in actors.values()), key=lambda a: (a.who, a.name))


@dataclass(frozen=True)
class SealStatus:
    """How far the person's trail is sealed: what the page says about checking it."""

    sealed_at: datetime | None
    """When the newest signed checkpoint was made (None: nothing sealed yet)."""
    pending: int
    """Events about the person after that checkpoint: recorded, not sealed yet."""


def seal_status(ctx: Ctx, person_id: UUID) -> SealStatus:
    """The newest checkpoint and how many of the person's events came after it."""
    authorize_trail(ctx, person_id)
    checkpoint = latest_checkpoint(ctx.session)
    statement = select(func.count()).where(col(AuditEvent.subject_person_id) == person_id)
    if checkpoint is not None:
        statement = statement.where(col(AuditEvent.seq) > checkpoint.last_seq)
    pending = ctx.session.scalar(statement) or 0
    return SealStatus(checkpoint.created_at if checkpoint else None, pending)


def may_read_trail(ctx: Ctx, person_id: UUID) -> bool:
    """Whether to offer the trail (a menu item); reading it still authorizes on its own."""
    account = ctx.session.get(Account, person_id)
    return account is not None and ctx.is_allowed("read_audit", account)


def authorize_trail(ctx: Ctx, person_id: UUID) -> Account:
    account = ctx.session.get(Account, person_id)
    if account is None:
        raise NotFound("Not found.")
    ctx.authorize("read_audit", account)
    return account


def filtered_events(person_id: UUID, trail_filter: TrailFilter) -> Select[Any]:
    statement = select(AuditEvent).where(col(AuditEvent.subject_person_id) == person_id)
    if trail_filter.since is not None:
        statement = statement.where(col(AuditEvent.occurred_at) >= trail_filter.since)
    if trail_filter.until is not None:
        statement = statement.where(col(AuditEvent.occurred_at) < trail_filter.until)
    if trail_filter.kinds:
        actions = [action for action, kind in KIND_OF_ACTION.items() if kind in trail_filter.kinds]
        if Kind.OTHER in trail_filter.kinds:
            statement = statement.where(
                col(AuditEvent.action).in_(actions)
                | col(AuditEvent.action).not_in(list(KIND_OF_ACTION))
            )
        else:
            statement = statement.where(col(AuditEvent.action).in_(actions))
    if trail_filter.who:
        statement = statement.where(_who_clause(person_id, trail_filter.who))
    if trail_filter.actor_id is not None:
        statement = statement.where(col(AuditEvent.actor_id) == trail_filter.actor_id)
    return statement


def _who_clause(person_id: UUID, who: frozenset[Who]) -> Any:
    own = (col(AuditEvent.actor_kind) == "person") & (col(AuditEvent.actor_id) == str(person_id))
    clauses: list[Any] = []
    if Who.SELF in who:
        clauses.append(own)
    if Who.PERSON in who:
        clauses.append(col(AuditEvent.actor_kind).in_(["person", "staff", "eidas"]) & ~own)
    if Who.ORGANISATION in who:
        clauses.append(col(AuditEvent.actor_kind) == "afnemer")
    if Who.SERVICE in who:
        clauses.append(col(AuditEvent.actor_kind).in_(["system", "register", "operator"]))
    if Who.ANONYMOUS in who:
        clauses.append(col(AuditEvent.actor_kind) == "anonymous")
    result = clauses[0]
    for clause in clauses[1:]:
        result = result | clause
    return result


def to_entries(ctx: Ctx, person_id: UUID, rows: Sequence[AuditEvent]) -> list[TrailEntry]:
    """Rows as display entries: names resolved in a few queries for the whole page."""
    names = _Names(ctx)
    actors = [
        names.actor(person_id, row.actor_kind, row.actor_id, row.actor_name, row.detail)
        for row in rows
    ]
    for row in rows:
        names.want_object(row.object_type, row.object_id, row.detail)
    names.resolve()
    entries = []
    for row, actor in zip(rows, actors, strict=True):
        finished = names.finish(actor)
        own = finished.who == Who.SELF
        assert row.seq is not None
        entries.append(
            TrailEntry(
                seq=row.seq,
                occurred_at=row.occurred_at,
                action=row.action,
                kind=KIND_OF_ACTION.get(row.action, Kind.OTHER),
                actor=finished,
                means=row.means,
                loa=row.loa,
                ip=row.ip if own else None,
                user_agent=row.user_agent if own else None,
                object_type=row.object_type,
                object_id=row.object_id,
                detail=dict(row.detail),
                names=names.for_object(row.object_type, row.object_id, row.detail),
            )
        )
    return entries


def _note_reading(ctx: Ctx, person_id: UUID, action: str, **detail: Any) -> None:
    """Someone other than the person read or exported the trail: that goes in it too."""
    actor = ctx.actor
    if isinstance(actor, PersonActor) and actor.person_id == person_id and action == "audit.viewed":
        return
    record(ctx, action, subject_person_id=person_id, object_type="account", **detail)


class _Names:
    """Collects ids on a page, then resolves their names with one query per kind."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.wanted: dict[str, set[UUID]] = {
            kind: set()
            for kind in ("afnemer", "office", "staff", "message", "mandate", "measure", "service")
        }
        self.found: dict[tuple[str, UUID], Any] = {}

    def actor(
        self, person_id: UUID, kind: str, actor_id: str, name: str, detail: dict[str, Any]
    ) -> TrailActor:
        office = detail.get("office_id") if kind == "staff" else None
        if kind == "afnemer":
            self._want("afnemer", actor_id)
        if office:
            self._want("office", office)
        who = _who_of(person_id, kind, actor_id)
        return TrailActor(kind, actor_id, name, who, office)

    def want_object(self, object_type: str | None, object_id: str | None, detail: Any) -> None:
        if object_type in ("message", "mandate") and object_id:
            self._want(object_type, object_id)
        if object_type == "legal_measure" and object_id:
            self._want("measure", object_id)
        if object_type == "service" and object_id:
            self._want("service", object_id)

    def _want(self, kind: str, value: object) -> None:
        with suppress(ValueError):
            self.wanted[kind].add(UUID(str(value)))

    def resolve(self) -> None:
        session = self.ctx.session
        for message in self._load(Message, "message"):
            self._want("afnemer", message.afnemer_id)
        services: dict[UUID, Service] = {}
        messages = [self.found[key] for key in self.found if key[0] == "message"]
        service_ids = {message.service_id for message in messages}
        if service_ids:
            for service in session.scalars(select(Service).where(col(Service.id).in_(service_ids))):
                services[service.id] = service
        for message in messages:
            found = services.get(message.service_id)
            if found is not None:
                self.found[("service_of", message.id)] = found.name
        for mandate in self._load(Mandate, "mandate"):
            self._want_representative(
                mandate.representative_person_id, mandate.representative_office_id
            )
        for measure in self._load(LegalMeasure, "measure"):
            self._want_representative(
                measure.representative_person_id, measure.representative_office_id
            )
        for service in self._load(Service, "service"):
            self._want("afnemer", service.afnemer_id)
        self._load(Afnemer, "afnemer")
        self._load(Office, "office")
        self._load_people()

    def _want_representative(self, person_id: UUID | None, office_id: UUID | None) -> None:
        if person_id is not None:
            self.wanted.setdefault("person", set()).add(person_id)
        if office_id is not None:
            self.wanted["office"].add(office_id)

    def _load(self, model: Any, kind: str) -> list[Any]:
        ids = [value for value in self.wanted.get(kind, set()) if (kind, value) not in self.found]
        if not ids:
            return []
        loaded = list(self.ctx.session.scalars(select(model).where(col(model.id).in_(ids))))
        for item in loaded:
            self.found[(kind, item.id)] = item
        return loaded

    def _load_people(self) -> None:
        for person in self._load(Person, "person"):
            self.found[("person_name", person.id)] = person.full_name

    def finish(self, actor: TrailActor) -> TrailActor:
        name, office = actor.name, None
        if actor.kind == "afnemer":
            afnemer = self._get("afnemer", actor.id)
            name = afnemer.name if afnemer is not None else name
        if actor.office:
            found = self._get("office", actor.office)
            office = found.name if found is not None else None
        return TrailActor(actor.kind, actor.id, name, actor.who, office)

    def _get(self, kind: str, value: object) -> Any:
        try:
            return self.found.get((kind, UUID(str(value))))
        except ValueError:
            return None

    def for_object(
        self, object_type: str | None, object_id: str | None, detail: dict[str, Any]
    ) -> dict[str, str]:
        names: dict[str, str] = {}
        if isinstance(detail.get("afnemer"), str):
            names["afnemer"] = detail["afnemer"]
        if object_type == "message" and object_id:
            message = self._get("message", object_id)
            if message is not None:
                afnemer = self._get("afnemer", message.afnemer_id)
                if afnemer is not None:
                    names["afnemer"] = afnemer.name
                service = self.found.get(("service_of", message.id))
                if service:
                    names["service"] = service
        if object_type in ("mandate", "legal_measure") and object_id:
            item = self._get("mandate" if object_type == "mandate" else "measure", object_id)
            if item is not None:
                names["representative"] = self._representative_name(item)
            if item is not None and object_type == "legal_measure":
                names["measure_kind"] = str(item.kind)
        if object_type == "service" and object_id:
            service = self._get("service", object_id)
            if service is not None:
                names["service"] = service.name
                afnemer = self._get("afnemer", service.afnemer_id)
                if afnemer is not None:
                    names["afnemer"] = afnemer.name
        return names

    def _representative_name(self, item: Any) -> str:
        if item.representative_person_id is not None:
            return str(self.found.get(("person_name", item.representative_person_id), ""))
        office = self.found.get(("office", item.representative_office_id))
        return office.name if office is not None else ""


def _who_of(person_id: UUID, kind: str, actor_id: str) -> Who:
    if kind == "person" and actor_id == str(person_id):
        return Who.SELF
    if kind in ("person", "staff", "eidas"):
        return Who.PERSON
    if kind == "afnemer":
        return Who.ORGANISATION
    if kind in ("system", "register", "operator"):
        return Who.SERVICE
    return Who.ANONYMOUS


__all__ = [
    "KIND_OF_ACTION",
    "Kind",
    "SealStatus",
    "TrailActor",
    "TrailEntry",
    "TrailFilter",
    "TrailPage",
    "Who",
    "authorize_trail",
    "filtered_events",
    "may_read_trail",
    "read_trail",
    "seal_status",
    "to_entries",
    "trail_actors",
]
