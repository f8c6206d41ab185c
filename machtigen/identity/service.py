"""Registering people, EU citizens' eIDAS identities and representative offices."""

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.accounts.models import Account
from machtigen.audit.service import record
from machtigen.authz.actors import StaffActor
from machtigen.context import Ctx
from machtigen.errors import InvalidInput
from machtigen.identity.bsn import is_valid_bsn
from machtigen.identity.errors import (
    InvalidBsn,
    InvalidEidasIdentifier,
    InvalidKvkNumber,
    OfficeNotFound,
    PersonAlreadyRegistered,
    PersonNotFound,
)
from machtigen.identity.formats import is_eidas_identifier, is_kvk_number
from machtigen.identity.models import EidasIdentity, EidasMatch, Office, OfficeStaff, Person

CASCO_AGE = 14


def age_on(date_of_birth: date, moment: datetime) -> int:
    today = moment.date()
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def register_person(
    ctx: Ctx,
    *,
    bsn: str,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    non_resident: bool = False,
    postal_address: str = "",
    municipality_code: str | None = None,
) -> Person:
    """A person from the BRP or RNI; a casco account comes with it from age 14 (rule 1).

    ``municipality_code`` is where a resident lives (BRP); someone abroad (RNI) has none.
    """
    if not is_valid_bsn(bsn):
        raise InvalidBsn()
    if municipality_code is not None and not (
        len(municipality_code) == 4 and municipality_code.isdigit() and not non_resident
    ):
        raise InvalidInput("A resident's municipality code (CBS) is four digits.")
    if find_person_by_bsn(ctx, bsn) is not None:
        raise PersonAlreadyRegistered()
    person = Person(
        bsn=bsn,
        given_name=given_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        non_resident=non_resident,
        postal_address=postal_address,
        municipality_code=municipality_code,
        created_at=ctx.now,
    )
    ctx.session.add(person)
    ctx.session.flush()
    if age_on(date_of_birth, ctx.now) >= CASCO_AGE:
        ctx.session.add(Account(person_id=person.id, created_at=ctx.now))
        record(ctx, "account.casco_created", subject_person_id=person.id, object_type="account")
    return person


def find_person_by_bsn(ctx: Ctx, bsn: str) -> Person | None:
    if not is_valid_bsn(bsn):
        raise InvalidBsn()
    return ctx.session.scalars(select(Person).where(col(Person.bsn) == bsn)).one_or_none()


def get_person(ctx: Ctx, person_id: UUID) -> Person:
    person = ctx.session.get(Person, person_id)
    if person is None:
        raise PersonNotFound()
    return person


def register_eidas_identity(
    ctx: Ctx,
    *,
    person_identifier: str,
    first_name: str,
    family_name: str,
    date_of_birth: date,
    person_id: UUID | None = None,
) -> EidasIdentity:
    """Record a notified eID; linked to a person only when the match is certain."""
    if not is_eidas_identifier(person_identifier):
        raise InvalidEidasIdentifier()
    identity = EidasIdentity(
        person_identifier=person_identifier,
        first_name=first_name,
        family_name=family_name,
        date_of_birth=date_of_birth,
        person_id=person_id,
        match=EidasMatch.MATCHED if person_id else EidasMatch.UNMATCHED,
        created_at=ctx.now,
    )
    ctx.session.add(identity)
    ctx.session.flush()
    if person_id is not None:
        record_eidas_link(ctx, identity, person_id)
    return identity


def record_eidas_link(ctx: Ctx, identity: EidasIdentity, person_id: UUID) -> None:
    """Audit that an eIDAS identity now stands for the person (registered so, or matched)."""
    record_eidas(ctx, "eidas.linked", identity, person_id)


def record_eidas(
    ctx: Ctx, action: str, identity: EidasIdentity, person_id: UUID | None, **detail: object
) -> None:
    """An audit event about an eIDAS identity, concerning the person it is (or may be)."""
    record(
        ctx,
        action,
        subject_person_id=person_id,
        object_type="eidas_identity",
        object_id=identity.id,
        **detail,
    )


def register_office(ctx: Ctx, *, kvk_number: str, name: str) -> Office:
    if not is_kvk_number(kvk_number):
        raise InvalidKvkNumber()
    office = Office(kvk_number=kvk_number, name=name, created_at=ctx.now)
    ctx.session.add(office)
    ctx.session.flush()
    return office


def add_staff(
    ctx: Ctx, *, office_id: UUID, employee_id: str, name: str, is_admin: bool = False
) -> OfficeStaff:
    if ctx.session.get(Office, office_id) is None:
        raise OfficeNotFound()
    staff = OfficeStaff(
        office_id=office_id,
        employee_id=employee_id,
        name=name,
        is_admin=is_admin,
        created_at=ctx.now,
    )
    ctx.session.add(staff)
    ctx.session.flush()
    return staff


def staff_actor(
    session: Session,
    staff: OfficeStaff,
    at: datetime,
    *,
    means: str = "eherkenning",
    loa: str | None = None,
) -> StaffActor:
    """The actor for an employee, with the facts the policy needs from the database.

    Whether the employee is an administrator and whether the office divides its clients
    (policies/00_representation.polar ``office_lets``) are read now, so a change takes
    effect at the employee's next request.
    """
    office = session.get(Office, staff.office_id)
    return StaffActor(
        staff.id,
        staff.office_id,
        at,
        means=means,
        loa=loa,
        name=staff.name,
        is_admin=bool(staff.is_admin),
        office_divides_clients=office is None or bool(office.assigns_clients),
    )
