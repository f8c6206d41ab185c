"""How to address a person outside the portal: in which language, naming which login.

A letter or e-mail that a person cannot read, or that tells them to log in with a means they
do not have, fails them (the Spanish pensioner told to "log in met DigiD"). The language is
the one the person chose in the portal; someone who never chose and came in through eIDAS
reads English; everyone else Dutch. The means are those the person has logged in with, as the
audit trail records them; for someone who never logged in, eIDAS when their eID is linked to
their BSN, else DigiD (every BSN holder can apply for it).
"""

from typing import Any
from uuid import UUID

from sqlalchemy import and_, case, exists, literal, select
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import PersonActor
from machtigen.context import Ctx
from machtigen.identity.models import EidasIdentity, EidasMatch, Person

LANGUAGES = ("nl", "en")
PERSON_MEANS = ("digid", "eidas")


def correspondence_language(session: Session, person: Person) -> str:
    if person.language_chosen_at is not None and person.preferred_language in LANGUAGES:
        return person.preferred_language
    return "en" if _eidas_linked(session, person.id) else "nl"


def correspondence_language_sql() -> Any:
    """The same rule as a column expression over ``person``, for reading many recipients in
    one statement (the notification outbox is written on the delivery's hot path)."""
    linked = exists().where(
        col(EidasIdentity.person_id) == col(Person.id),
        col(EidasIdentity.match) == EidasMatch.MATCHED,
    )
    return case(
        (
            and_(
                col(Person.language_chosen_at).is_not(None),
                col(Person.preferred_language).in_(LANGUAGES),
            ),
            col(Person.preferred_language),
        ),
        (linked, literal("en")),
        else_=literal("nl"),
    )


def login_means(session: Session, person: Person) -> list[str]:
    """``digid`` and/or ``eidas``, in that order: never a means the person does not have."""
    used = set(
        session.scalars(
            select(col(AuditEvent.means))
            .where(
                col(AuditEvent.subject_person_id) == person.id,
                col(AuditEvent.action) == "login",
                col(AuditEvent.actor_kind) == "person",
                col(AuditEvent.actor_id) == str(person.id),
                col(AuditEvent.means).in_(PERSON_MEANS),
            )
            .distinct()
        )
    )
    if used:
        return [means for means in PERSON_MEANS if means in used]
    return ["eidas"] if _eidas_linked(session, person.id) else ["digid"]


def remember_language(ctx: Ctx, language: str) -> None:
    """The person logged in switched the portal's language: their post follows from now on.

    Only ever the actor's own choice; an employee's or a representative's switch changes
    nobody's post."""
    if language not in LANGUAGES or not isinstance(ctx.actor, PersonActor):
        return
    person = ctx.session.get(Person, ctx.actor.person_id)
    if person is None:
        return
    if person.preferred_language != language or person.language_chosen_at is None:
        person.preferred_language = language
        person.language_chosen_at = ctx.now


def _eidas_linked(session: Session, person_id: UUID) -> bool:
    linked = exists().where(
        col(EidasIdentity.person_id) == person_id,
        col(EidasIdentity.match) == EidasMatch.MATCHED,
    )
    return bool(session.scalar(select(linked)))
