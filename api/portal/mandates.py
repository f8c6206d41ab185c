"""Mandates from both sides: "who can act for me" and "for whom I act" (requests, acceptance).

The represented person grants (scope per afnemer service and action, a validity period) and
approves requests; the representative, a person or an office's staff, requests and accepts.
Either side revokes. The policy decides every step; these routers only read forms.
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Form
from fastapi.responses import Response

from api.deps import Answered
from api.formatting import AMSTERDAM
from api.portal.forms import (
    Back,
    Checkbox,
    MandateForm,
    MandateId,
    ScopeValue,
    ShortText,
    default_validity,
    parse_date,
    typed,
)
from api.portal.page import PageDep, PortalPage
from api.web import CsrfForm, explain
from machtigen.afnemers.service import catalogue
from machtigen.errors import MachtigenError
from machtigen.identity.loa import StepUpRequired
from machtigen.mandates import service as mandates
from machtigen.mandates.errors import MandateNotFound
from machtigen.mandates.service import MandatePhase, MandateRequest, Representative

router = APIRouter(prefix="/portal", include_in_schema=False)
Party = Annotated[Literal["person", "office"], Form()]
Scope = Annotated[list[ScopeValue] | None, Form()]
GROUPS = (
    MandatePhase.PENDING,
    MandatePhase.ACTIVE,
    MandatePhase.SCHEDULED,
    MandatePhase.EXPIRED,
    MandatePhase.LAPSED,
    MandatePhase.REVOKED,
    MandatePhase.DECLINED,
)
BACK = {"mandates": "/portal/mandates", "representing": "/portal/representing"}


def _own(page: PageDep) -> PortalPage:
    """Acting in one's own name, not for a client: else the start page."""
    if not page.own:
        raise Answered(page.redirect("/portal"))
    return page


def _granting(page: PageDep) -> PortalPage:
    """... and as one who grants mandates (the policy's ``grants_mandates``: a person)."""
    if not page.own or not mandates.grants_mandates(page.ctx):
        raise Answered(page.redirect("/portal"))
    return page


OwnPage = Annotated[PortalPage, Depends(_own)]
GrantingPage = Annotated[PortalPage, Depends(_granting)]


def _grouped(page: PortalPage, *, as_represented: bool) -> dict[str, list[mandates.MandateView]]:
    views = mandates.mandate_overview(page.ctx, as_represented=as_represented)
    return {str(phase): [v for v in views if v.phase == phase] for phase in GROUPS}


@router.get("/mandates")
def who_can_act_for_me(page: GrantingPage) -> Response:
    return page.render(
        "portal/mandates.html", groups=_grouped(page, as_represented=True), back="mandates"
    )


@router.get("/representing")
def for_whom_i_act(page: OwnPage) -> Response:
    return page.render(
        "portal/representing.html",
        groups=_grouped(page, as_represented=False),
        back="representing",
    )


@router.get("/mandates/new")
def grant_form(page: GrantingPage) -> Response:
    """The step-up page comes before a form that could not be sent at this login level."""
    page.require_loa("grant_mandate")
    start, end = default_validity(page.ctx.now)
    return _form(page, "grant", MandateForm(valid_from=start, valid_until=end))


@router.get("/representing/request")
def request_form(page: OwnPage) -> Response:
    page.require_loa("request_mandate")
    start, end = default_validity(page.ctx.now)
    return _form(page, "request", MandateForm(valid_from=start, valid_until=end))


def _form(page: PortalPage, mode: str, form: MandateForm, status_code: int = 200) -> Response:
    return page.render(
        "portal/mandate_form.html",
        status_code,
        mode=mode,
        form=form,
        errors=form.errors,
        catalogue=catalogue(page.ctx),
        actions=("read", "manage_folders", "manage_consents", "receive_notifications"),
        form_example_from=typed(page.ctx.now.astimezone(AMSTERDAM).date()),
        form_example_until=typed(page.ctx.now.astimezone(AMSTERDAM).date() + timedelta(days=365)),
    )


ServicesOf = dict[UUID, list[UUID]]


def _services_of(page: PortalPage) -> ServicesOf:
    """Each afnemer's services, for "alle diensten van deze organisatie"."""
    return {afnemer.id: [s.id for s in services] for afnemer, services in catalogue(page.ctx)}


def _read_form(
    bsn: ShortText = "",
    birth_date: ShortText = "",
    scope: Scope = None,
    personal_data: Checkbox = "",
    valid_from: ShortText = "",
    valid_until: ShortText = "",
) -> MandateForm:
    """The fields the grant and the request form share; a person on the other side."""
    return MandateForm(
        bsn=bsn.strip(),
        birth_date=birth_date.strip(),
        scope=scope or [],
        personal_data=personal_data == "yes",
        valid_from=valid_from.strip(),
        valid_until=valid_until.strip(),
    )


MandateFields = Annotated[MandateForm, Depends(_read_form)]


@router.post("/mandates/new", dependencies=[CsrfForm])
def grant(
    page: GrantingPage, form: MandateFields, party: Party = "person", kvk: ShortText = ""
) -> Response:
    """The login level is the domain's to check (``grant_mandate``, ``find_party``)."""
    form.party, form.kvk = party, kvk.strip()

    def grant_it(services_of: ServicesOf) -> None:
        representative = (
            mandates.office_by_kvk(page.ctx, form.kvk)
            if form.party == "office"
            else mandates.person_by_bsn_and_birth(page.ctx, form.bsn, _birth(form))
        )
        asked = _mandate_request(page, form, services_of, page.subject, representative)
        with page.ctx.session.begin_nested():
            mandates.grant(page.ctx, asked)

    done = _submit(page, "grant", form, offices_allowed=True, act=grant_it)
    return done or page.redirect("/portal/mandates", "granted")


@router.post("/representing/request", dependencies=[CsrfForm])
def request(page: OwnPage, form: MandateFields) -> Response:
    def request_it(services_of: ServicesOf) -> None:
        represented = mandates.person_by_bsn_and_birth(page.ctx, form.bsn, _birth(form))
        assert represented.person_id is not None
        representative = mandates.representative_of_actor(page.ctx)
        asked = _mandate_request(page, form, services_of, represented.person_id, representative)
        with page.ctx.session.begin_nested():
            mandates.request_mandate(page.ctx, asked)

    done = _submit(page, "request", form, offices_allowed=False, act=request_it)
    return done or page.redirect("/portal/representing", "requested")


def _submit(
    page: PortalPage,
    mode: str,
    form: MandateForm,
    *,
    offices_allowed: bool,
    act: Callable[[ServicesOf], None],
) -> Response | None:
    """The form checked, then ``act`` on it: the form again with the errors next to their
    fields (422), or None when it was done."""
    services_of = _services_of(page)
    form.check(page.t, page.ctx.now, offices_allowed=offices_allowed, services_of=services_of)
    if form.errors:
        return _form(page, mode, form, 422)
    try:
        act(services_of)
    except StepUpRequired:
        raise  # the step-up page, as for any page, not a message next to a field
    except MachtigenError as refused:
        form.errors[_field_of(refused, form)] = explain(refused, page.lang)
        return _form(page, mode, form, 422)
    return None


def _mandate_request(
    page: PortalPage,
    form: MandateForm,
    services_of: ServicesOf,
    represented_person_id: UUID,
    representative: Representative,
) -> MandateRequest:
    validity = form.validity(page.ctx.now)
    assert validity is not None
    return MandateRequest(
        represented_person_id=represented_person_id,
        representative=representative,
        scope=form.scope_items(services_of),
        valid_from=validity[0],
        valid_until=validity[1],
    )


def _birth(form: MandateForm) -> date:
    born = parse_date(form.birth_date)
    assert born is not None
    return born


def _field_of(refused: MachtigenError, form: MandateForm) -> str:
    """Which field a refusal belongs to, so the message stands next to it ("form": the whole)."""
    fields = {"PartyNotFound": "bsn", "InvalidBsn": "bsn", "InvalidKvkNumber": "kvk"}
    name = type(refused).__name__
    if form.party == "office" and name == "InvalidMandate" and "KvK" in refused.detail:
        return "kvk"
    return fields.get(name, "form")


@router.post("/mandates/{mandate_id}/grant-again", dependencies=[CsrfForm])
def grant_again(page: PageDep, mandate_id: MandateId) -> Response:
    """One click: the parts that lapsed under an ended court measure, granted anew."""
    if not page.own or not mandates.grants_mandates(page.ctx):
        raise MandateNotFound()
    mandates.grant_again(page.ctx, mandate_id)
    return page.redirect("/portal/mandates", "granted_again")


@router.post("/mandates/{mandate_id}/{decision}", dependencies=[CsrfForm])
def decide(
    page: PageDep,
    mandate_id: MandateId,
    decision: str,
    back: Back = "mandates",
) -> Response:
    if decision not in ("accept", "decline", "revoke"):
        raise MandateNotFound()
    done = {"accept": "accepted", "decline": "declined", "revoke": "revoked"}[decision]
    getattr(mandates, decision)(page.ctx, mandate_id)
    return page.redirect(BACK.get(back, "/portal"), done)
