"""Server-side portal sessions: the cookie holds a random token, the database its hash.

Sessions end after an idle time and after an absolute time, and on log-out. Every form
post carries the session's CSRF token. A representative chooses whom they act for; the
policy decides, and the switch is audited.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.audit.service import record
from machtigen.authz.actors import PersonActor, StaffActor, UnmatchedEidasActor
from machtigen.config import Settings
from machtigen.context import Ctx
from machtigen.errors import Forbidden
from machtigen.identity.loa import require_loa
from machtigen.identity.models import OfficeStaff, Person, PortalSession
from machtigen.identity.service import staff_actor


class SessionExpired(Forbidden):
    status_code = 401
    title = "Session ended"


@dataclass(frozen=True)
class Opened:
    cookie_token: str
    session: PortalSession


def open_session(
    ctx: Ctx, settings: Settings, *, language: str = "nl", id_token_hint: str | None = None
) -> Opened:
    """A new session for the actor that just logged in."""
    token = secrets.token_urlsafe(32)
    actor = ctx.actor
    portal = PortalSession(
        token_hash=_hash(token),
        actor_kind=actor.kind,
        person_id=actor.person_id if isinstance(actor, PersonActor) else None,
        staff_id=actor.staff_id if isinstance(actor, StaffActor) else None,
        eidas_identity_id=actor.identity_id if isinstance(actor, UnmatchedEidasActor) else None,
        means=actor.means or "",
        loa=actor.loa or "",
        csrf_token=secrets.token_urlsafe(32),
        language=language,
        created_at=ctx.now,
        last_seen_at=ctx.now,
        expires_at=ctx.now + timedelta(hours=settings.session_absolute_hours),
        ip=ctx.origin.ip,
        user_agent=(ctx.origin.user_agent or "")[:300] or None,
        id_token_hint=id_token_hint,
    )
    ctx.session.add(portal)
    ctx.session.flush()
    return Opened(token, portal)


def resume(db: Session, token: str | None, now: datetime, settings: Settings) -> PortalSession:
    """The live session for a cookie, touched; SessionExpired when idle, ended or unknown."""
    if not token:
        raise SessionExpired("Please log in.")
    statement = select(PortalSession).where(col(PortalSession.token_hash) == _hash(token))
    portal = db.scalars(statement).one_or_none()
    if portal is None or portal.ended_at is not None:
        raise SessionExpired("Please log in.")
    idle_limit = portal.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if now >= portal.expires_at or now >= idle_limit:
        portal.ended_at = now
        raise SessionExpired("Your session has ended; please log in again.")
    portal.last_seen_at = now
    return portal


def csrf_valid(portal: PortalSession, submitted: str | None) -> bool:
    return submitted is not None and hmac.compare_digest(portal.csrf_token, submitted)


def close_session(ctx: Ctx, portal: PortalSession, *, reason: str | None = None) -> None:
    _close(ctx, [portal], portal, **({} if reason is None else {"reason": reason}))


def end_replaced(ctx: Ctx, token: str | None) -> None:
    """A new login in this browser ends the session its cookie held, on the server too."""
    if not token:
        return
    statement = select(PortalSession).where(col(PortalSession.token_hash) == _hash(token))
    replaced = ctx.session.scalars(statement).one_or_none()
    if replaced is not None and replaced.ended_at is None:
        close_session(ctx, replaced, reason="replaced")


def live_sessions(
    db: Session, portal: PortalSession, now: datetime, settings: Settings
) -> list[PortalSession]:
    """The live sessions of whoever holds ``portal`` (a person, an employee or an eID), newest
    first: each device they are logged in on."""
    owner = _owner_condition(portal)
    if owner is None:
        return [portal]
    idle_since = now - timedelta(minutes=settings.session_idle_minutes)
    statement = (
        select(PortalSession)
        .where(
            owner,
            col(PortalSession.ended_at).is_(None),
            col(PortalSession.expires_at) > now,
            col(PortalSession.last_seen_at) > idle_since,
        )
        .order_by(col(PortalSession.last_seen_at).desc())
        .limit(100)
    )
    return list(db.scalars(statement).all())


def close_everywhere(ctx: Ctx, portal: PortalSession, settings: Settings) -> int:
    """End every live session of this session's holder, this one included; one audit event."""
    ended = live_sessions(ctx.session, portal, ctx.now, settings)
    if portal not in ended:
        ended.append(portal)
    _close(ctx, ended, portal, reason="everywhere", sessions=len(ended))
    return len(ended)


def _close(ctx: Ctx, ended: list[PortalSession], portal: PortalSession, **detail: Any) -> None:
    """End the sessions; one ``logout`` event, about ``portal`` (the one that asked)."""
    for each in ended:
        each.ended_at = ctx.now
        each.id_token_hint = None
    record(
        ctx,
        "logout",
        subject_person_id=portal.person_id,
        object_type="session",
        object_id=portal.id,
        **detail,
    )


def _owner_condition(portal: PortalSession) -> Any:
    if portal.person_id is not None:
        return col(PortalSession.person_id) == portal.person_id
    if portal.staff_id is not None:
        return col(PortalSession.staff_id) == portal.staff_id
    if portal.eidas_identity_id is not None:
        return col(PortalSession.eidas_identity_id) == portal.eidas_identity_id
    return None


def act_for(
    ctx: Ctx, portal: PortalSession, person_id: UUID | None, *, ended: str | None = None
) -> None:
    """Switch whom the representative acts for (``None``: themselves); the policy decides.

    ``ended``: acting stopped because the actor may no longer act for the person (why).
    """
    if person_id is not None:
        person = ctx.session.get(Person, person_id)
        if person is None:
            raise ctx.deny("act_for", None, Forbidden("You cannot act for this person."))
        ctx.authorize("act_for", person)
        require_loa(ctx, "read_mailbox")
    previous = portal.acting_for_person_id
    portal.acting_for_person_id = person_id
    record(
        ctx,
        "session.acting_for",
        subject_person_id=person_id or previous,
        object_type="session",
        object_id=portal.id,
        acting_for=person_id,
        previous=previous,
        **({"ended": ended} if ended else {}),
    )


def actor_of(
    db: Session, portal: PortalSession, now: datetime
) -> PersonActor | StaffActor | UnmatchedEidasActor:
    """The actor a session stands for at this moment: the policy decides with it."""
    if portal.person_id is not None:
        person = db.get(Person, portal.person_id)
        name = person.full_name if person else ""
        return PersonActor(portal.person_id, now, means=portal.means, loa=portal.loa, name=name)
    if portal.staff_id is not None:
        staff = db.get(OfficeStaff, portal.staff_id)
        if staff is None or not staff.active:
            raise SessionExpired("Please log in.")
        return staff_actor(db, staff, now, means=portal.means, loa=portal.loa)
    if portal.eidas_identity_id is not None:
        return UnmatchedEidasActor(
            portal.eidas_identity_id, now, means=portal.means, loa=portal.loa
        )
    raise SessionExpired("Please log in.")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
