"""Login through an identity broker, the portal session, acting for someone, log-out."""

import secrets
from typing import Annotated
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature

from api.deps import SessionDep
from api.login_state import load_login_state, sign_login_state
from api.problems import problem
from api.web import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    Portal,
    PortalDep,
    anonymous_ctx,
    clock_of,
    language,
    render,
    set_session_cookie,
    settings_of,
)
from machtigen.audit.service import record
from machtigen.authz.actors import AnonymousActor, UnmatchedEidasActor
from machtigen.errors import MachtigenError
from machtigen.identity import acting_tokens, sessions
from machtigen.identity import login as logins
from machtigen.identity.brokers import Broker
from machtigen.identity.loa import StepUpRequired, require_loa
from machtigen.identity.models import EidasMatch
from machtigen.identity.tokens import InvalidToken, unverified_issuer, verify

router = APIRouter(include_in_schema=False)
_CANNOT_ACT_FOR = {
    "nl": "U kunt niet namens deze persoon handelen. Er is niets veranderd.",
    "en": "You cannot act for this person. Nothing was changed.",
}
LOGIN_STATE_COOKIE = "machtigen_login"
LOGIN_STATE_SECONDS = 600


def _broker(request: Request, means: str) -> Broker | None:
    brokers: dict[str, Broker] = request.app.state.brokers
    return brokers.get(means)


@router.get("/auth/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    lang = language(request)
    means = sorted(request.app.state.brokers)
    return render(request, "login.html", lang, means=means)


@router.get("/auth/{means}/start")
def start_login(request: Request, means: str) -> Response:
    """Send the browser to the broker with a fresh state and nonce (OIDC form_post)."""
    broker = _broker(request, means)
    if broker is None:
        return render(
            request, "error.html", language(request), 404, message="Unknown means of login."
        )
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    query = urlencode(
        {
            "state": state,
            "nonce": nonce,
            "redirect_uri": f"/auth/{means}/callback",
            "response_mode": "form_post",
            "scope": "openid",
        }
    )
    response = RedirectResponse(f"{broker.authorize_url}?{query}", status_code=303)
    signed = sign_login_state(request, {"state": state, "nonce": nonce, "means": means})
    response.set_cookie(
        LOGIN_STATE_COOKIE,
        signed,
        max_age=LOGIN_STATE_SECONDS,
        httponly=True,
        secure=settings_of(request).cookie_secure,
        samesite="lax",
        path="/auth",
    )
    return response


@router.post("/auth/{means}/callback")
def finish_login(
    request: Request,
    db: SessionDep,
    means: str,
    id_token: Annotated[str, Form(max_length=16_384)],
    state: Annotated[str, Form(max_length=128)],
) -> Response:
    """Verify the broker's token, resolve the identity, open a session. Failures are audited."""
    now = clock_of(request).now()
    lang = language(request)
    anonymous = anonymous_ctx(request, db, AnonymousActor(subject="unknown", at=now, means=means))
    expected = _expected_state(request, means)
    if expected is None or not secrets.compare_digest(expected["state"], state):
        logins.failed(anonymous, means, None, _subject_hint(id_token), "state_mismatch")
        return render(
            request,
            "error.html",
            lang,
            401,
            message="The login took too long or was not started here.",
        )
    broker = _broker(request, means)
    if broker is None:
        return render(request, "error.html", lang, 404, message="Unknown means of login.")
    try:
        claims = verify(id_token, broker.trusted, now)
        if claims.get("nonce") != expected["nonce"]:
            raise InvalidToken("The token does not belong to this login.")
        assertion = logins.assertion_from_claims(means, claims)
    except InvalidToken as refused:
        logins.failed(anonymous, means, None, _subject_hint(id_token), "invalid_token")
        return render(request, "error.html", lang, 401, message=refused.detail)
    try:
        result = logins.login(anonymous, means, assertion)
    except logins.LoginRefused as refused:
        return render(request, "error.html", lang, 403, message=refused.detail)
    ctx = anonymous.as_actor(result.actor)
    session_lang = "en" if means == "eidas" else lang
    opened = sessions.open_session(ctx, settings_of(request), language=session_lang)
    target = "/auth/eidas/result" if means == "eidas" else "/portal"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, opened.cookie_token, settings_of(request))
    response.delete_cookie(LOGIN_STATE_COOKIE, path="/auth")
    if means == "eidas" and LANGUAGE_COOKIE not in request.cookies:
        response.set_cookie(LANGUAGE_COOKIE, "en", httponly=True, samesite="lax")
    return response


@router.get("/auth/eidas/result", response_class=HTMLResponse)
def eidas_result(request: Request, portal: PortalDep) -> Response:
    lang = language(request, portal.session)
    outcome = EidasMatch.MATCHED
    if isinstance(portal.actor, UnmatchedEidasActor):
        from machtigen.identity.models import EidasIdentity

        identity = portal.ctx.session.get(EidasIdentity, portal.actor.identity_id)
        outcome = EidasMatch(identity.match) if identity else EidasMatch.UNMATCHED
    return render(request, "eidas_result.html", lang, outcome=str(outcome), portal=portal)


@router.post("/auth/acting-for")
def switch_acting_for(
    request: Request,
    portal: PortalDep,
    csrf_token: Annotated[str, Form(max_length=128)],
    person_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    portal.require_csrf(csrf_token)
    lang = language(request, portal.session)
    try:
        target = UUID(person_id) if person_id else None
        sessions.act_for(portal.ctx, portal.session, target)
    except StepUpRequired as step_up:
        return step_up_page(request, portal, step_up)
    except (ValueError, MachtigenError):
        return render(request, "error.html", lang, 403, message=_CANNOT_ACT_FOR[lang])
    return RedirectResponse("/portal/inbox" if target else "/portal", status_code=303)


@router.post("/auth/api-token")
def acting_api_token(
    request: Request, portal: PortalDep, csrf_token: Annotated[str, Form(max_length=128)]
) -> Response:
    """An API token for the client the representative acts for (RFC 8693 ``act`` claim)."""
    portal.require_csrf(csrf_token)
    represented = portal.session.acting_for_person_id
    if represented is None or isinstance(portal.actor, UnmatchedEidasActor):
        return problem(
            409, "Not acting for anyone", "Choose whom you act for before asking for a token."
        )
    try:
        require_loa(portal.ctx, "read_mailbox")
    except StepUpRequired as step_up:
        return problem(403, step_up.title, step_up.detail)
    token = acting_tokens.issue(
        request.app.state.token_config, portal.actor, represented, portal.ctx.now
    )
    record(
        portal.ctx,
        "token.issued",
        subject_person_id=represented,
        object_type="session",
        object_id=portal.session.id,
        kind="acting",
    )
    return JSONResponse(
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": request.app.state.token_config.lifetime_seconds,
        },
        headers={"Cache-Control": "no-store"},
    )


@router.post("/auth/logout")
def logout(
    request: Request, portal: PortalDep, csrf_token: Annotated[str, Form(max_length=128)]
) -> Response:
    portal.require_csrf(csrf_token)
    sessions.close_session(portal.ctx, portal.session)
    response = RedirectResponse("/auth/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def step_up_page(request: Request, portal: Portal, step_up: StepUpRequired) -> Response:
    """Explain which level is needed and offer to log in again; audited, nothing else changes."""
    record(
        portal.ctx,
        "login.step_up_required",
        subject_person_id=portal.session.person_id,
        purpose=step_up.purpose,
        needed=step_up.needed,
    )
    lang = language(request, portal.session)
    return render(request, "step_up.html", lang, 403, step_up=step_up, means=portal.session.means)


def _expected_state(request: Request, means: str) -> dict[str, str] | None:
    raw = request.cookies.get(LOGIN_STATE_COOKIE)
    if not raw:
        return None
    try:
        value = load_login_state(request, raw, LOGIN_STATE_SECONDS)
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("means") != means:
        return None
    return value


def _subject_hint(token: str) -> str:
    """Which issuer a refused token claims to come from, for the audit (unverified, bounded)."""
    try:
        return f"claimed:{unverified_issuer(token)}"[:64]
    except InvalidToken:
        return "unreadable-token"
