"""An office employee's own e-mail address for notifications about the office's clients (rule 12).

The same validation and six-monthly "still current?" question as a person's own address; the
policy lets only the employee change it (``manage_contact``), and every change is audited.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.responses import Response

from api.portal.forms import EmailAnswer
from api.portal.page import PageDep, PortalPage
from api.web import CsrfForm
from machtigen.identity.models import Office, OfficeStaff
from machtigen.identity.staff_email import confirm_staff_email, own_staff, set_staff_email
from machtigen.notifications.prompts import staff_prompts

router = APIRouter(prefix="/portal/staff", include_in_schema=False)
Back = Annotated[Literal["", "home"], Form()]


def _own_staff(page: PortalPage) -> OfficeStaff | None:
    """The employee's own record, in their own name (the policy's ``manage_contact``)."""
    return own_staff(page.ctx) if page.own else None


def staff_email_view(
    page: PortalPage, staff: OfficeStaff, *, errors: dict[str, str] | None = None, email: str = ""
) -> Response:
    return page.render(
        "portal/staff_email.html",
        422 if errors else 200,
        staff=staff,
        office=page.ctx.session.get_one(Office, staff.office_id),
        prompts=staff_prompts(page.ctx, staff.id),
        errors=errors or {},
        email=email,
    )


@router.get("/email")
def staff_email_page(page: PageDep) -> Response:
    staff = _own_staff(page)
    if staff is None:
        return page.redirect("/portal")
    return staff_email_view(page, staff)


@router.post("/email", dependencies=[CsrfForm])
def save_staff_email(page: PageDep, form: EmailAnswer, back: Back = "") -> Response:
    """The login level is the service's to check (``manage_account``)."""
    staff = _own_staff(page)
    if staff is None:
        return page.redirect("/portal")

    staff_id = staff.id

    def save(email: str | None) -> None:
        with page.ctx.session.begin_nested():
            set_staff_email(page.ctx, staff_id, email)

    errors = form.saved(page.t, save)
    if errors:
        return staff_email_view(page, staff, errors=errors, email=form.email)
    if form.remove:
        return page.redirect("/portal/staff/email", "email_removed")
    return page.redirect(_back(back), "email_saved")


@router.post("/email/confirm", dependencies=[CsrfForm])
def confirm(page: PageDep, back: Back = "") -> Response:
    staff = _own_staff(page)
    if staff is None:
        return page.redirect("/portal")
    confirm_staff_email(page.ctx, staff.id)
    return page.redirect(_back(back), "email_confirmed")


def _back(back: str) -> str:
    return "/portal" if back == "home" else "/portal/staff/email"
