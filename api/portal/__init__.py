"""The portal: server-rendered pages for citizens, representatives and EU users.

One thin router per area; the pages are in ``api/templates/portal``. Every page works
without JavaScript; the styles are NL Design System CSS served from ``node_modules``.
"""

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from api.portal import (
    account,
    activity,
    caseload,
    home,
    mailbox,
    mandates,
    office,
    public,
    read_state,
    staff,
)
from api.portal.forms import UnusableFields, one_value_per_field
from api.portal.page import ActingEnded, NotForUnmatched, PortalPage, StepUpNeeded, frame
from api.web import Portal, anonymous_ctx, error_page, language, logged_in_chrome, render
from machtigen.audit.service import record
from machtigen.i18n import gettext, lookup
from machtigen.identity import sessions
from machtigen.identity.loa import StepUpRequired
from machtigen.identity.models import PortalSession
from machtigen.mandates.ended import why_acting_ended

ROUTERS = (
    public.router,
    home.router,
    mailbox.router,
    account.router,
    activity.router,
    mandates.router,
    caseload.router,
    office.router,
    staff.router,
    read_state.router,
)


def install_portal(app: FastAPI) -> None:
    app.state.page_frame = frame
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(one_value_per_field)])

    @app.exception_handler(NotForUnmatched)
    async def _unmatched(_request: Request, _error: NotForUnmatched) -> Response:
        return RedirectResponse("/auth/eidas/result", status_code=303)

    @app.exception_handler(StepUpNeeded)
    def _step_up_needed(request: Request, error: StepUpNeeded) -> Response:
        """The page's own transaction was rolled back: the refusal is audited in a new one."""
        factory = request.app.state.session_factory
        with factory() as db, db.begin():
            ctx = anonymous_ctx(request, db, error.actor)
            record(
                ctx,
                "login.step_up_required",
                subject_person_id=error.person_id,
                purpose=error.step_up.purpose,
                needed=error.step_up.needed,
            )
        return _step_up_page(request, error.step_up)

    @app.exception_handler(UnusableFields)
    async def _unusable(request: Request, error: UnusableFields) -> Response:
        lang = language(request)
        labels = [lookup(lang, f"field_{name}") or name for name in error.fields]
        return error_page(request, 422, gettext(lang, "error_form_unreadable"), fields=labels)

    @app.exception_handler(ActingEnded)
    def _acting_ended(request: Request, error: ActingEnded) -> Response:
        """Stop acting for the person at once, audited with the reason, and say why."""
        factory = request.app.state.session_factory
        with factory() as db, db.begin():
            ctx = anonymous_ctx(request, db, error.actor)
            row = db.get(PortalSession, error.session_id)
            because = why_acting_ended(ctx, error.person_id)
            if row is not None and row.acting_for_person_id == error.person_id:
                sessions.act_for(ctx, row, None, ended=because)
            if row is None:
                return RedirectResponse("/auth/login", status_code=303)
            page = PortalPage(request, Portal(row, error.actor, ctx), language(request, row), None)
            status = 200 if request.method in ("GET", "HEAD") else 409
            return page.render(
                "portal/acting_ended.html",
                status,
                person_name=error.person_name,
                because=because,
                not_done=status == 409,
            )

    @app.exception_handler(StepUpRequired)
    async def _step_up(request: Request, error: StepUpRequired) -> Response:
        return _step_up_page(request, error)


def _step_up_page(request: Request, step_up: StepUpRequired) -> Response:
    """Like every refusal, with the header, the menu and whom the actor acts for."""
    chrome = logged_in_chrome(request)
    portal = chrome.get("portal")
    lang = language(request, portal.session if portal else None)
    return render(
        request, "step_up.html", lang, 403, step_up=step_up, means=step_up.means, **chrome
    )
