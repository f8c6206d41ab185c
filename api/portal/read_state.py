"""Rule 8 in the person's hands: may an afnemer see whether its messages were read?

A page of its own, linked from the settings: the afnemers whose post reaches the mailbox, each
with the person's choice and one button to allow or withdraw. The policy decides who may choose
(``share_read_state``: the person, or a curator); every change is audited.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form
from fastapi.responses import Response

from api.portal.forms import Csrf, Switch
from api.portal.page import PageDep, PortalPage
from machtigen.consents import service as consents

router = APIRouter(prefix="/portal/settings", include_in_schema=False)
AfnemerId = Annotated[UUID, Form()]


def read_state_view(page: PortalPage, *, error: str | None = None) -> Response:
    assert page.subject_id is not None
    return page.render(
        "portal/read_state.html",
        422 if error else 200,
        choices=consents.read_state_overview(page.ctx, page.subject_id),
        errors={"read-state": error} if error else {},
    )


@router.get("/read-state")
def read_state_page(page: PageDep) -> Response:
    if page.subject_id is None:
        return page.redirect("/portal")
    return read_state_view(page)


@router.post("/read-state")
def choose(page: PageDep, csrf_token: Csrf, afnemer: AfnemerId, share: Switch) -> Response:
    """One afnemer, one explicit choice; a value that does not parse is refused (422) by the
    form's types and changes nothing."""
    page.require_csrf(csrf_token)
    if page.subject_id is None:
        return page.redirect("/portal")
    page.require_loa("manage_account")
    consents.set_share_read_state(page.ctx, page.subject_id, afnemer, share == "yes")
    done = "read_state_shared" if share == "yes" else "read_state_withheld"
    return page.redirect("/portal/settings/read-state", done)
