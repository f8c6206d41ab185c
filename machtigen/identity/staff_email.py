"""An office employee's own e-mail address: where notifications about the office's clients go.

Rule 12 lets representatives be notified for their clients; for an office that is its staff,
each at their own address. The employee sets it, removes it, and answers the six-monthly
"is this still your address?" (as a person does for their own account); nobody else may.
Every change is audited. The address itself never enters the audit trail.
"""

from uuid import UUID

from machtigen.accounts.service import confirm_email, put_email
from machtigen.audit.service import record
from machtigen.context import Ctx
from machtigen.identity.errors import StaffNotFound
from machtigen.identity.loa import require_loa
from machtigen.identity.models import OfficeStaff


def own_staff(ctx: Ctx) -> OfficeStaff | None:
    """The employee record whose address the actor keeps, as the policy lets them
    (``manage_contact``: an employee, their own; anyone else: none)."""
    statement = ctx.authz.select(ctx.actor, "manage_contact", OfficeStaff).limit(1)
    return ctx.session.scalars(statement).one_or_none()


def get_staff(ctx: Ctx, staff_id: UUID, action: str = "see") -> OfficeStaff:
    return ctx.load(OfficeStaff, staff_id, action, StaffNotFound)


def set_staff_email(ctx: Ctx, staff_id: UUID, email: str | None) -> OfficeStaff:
    """Set (validated as a person's address is) or remove the employee's own address, at the
    login level for managing an account."""
    staff = get_staff(ctx, staff_id, "manage_contact")
    require_loa(ctx, "manage_account")
    has_email = put_email(staff, email, ctx.now)
    record(
        ctx,
        "staff.email_changed",
        subject_person_id=None,
        object_type="office_staff",
        object_id=staff.id,
        has_email=has_email,
    )
    return staff


def confirm_staff_email(ctx: Ctx, staff_id: UUID) -> OfficeStaff:
    """The six-monthly "is this address still yours?" answered yes."""
    staff = get_staff(ctx, staff_id, "manage_contact")
    require_loa(ctx, "manage_account")
    confirm_email(staff, ctx.now)
    record(
        ctx,
        "staff.email_confirmed",
        subject_person_id=None,
        object_type="office_staff",
        object_id=staff.id,
    )
    return staff
