"""The office administrator divides the office's clients among its staff."""

from fastapi import APIRouter
from fastapi.responses import Response

from api.portal.forms import Csrf, ShortText, parse_uuid
from api.portal.page import PageDep, PortalPage
from api.web import explain
from machtigen.authz.actors import StaffActor
from machtigen.errors import MachtigenError
from machtigen.identity import assignments
from machtigen.identity.models import Office
from machtigen.mandates.service import clients_of_actor

router = APIRouter(prefix="/portal/office", include_in_schema=False)


def _office_page(page: PortalPage, status_code: int = 200, **form: str) -> Response:
    actor = page.actor
    assert isinstance(actor, StaffActor)
    ctx = page.ctx
    return page.render(
        "portal/office.html",
        status_code,
        office=ctx.session.get_one(Office, actor.office_id),
        staff=assignments.staff_of_office(ctx, actor.office_id),
        assignments=assignments.assignments_of_office(ctx, actor.office_id),
        clients=clients_of_actor(ctx),
        errors={"staff_id": form["error"]} if form.get("error") else {},
        chosen_staff=form.get("staff_id", ""),
        chosen_client=form.get("person_id", ""),
    )


@router.get("")
def office(page: PageDep) -> Response:
    if not isinstance(page.actor, StaffActor) or not page.own:
        return page.redirect("/portal")
    return _office_page(page)


@router.post("/{change}")
def change_assignment(
    page: PageDep,
    change: str,
    csrf_token: Csrf,
    staff_id: ShortText = "",
    person_id: ShortText = "",
) -> Response:
    page.require_csrf(csrf_token)
    if (
        not isinstance(page.actor, StaffActor)
        or not page.own
        or change not in ("assign", "unassign")
    ):
        return page.redirect("/portal")
    staff, client = parse_uuid(staff_id), parse_uuid(person_id)
    if staff is None or client is None:
        return _office_page(
            page,
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
            refused.status_code,
            error=explain(refused, page.lang),
            staff_id=staff_id,
            person_id=person_id,
        )
    return page.redirect("/portal/office", "assigned" if change == "assign" else "unassigned")
