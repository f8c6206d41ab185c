"""The office administrator divides the office's clients among its staff."""

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.deps import Answered
from api.portal.forms import ShortText, parse_uuid
from api.portal.page import PageDep, PortalPage
from api.web import CsrfForm, explain
from machtigen.errors import MachtigenError
from machtigen.identity import assignments
from machtigen.identity.models import Office
from machtigen.mandates.service import clients_of_actor

router = APIRouter(prefix="/portal/office", include_in_schema=False)


def _office(page: PageDep) -> Office:
    """The employee's own office, in their own name (the policy: staff see their office)."""
    office = assignments.own_office(page.ctx) if page.own else None
    if office is None:
        raise Answered(page.redirect("/portal"))
    return office


OwnOffice = Annotated[Office, Depends(_office)]


def _office_page(page: PortalPage, office: Office, status_code: int = 200, **form: str) -> Response:
    ctx = page.ctx
    return page.render(
        "portal/office.html",
        status_code,
        office=office,
        staff=assignments.staff_of_office(ctx, office.id),
        assignments=assignments.assignments_of_office(ctx, office.id),
        clients=clients_of_actor(ctx),
        errors={"staff_id": form["error"]} if form.get("error") else {},
        chosen_staff=form.get("staff_id", ""),
        chosen_client=form.get("person_id", ""),
    )


@router.get("")
def office_page(page: PageDep, office: OwnOffice) -> Response:
    return _office_page(page, office)


@router.post("/{change}", dependencies=[CsrfForm])
def change_assignment(
    page: PageDep,
    change: str,
    staff_id: ShortText = "",
    person_id: ShortText = "",
) -> Response:
    """The office is asked here, not in a dependency: a form that does not parse is a 422
    first, for anyone."""
    office = _office(page)
    if change not in ("assign", "unassign"):
        return page.redirect("/portal")
    staff, client = parse_uuid(staff_id), parse_uuid(person_id)
    if staff is None or client is None:
        return _office_page(
            page,
            office,
            422,
            error=page.t["error_assignment_choose"],
            staff_id=staff_id,
            person_id=person_id,
        )
    try:
        with page.ctx.session.begin_nested():
            if change == "assign":
                assignments.assign_client(page.ctx, staff, client)
            else:
                assignments.unassign_client(page.ctx, staff, client)
    except MachtigenError as refused:
        return _office_page(
            page,
            office,
            refused.status_code,
            error=explain(refused, page.lang),
            staff_id=staff_id,
            person_id=person_id,
        )
    return page.redirect("/portal/office", "assigned" if change == "assign" else "unassigned")
