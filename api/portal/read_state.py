"""Rule 8 in the person's hands: may an afnemer see whether its messages were read?

A page of its own, linked from the settings: the afnemers whose post reaches the mailbox, each
with the person's choice and one button to allow or withdraw. The policy decides who may choose
(``share_read_state``: the person, or a curator); every change is audited.
"""

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from api.portal.forms import Switch
from api.portal.page import AccountPage, PortalPage, SubjectPage
from api.web import CsrfForm
from machtigen.consents import service as consents

router = APIRouter(prefix="/portal/settings", include_in_schema=False)
AfnemerId = Annotated[UUID, Form()]


def read_state_view(page: PortalPage, *, error: str | None = None) -> Response:
    return page.render(
        "portal/read_state.html",
        422 if error else 200,
        choices=consents.read_state_overview(page.ctx, page.subject),
        errors={"read-state": error} if error else {},
    )


@router.get("/read-state")
def read_state_page(page: Annotated[PortalPage, Depends(SubjectPage())]) -> Response:
    return read_state_view(page)


@router.post("/read-state", dependencies=[CsrfForm])
def choose(page: AccountPage, afnemer: AfnemerId, share: Switch) -> Response:
    """One afnemer, one explicit choice; a value that does not parse is refused (422) by the
    form's types and changes nothing."""
    consents.set_share_read_state(page.ctx, page.subject, afnemer, share == "yes")
    done = "read_state_shared" if share == "yes" else "read_state_withheld"
    return page.redirect("/portal/settings/read-state", done)
