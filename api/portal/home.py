"""The start page: the state of the mailbox, what needs attention, and the people one acts for."""

from fastapi import APIRouter
from fastapi.responses import Response

from api.portal.caseload import caseload_view
from api.portal.page import PageDep
from machtigen.accounts import service as accounts
from machtigen.identity.loa import loa_sufficient
from machtigen.mandates.service import clients_of_actor, mandate_overview
from machtigen.messages.service import unread_count
from machtigen.notifications.prompts import portal_prompts

router = APIRouter(include_in_schema=False)


@router.get("/portal")
def home(page: PageDep) -> Response:
    """For an office employee the start page is the caseload; for a person, their own box."""
    if page.is_staff and page.own:
        page.require_loa("read_mailbox")
        return caseload_view(page)
    ctx, subject = page.ctx, page.subject_id
    account = accounts.get_account(ctx, subject) if subject else None
    holder = account is not None and ctx.is_allowed("manage_settings", account)
    # The prompts are forms: only offered at a login level that can send them.
    asks = holder and subject is not None and loa_sufficient(ctx, "manage_account")
    return page.render(
        "portal/home.html",
        account=account,
        holder=holder,
        prompts=portal_prompts(ctx, subject) if asks and subject else [],
        new_afnemers=accounts.afnemers_to_ask_about(ctx, subject) if asks and subject else [],
        unread=unread_count(ctx, subject) if subject else 0,
        to_approve=[
            view
            for view in (mandate_overview(ctx, as_represented=True) if page.own else [])
            if view.may_accept
        ],
        to_accept=[
            view
            for view in (mandate_overview(ctx, as_represented=False) if page.own else [])
            if view.may_accept
        ],
        clients=clients_of_actor(ctx) if page.own else [],
    )
