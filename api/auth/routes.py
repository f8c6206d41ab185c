"""Login through an identity broker, the portal session, acting for someone, log-out.

The login is OpenID Connect's authorization code flow with PKCE (machtigen.identity.oidc):
``/auth/{means}/start`` sends the browser to the broker, the broker sends it back to
``/auth/{means}/callback`` with a code. The callback holds no database connection while it
talks to the broker: it consumes the flow in one short transaction, redeems the code, and
opens the session in another.
"""

import secrets
from typing import Annotated, Any
from uuid import UUID

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.login_state import load_login_state, sign_login_state
from api.overload import Refusal, refuse
from api.problems import problem
from api.v1.ratelimit import RateLimited
from api.web import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    CsrfForm,
    Portal,
    PortalDep,
    anonymous_ctx,
    clock_of,
    language,
    origin_of,
    render,
    set_session_cookie,
    settings_of,
)
from machtigen.audit.service import record
from machtigen.authz.actors import AnonymousActor, UnmatchedEidasActor
from machtigen.db import transaction
from machtigen.errors import MachtigenError
from machtigen.i18n import gettext, lookup
from machtigen.identity import acting_tokens, flows, sessions
from machtigen.identity import login as logins
from machtigen.identity.brokers import post_logout_redirect_uri, redirect_uri
from machtigen.identity.loa import StepUpRequired, require_loa
from machtigen.identity.models import EidasIdentity, EidasMatch
from machtigen.identity.oidc import BrokerUnavailable, RelyingParty
from machtigen.identity.tokens import InvalidToken

router = APIRouter(include_in_schema=False)
LOGIN_STATE_COOKIE = "machtigen_login"
BROKER_ERRORS = {
    "access_denied": "login_denied",
    "login_required": "login_cancelled",
    "consent_required": "login_cancelled",
    "interaction_required": "login_cancelled",
}
"""Broker error codes with their own page; any other is "broker_error" on a general page."""
RETRY_BROKER_SECONDS = 30


def _relying_party(request: Request, means: str) -> RelyingParty | None:
    parties: dict[str, RelyingParty] = request.app.state.relying_parties
    return parties.get(means)


@router.get("/auth/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    lang = language(request)
    means = sorted(request.app.state.relying_parties)
    return render(request, "login.html", lang, means=means)


@router.get("/auth/{means}/start")
async def start_login(request: Request, means: str) -> Response:
    """Send the browser to the broker: a fresh state, nonce and PKCE verifier, kept in the
    database (any worker may get the callback) and bound to this browser by a signed cookie."""
    lang = language(request)
    limited = await _over_limit(request, lang)
    if limited is not None:
        return limited
    party = _relying_party(request, means)
    if party is None:
        return render(
            request, "error.html", lang, 404, message=gettext(lang, "login_unknown_means")
        )
    try:
        authorization = await party.authorization(redirect_uri(settings_of(request), means))
    except BrokerUnavailable:
        return _broker_unavailable(request, lang)
    settings, now = settings_of(request), clock_of(request).now()

    def remember() -> None:
        with transaction(request.app.state.session_factory) as db:
            flows.begin(db, means, authorization, now, settings.login_flow_seconds)

    await run_in_threadpool(remember)
    response = RedirectResponse(authorization.url, status_code=303)
    signed = sign_login_state(request, {"state": authorization.state, "means": means})
    response.set_cookie(
        LOGIN_STATE_COOKIE,
        signed,
        max_age=settings.login_flow_seconds,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/auth",
    )
    return response


@router.get("/auth/{means}/callback")
async def finish_login(request: Request, means: str) -> Response:
    """The broker's answer: a code (redeemed and verified) or an error (a readable page).

    Every refusal is audited as ``login.failed``; the state is checked against this browser's
    cookie and used once, whatever the outcome.
    """
    lang = language(request)
    limited = await _over_limit(request, lang)
    if limited is not None:
        return limited
    query = request.query_params
    state, code, error = query.get("state", ""), query.get("code", ""), query.get("error", "")
    party = _relying_party(request, means)
    if party is None:
        return render(
            request, "error.html", lang, 404, message=gettext(lang, "login_unknown_means")
        )
    expected = _expected_state(request, means)
    if (
        expected is None
        or not state
        or not secrets.compare_digest(expected["state"].encode(), state.encode()[:512])
    ):
        return await _refused(request, means, "state_mismatch", "login_state_invalid", 401)
    now = clock_of(request).now()
    flow = await run_in_threadpool(_consume, request, means, state, now)
    if flow is None:
        return await _refused(request, means, "state_used_or_expired", "login_state_invalid", 401)
    if error:
        page = BROKER_ERRORS.get(error, "login_broker_error")
        reason = f"broker_{error}" if error in BROKER_ERRORS else "broker_error"
        return await _refused(request, means, reason, page, 401)
    if not code or len(code) > 4096:
        return await _refused(request, means, "no_code", "login_broker_error", 401)
    settings = settings_of(request)
    try:
        answer = await party.redeem(
            code=code,
            redirect_uri=redirect_uri(settings, means),
            code_verifier=flow["code_verifier"],
            nonce=flow["nonce"],
            now=now,
        )
        assertion = logins.assertion_from_claims(party.config, answer.issuer, answer.claims)
    except BrokerUnavailable:
        await _audit_failure(request, means, "broker_unavailable")
        return _broker_unavailable(request, lang)
    except InvalidToken:
        return await _refused(request, means, "invalid_token", "login_token_refused", 401)
    opened = await run_in_threadpool(
        _open_session, request, means, assertion, answer.id_token, lang
    )
    if isinstance(opened, logins.LoginRefused):
        key = f"login_refused_{opened.reason}"
        message = lookup(lang, key) or gettext(lang, "login_broker_error")
        return _failure_page(request, lang, message, 403)
    token, target = opened
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token, settings)
    response.delete_cookie(LOGIN_STATE_COOKIE, path="/auth")
    if means == "eidas" and LANGUAGE_COOKIE not in request.cookies:
        response.set_cookie(LANGUAGE_COOKIE, "en", httponly=True, samesite="lax")
    return response


def _consume(request: Request, means: str, state: str, now: Any) -> dict[str, str] | None:
    with transaction(request.app.state.session_factory) as db:
        flow = flows.consume(db, means, state, now)
        if flow is None:
            return None
        return {"nonce": flow.nonce, "code_verifier": flow.code_verifier}


def _open_session(
    request: Request, means: str, assertion: logins.Assertion, id_token: str, lang: str
) -> tuple[str, str] | logins.LoginRefused:
    """Resolve the identity, end the session this browser had, open a new one: one commit.

    A refusal is returned, not raised, so that its audit event commits."""
    settings = settings_of(request)
    with transaction(request.app.state.session_factory) as db:
        anonymous = _anonymous(request, db, means)
        try:
            result = logins.login(
                anonymous, means, assertion, settings.login_failure_window_seconds
            )
        except logins.LoginRefused as refused:
            return refused
        ctx = anonymous.as_actor(result.actor)
        sessions.end_replaced(ctx, request.cookies.get(SESSION_COOKIE))
        opened = sessions.open_session(
            ctx,
            settings,
            language="en" if means == "eidas" else lang,
            id_token_hint=id_token,
        )
        token = opened.cookie_token
    return token, "/auth/eidas/result" if means == "eidas" else "/portal"


def _anonymous(request: Request, db: Session, means: str) -> Any:
    now = clock_of(request).now()
    return anonymous_ctx(request, db, AnonymousActor(subject="unknown", at=now, means=means))


async def _audit_failure(request: Request, means: str, reason: str) -> None:
    settings = settings_of(request)

    def write() -> None:
        with transaction(request.app.state.session_factory) as db:
            logins.failed(
                _anonymous(request, db, means),
                means,
                None,
                f"broker:{means}",
                reason,
                settings.login_failure_window_seconds,
            )

    await run_in_threadpool(write)


async def _refused(
    request: Request, means: str, reason: str, text_key: str, status_code: int
) -> Response:
    """Audit the failure (repeats counted, not repeated) and explain it in the user's language."""
    await _audit_failure(request, means, reason)
    lang = language(request)
    return _failure_page(request, lang, gettext(lang, text_key), status_code)


def _failure_page(request: Request, lang: str, message: str, status_code: int) -> Response:
    response = render(
        request,
        "error.html",
        lang,
        status_code,
        message=message,
        title=gettext(lang, "login_failed_title"),
    )
    response.delete_cookie(LOGIN_STATE_COOKIE, path="/auth")
    return response


def _broker_unavailable(request: Request, lang: str) -> Response:
    response = render(
        request,
        "error.html",
        lang,
        503,
        message=gettext(lang, "login_broker_unavailable"),
        title=gettext(lang, "login_failed_title"),
    )
    response.headers["Retry-After"] = str(RETRY_BROKER_SECONDS)
    return response


async def _over_limit(request: Request, lang: str) -> Response | None:
    """The per-address limit on starting and finishing logins: a 429 page with Retry-After."""
    limiter = request.app.state.rate_limiter
    address = origin_of(request).ip or "unknown"
    limit = request.app.state.settings.auth_rate_limit_per_ip
    try:
        await run_in_threadpool(limiter.check_ip, address, scope="auth", limit=limit)
    except RateLimited as over:
        refused = refuse(Refusal.RATE_LIMITED, wait_at_least=over.reset_in_seconds)
        response = render(
            request,
            "error.html",
            lang,
            refused.status,
            message=gettext(lang, "login_too_many") % refused.retry_after,
            title=gettext(lang, "login_failed_title"),
        )
        response.headers.update(refused.headers)
        return response
    return None


@router.get("/auth/eidas/result", response_class=HTMLResponse)
def eidas_result(request: Request, portal: PortalDep) -> Response:
    lang = language(request, portal.session)
    outcome = EidasMatch.MATCHED
    if isinstance(portal.actor, UnmatchedEidasActor):
        identity = portal.ctx.session.get(EidasIdentity, portal.actor.identity_id)
        outcome = EidasMatch(identity.match) if identity else EidasMatch.UNMATCHED
    return render(request, "eidas_result.html", lang, outcome=str(outcome), portal=portal)


@router.post("/auth/acting-for", dependencies=[CsrfForm])
def switch_acting_for(
    request: Request,
    portal: PortalDep,
    person_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    lang = language(request, portal.session)
    try:
        target = UUID(person_id) if person_id else None
        sessions.act_for(portal.ctx, portal.session, target)
    except StepUpRequired as step_up:
        return step_up_page(request, portal, step_up)
    except (ValueError, MachtigenError):
        return render(
            request, "error.html", lang, 403, message=gettext(lang, "error_cannot_act_for")
        )
    return RedirectResponse("/portal/inbox" if target else "/portal", status_code=303)


@router.post("/auth/api-token", dependencies=[CsrfForm])
def acting_api_token(request: Request, portal: PortalDep) -> Response:
    """An API token for the client the representative acts for (RFC 8693 ``act`` claim)."""
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


@router.post("/auth/logout", dependencies=[CsrfForm])
def logout(request: Request, portal: PortalDep) -> Response:
    """End this session here, then at the broker when it has an end_session_endpoint."""
    hint, means = portal.session.id_token_hint, portal.session.means
    sessions.close_session(portal.ctx, portal.session)
    return _logged_out(request, means, hint)


@router.post("/auth/logout-everywhere", dependencies=[CsrfForm])
def logout_everywhere(request: Request, portal: PortalDep) -> Response:
    """End every session of this person (each device), this one included; audited once."""
    hint, means = portal.session.id_token_hint, portal.session.means
    sessions.close_everywhere(portal.ctx, portal.session, settings_of(request))
    return _logged_out(request, means, hint, everywhere=True)


@router.get("/auth/logged-out", response_class=HTMLResponse)
def logged_out(request: Request) -> Response:
    lang = language(request)
    everywhere = request.cookies.get("machtigen_logged_out") == "everywhere"
    response = render(request, "logged_out.html", lang, everywhere=everywhere)
    response.delete_cookie("machtigen_logged_out", path="/auth")
    return response


def _logged_out(
    request: Request, means: str, id_token_hint: str | None, *, everywhere: bool = False
) -> Response:
    target = post_logout_redirect_uri(settings_of(request))
    party = _relying_party(request, means)
    endpoint = _end_session_endpoint(party) if party is not None else None
    if party is not None and endpoint:
        target = party.end_session_url(
            endpoint, id_token_hint=id_token_hint, post_logout_redirect_uri=target
        )
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    if everywhere:
        response.set_cookie(
            "machtigen_logged_out", "everywhere", max_age=600, httponly=True, path="/auth"
        )
    return response


def _end_session_endpoint(party: RelyingParty) -> str | None:
    """The broker's end_session_endpoint (from discovery), or None: then only we log out."""
    try:
        metadata = anyio.from_thread.run(party.metadata)
    except BrokerUnavailable:
        return None
    endpoint = metadata.get("end_session_endpoint")
    return endpoint if isinstance(endpoint, str) and endpoint else None


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
        value = load_login_state(request, raw, settings_of(request).login_flow_seconds)
    except BadSignature:
        return None
    if not isinstance(value, dict) or value.get("means") != means:
        return None
    if not isinstance(value.get("state"), str):
        return None
    return value
