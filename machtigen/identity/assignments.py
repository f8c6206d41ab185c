"""An office administrator divides the office's clients among its staff.

The office stays the representative (it holds the mandate or is appointed by the court); an
assignment only decides which employee acts for which client and hears of their post. While
an office has no assignment at all, every employee acts for every client of the office; from
the first assignment on, an employee acts for the clients assigned to them and an
administrator for all of them (``office_lets`` in policies/00_representation.polar).
``Office.assigns_clients`` mirrors "has at least one assignment" so that the policy needs no
negation; it is kept here, under a row lock on the office, in the assignment's transaction.
Every change is in the client's audit trail.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from machtigen.audit.service import record
from machtigen.context import Ctx
from machtigen.errors import NotFound
from machtigen.identity.errors import (
    ClientNotFound,
    OfficeNotFound,
    StaffInactive,
    StaffNotFound,
)
from machtigen.identity.loa import require_loa
from machtigen.identity.models import Office, OfficeStaff, Person, StaffAssignment
from machtigen.identity.names import sort_key


@dataclass(frozen=True)
class Assignment:
    staff_id: UUID
    staff_name: str
    client_person_id: UUID
    client_name: str
    assigned_at: datetime


def assign_client(ctx: Ctx, staff_id: UUID, client_person_id: UUID) -> None:
    """Assign a client of the office to an employee; assigning twice changes nothing."""
    staff, office = _managed_staff(ctx, staff_id)
    if not staff.active:
        raise StaffInactive()
    client = ctx.session.get(Person, client_person_id)
    if client is None or not ctx.is_allowed("act_for", client):
        raise ClientNotFound()
    office = _locked(ctx, office)
    if _assignment(ctx, staff.id, client.id) is not None:
        return
    assignment = StaffAssignment(
        staff_id=staff.id,
        client_person_id=client.id,
        assigned_at=ctx.now,
        assigned_by_staff_id=getattr(ctx.actor, "staff_id", None),
    )
    try:
        with ctx.session.begin_nested():
            ctx.session.add(assignment)
    except IntegrityError:
        if _assignment(ctx, staff.id, client.id) is None:
            raise
        return
    if not office.assigns_clients:
        office.assigns_clients = True
        _record_division(ctx, office, started=True)
    _record_assignment(ctx, "office.client_assigned", client.id, assignment, staff, office)


def unassign_client(ctx: Ctx, staff_id: UUID, client_person_id: UUID) -> None:
    """Take a client away from an employee; removing what is not there changes nothing.

    Works for a former client too, so that stale assignments can be cleaned up.
    """
    staff, office = _managed_staff(ctx, staff_id)
    office = _locked(ctx, office)
    assignment = _assignment(ctx, staff.id, client_person_id)
    if assignment is None:
        return
    ctx.session.delete(assignment)
    ctx.session.flush()
    _record_assignment(ctx, "office.client_unassigned", client_person_id, assignment, staff, office)
    if not _has_assignments(ctx, office.id):
        office.assigns_clients = False
        _record_division(ctx, office, started=False)


def assignments_of_office(ctx: Ctx, office_id: UUID) -> list[Assignment]:
    """Every assignment in the office, by client name (Dutch order) and employee."""
    office = _managed_office(ctx, office_id)
    statement = (
        select(
            StaffAssignment, col(OfficeStaff.name), col(Person.given_name), col(Person.family_name)
        )
        .join(OfficeStaff, col(OfficeStaff.id) == col(StaffAssignment.staff_id))
        .join(Person, col(Person.id) == col(StaffAssignment.client_person_id))
        .where(col(OfficeStaff.office_id) == office.id)
    )
    found = [
        (
            (*sort_key(given, family), staff_name.casefold(), str(assignment.id)),
            Assignment(
                staff_id=assignment.staff_id,
                staff_name=staff_name,
                client_person_id=assignment.client_person_id,
                client_name=f"{given} {family}",
                assigned_at=assignment.assigned_at,
            ),
        )
        for assignment, staff_name, given, family in ctx.session.execute(statement)
    ]
    return [assignment for _, assignment in sorted(found, key=lambda pair: pair[0])]


def staff_of_office(ctx: Ctx, office_id: UUID) -> list[OfficeStaff]:
    """The office's employees (active first, then by name), to choose whom to assign."""
    office = _managed_office(ctx, office_id)
    statement = (
        select(OfficeStaff)
        .where(col(OfficeStaff.office_id) == office.id)
        .order_by(col(OfficeStaff.active).desc(), col(OfficeStaff.name), col(OfficeStaff.id))
    )
    return list(ctx.session.scalars(statement))


def _managed_staff(ctx: Ctx, staff_id: UUID) -> tuple[OfficeStaff, Office]:
    """The employee, if the actor administers their office: 404 for another office's, else 403."""
    staff = ctx.session.get(OfficeStaff, staff_id)
    if staff is None:
        raise StaffNotFound()
    try:
        office = _managed_office(ctx, staff.office_id)
    except NotFound as error:
        raise StaffNotFound() from error
    return staff, office


def _managed_office(ctx: Ctx, office_id: UUID) -> Office:
    office = ctx.session.get(Office, office_id)
    if office is None:
        raise OfficeNotFound()
    try:
        ctx.authorize("manage_assignments", office)
    except NotFound as error:
        raise OfficeNotFound() from error
    require_loa(ctx, "manage_office")
    return office


def _locked(ctx: Ctx, office: Office) -> Office:
    """The office row, locked until commit: two administrators at once keep the flag right."""
    statement = (
        select(Office)
        .where(col(Office.id) == office.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return ctx.session.scalars(statement).one()


def _assignment(ctx: Ctx, staff_id: UUID, client_person_id: UUID) -> StaffAssignment | None:
    statement = select(StaffAssignment).where(
        col(StaffAssignment.staff_id) == staff_id,
        col(StaffAssignment.client_person_id) == client_person_id,
    )
    return ctx.session.scalars(statement).one_or_none()


def _has_assignments(ctx: Ctx, office_id: UUID) -> bool:
    statement = select(
        exists()
        .where(col(StaffAssignment.staff_id) == col(OfficeStaff.id))
        .where(col(OfficeStaff.office_id) == office_id)
    )
    return bool(ctx.session.scalar(statement))


def _record_assignment(
    ctx: Ctx,
    action: str,
    client_person_id: UUID,
    assignment: StaffAssignment,
    staff: OfficeStaff,
    office: Office,
) -> None:
    record(
        ctx,
        action,
        subject_person_id=client_person_id,
        object_type="staff_assignment",
        object_id=assignment.id,
        office=office.name,
        office_id=office.id,
        staff_id=staff.id,
        staff_name=staff.name,
    )


def _record_division(ctx: Ctx, office: Office, *, started: bool) -> None:
    """From the first assignment on, employees act only for their own clients; and back."""
    record(
        ctx,
        "office.assignments_started" if started else "office.assignments_ended",
        subject_person_id=None,
        object_type="office",
        object_id=office.id,
        office=office.name,
    )
