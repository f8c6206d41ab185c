"""Who is told about a message or a mandate change: an address book, filtered by the policy.

The candidates are the owner and everyone named as a representative (by mandate or court
measure, in person or through an office) who has an address; the policy decides who of them
is told: ``receive_notifications`` on the message (rules 6 and 12), ``read`` on the mandate.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import select, union
from sqlmodel import col

from machtigen.accounts.models import Account
from machtigen.authz.actors import Actor, PersonActor, StaffActor
from machtigen.context import Ctx
from machtigen.identity.correspondence import correspondence_language_sql
from machtigen.identity.models import OfficeStaff, Person, StaffAssignment
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import LegalMeasure, Mandate
from machtigen.messages.models import Message
from machtigen.notifications.models import RecipientKind


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    id: UUID
    email: str
    language: str
    actor: Actor


def message_recipients(ctx: Ctx, message: Message) -> list[Recipient]:
    """The owner and the representatives the policy lets receive notifications of it."""
    allowed = _allowed(ctx, _candidates(ctx, message.person_id), "receive_notifications", message)
    return _assigned_staff_first(ctx, message.person_id, allowed)


def _assigned_staff_first(
    ctx: Ctx, person_id: UUID, recipients: list[Recipient]
) -> list[Recipient]:
    """Of an office with an employee assigned to this client, only the assigned are told.

    The policy lets an office administrator act for every client of the office; the e-mail
    goes to the employees who handle the client, and to the administrators only for a client
    with nobody assigned (or nobody assigned with an address), so that nobody is left blind.
    """
    assigned = set(
        ctx.session.scalars(
            select(col(StaffAssignment.staff_id)).where(
                col(StaffAssignment.client_person_id) == person_id
            )
        )
    )
    if not assigned:
        return recipients
    handled = {
        r.actor.office_id
        for r in recipients
        if isinstance(r.actor, StaffActor) and r.actor.staff_id in assigned
    }
    return [
        r
        for r in recipients
        if not (
            isinstance(r.actor, StaffActor)
            and r.actor.office_id in handled
            and r.actor.staff_id not in assigned
        )
    ]


def mandate_recipients(ctx: Ctx, mandate: Mandate) -> list[Recipient]:
    """Both parties of a mandate (whoever may read it), except the one who made the change."""
    candidates = _candidates(ctx, mandate.represented_person_id, mandate=mandate)
    acting = (ctx.actor.kind, ctx.actor.key)
    others = [r for r in candidates if (r.actor.kind, r.actor.key) != acting]
    return _allowed(ctx, others, "read", mandate)


def _allowed(
    ctx: Ctx, candidates: Iterable[Recipient], action: str, resource: Any
) -> list[Recipient]:
    chosen: dict[str, Recipient] = {}
    for candidate in candidates:
        address = candidate.email.lower()
        if address in chosen:
            continue
        if ctx.authz.is_allowed(ctx.session, candidate.actor, action, resource):
            chosen[address] = candidate
    return list(chosen.values())


def _candidates(ctx: Ctx, person_id: UUID, *, mandate: Mandate | None = None) -> list[Recipient]:
    """Everyone with an address who is named as a representative of this person.

    Only an address book: whether they are told anything is the policy's decision.
    """
    at = ctx.now
    people = select(
        col(Person.id), col(Account.email), correspondence_language_sql().label("language")
    ).join(Account, col(Account.person_id) == col(Person.id))
    owner = ctx.session.execute(people.where(col(Person.id) == person_id)).first()
    found: list[Recipient] = []
    if owner is not None and owner.email:
        found.append(
            Recipient(
                RecipientKind.OWNER,
                owner.id,
                owner.email,
                owner.language,
                PersonActor(owner.id, at),
            )
        )
    if mandate is not None:
        person_ids: Any = [mandate.representative_person_id]
        office_ids: Any = [mandate.representative_office_id]
    else:
        person_ids = union(
            select(col(Mandate.representative_person_id)).where(
                col(Mandate.represented_person_id) == person_id
            ),
            select(col(LegalMeasure.representative_person_id)).where(
                col(LegalMeasure.subject_person_id) == person_id
            ),
        )
        office_ids = union(
            select(col(Mandate.representative_office_id)).where(
                col(Mandate.represented_person_id) == person_id
            ),
            select(col(LegalMeasure.representative_office_id)).where(
                col(LegalMeasure.subject_person_id) == person_id
            ),
        )
    for row in ctx.session.execute(
        people.where(col(Person.id).in_(person_ids), col(Account.email).is_not(None))
    ):
        found.append(
            Recipient(
                RecipientKind.PERSON,
                row.id,
                row.email,
                row.language,
                PersonActor(row.id, at),
            )
        )
    staff = select(OfficeStaff).where(
        col(OfficeStaff.office_id).in_(office_ids),
        col(OfficeStaff.active).is_(True),
        col(OfficeStaff.email).is_not(None),
    )
    for member in ctx.session.scalars(staff.order_by(col(OfficeStaff.id))):
        assert member.email is not None
        found.append(
            Recipient(
                RecipientKind.STAFF,
                member.id,
                member.email,
                "nl",
                staff_actor(ctx.session, member, at),
            )
        )
    return found
