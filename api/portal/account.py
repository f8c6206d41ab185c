"""Activation (only by the one explicit button), deactivation, and the settings page."""

from fastapi import APIRouter
from fastapi.responses import Response

from api.auth.devices import devices
from api.portal.forms import Back, Checkbox, EmailAnswer, Ids, OptionalIds, Switch
from api.portal.page import AccountPage, PortalPage
from api.web import CsrfForm
from machtigen.accounts import service as accounts
from machtigen.accounts.models import Account
from machtigen.afnemers.models import Afnemer
from machtigen.consents import service as consents
from machtigen.notifications.prompts import portal_prompts

router = APIRouter(prefix="/portal", include_in_schema=False)


def _subject(page: PortalPage) -> Account:
    return accounts.get_account(page.ctx, page.subject)


@router.get("/activate")
def activation_page(page: AccountPage) -> Response:
    account = _subject(page)
    return page.render("portal/activate.html", account=account, errors={})


@router.post("/activate", dependencies=[CsrfForm])
def activate(page: AccountPage, confirm: Checkbox = "") -> Response:
    account = _subject(page)
    if confirm != "yes":
        errors = {"confirm": page.t["error_activation_confirm"]}
        return page.render("portal/activate.html", 422, account=account, errors=errors)
    accounts.activate(page.ctx, account.person_id, explanation_confirmed=True)
    return page.redirect("/portal", "activated")


@router.get("/deactivate")
def deactivation_page(page: AccountPage) -> Response:
    account = _subject(page)
    return page.render(
        "portal/deactivate.html", account=account, required=_legally_required(page), errors={}
    )


@router.post("/deactivate", dependencies=[CsrfForm])
def deactivate(page: AccountPage, confirm: Checkbox = "") -> Response:
    account = _subject(page)
    if confirm != "yes":
        return page.render(
            "portal/deactivate.html",
            422,
            account=account,
            required=_legally_required(page),
            errors={"confirm": page.t["error_deactivation_confirm"]},
        )
    accounts.deactivate(page.ctx, account.person_id)
    return page.redirect("/portal", "deactivated")


def _legally_required(page: PortalPage) -> list[Afnemer]:
    choices = consents.consent_overview(page.ctx, page.subject)
    return [c.afnemer for c in choices if c.afnemer.legally_required_digital]


@router.get("/settings")
def settings_page(page: AccountPage) -> Response:
    """Every form on it needs the level for managing the account: ask for it first."""
    return settings_view(page)


def settings_view(
    page: PortalPage, *, errors: dict[str, str] | None = None, email: str | None = None
) -> Response:
    ctx = page.ctx
    account = _subject(page)
    assert account is not None
    holder = ctx.is_allowed("manage_settings", account)
    return page.render(
        "portal/settings.html",
        422 if errors else 200,
        account=account,
        holder=holder,
        choices=consents.consent_overview(ctx, account.person_id),
        new_afnemers=accounts.afnemers_to_ask_about(ctx, account.person_id) if holder else [],
        prompts=portal_prompts(ctx, account.person_id) if holder else [],
        errors=errors or {},
        email=account.email if email is None else email,
        devices=devices(page),
    )


@router.post("/settings/afnemers", dependencies=[CsrfForm])
def save_consents(page: AccountPage, covers: Ids, afnemer: OptionalIds = None) -> Response:
    """``covers`` lists the afnemers the form showed; only those change, so a field that is
    missing is never read as "untick" for anyone the form did not show."""
    consents.apply_consent_choices(page.ctx, page.subject, set(covers), set(afnemer or []))
    return page.redirect("/portal/settings", "consents_saved")


@router.post("/settings/new-afnemers", dependencies=[CsrfForm])
def answer_new_afnemers(page: AccountPage, asked: Ids, afnemer: OptionalIds = None) -> Response:
    consents.answer_new_afnemers(page.ctx, page.subject, set(asked), set(afnemer or []))
    return page.redirect("/portal/settings", "new_afnemers_answered")


@router.post("/settings/paper", dependencies=[CsrfForm])
def paper_switch(page: AccountPage, paper_only: Switch) -> Response:
    on = paper_only == "yes"
    accounts.set_paper_only(page.ctx, page.subject, on)
    return page.redirect("/portal/settings", "paper_on" if on else "paper_off")


@router.post("/settings/email", dependencies=[CsrfForm])
def save_email(page: AccountPage, form: EmailAnswer, back: Back = "") -> Response:
    errors = form.saved(page.t, lambda email: accounts.set_email(page.ctx, page.subject, email))
    if errors:
        return settings_view(page, errors=errors, email=form.email)
    if form.remove:
        return page.redirect("/portal/settings", "email_removed")
    return page.redirect("/portal" if back == "home" else "/portal/settings", "email_saved")


@router.post("/settings/email/confirm", dependencies=[CsrfForm])
def confirm_email(page: AccountPage, back: Back = "") -> Response:
    accounts.confirm_email_current(page.ctx, page.subject)
    return page.redirect("/portal" if back == "home" else "/portal/settings", "email_confirmed")


@router.post("/settings/reminders", dependencies=[CsrfForm])
def reminders(page: AccountPage, repeat: Switch) -> Response:
    on = repeat == "yes"
    accounts.set_repeat_reminders(page.ctx, page.subject, on)
    return page.redirect("/portal/settings", "reminders_on" if on else "reminders_off")
