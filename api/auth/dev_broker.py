"""The development broker's endpoints: an OpenID Connect provider with a page to pick an identity.

Mounted only when ``MACHTIGEN_DEV_BROKER=true`` (it is in ``make run``); never by default. The
protocol lives in machtigen.identity.dev_provider; here are the HTTP side and the pages.
"""

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from api.deps import SessionDep
from api.web import clock_of, language, render
from machtigen.i18n import gettext
from machtigen.identity.brokers import MEANS
from machtigen.identity.dev_provider import (
    DIGID_LEVELS,
    EHERKENNING_LEVELS,
    EIDAS_LEVELS,
    DevProvider,
    ProviderError,
    RegisteredClient,
)

router = APIRouter(prefix="/dev-broker", include_in_schema=False)
PARAMS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_Text = Annotated[str, Field(max_length=16_384)]


class _TokenRequest(BaseModel):
    """The token request's form (RFC 6749 §4.1.3, with PKCE and a private_key_jwt assertion)."""

    grant_type: _Text = ""
    code: _Text = ""
    redirect_uri: _Text = ""
    code_verifier: _Text = ""
    client_id: _Text = ""
    client_assertion_type: _Text = ""
    client_assertion: _Text = ""


@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    value: str = ""
    choices: tuple[str, ...] = ()


_FIELDS = {
    "digid": (
        _Field("bsn", "BSN", "999993653"),
        _Field("acr", "LoA", "substantieel", tuple(DIGID_LEVELS)),
    ),
    "eidas": (
        _Field("person_identifier", "PersonIdentifier", "ES/NL/12345678Z"),
        _Field("given_name", "FirstName", "Christina"),
        _Field("family_name", "FamilyName", "García López"),
        _Field("birthdate", "DateOfBirth (YYYY-MM-DD)", "1955-03-21"),
        _Field("acr", "LoA", "http://eidas.europa.eu/LoA/substantial", tuple(EIDAS_LEVELS)),
    ),
    "eherkenning": (
        _Field("kvk", "KvK", "12345678"),
        _Field("employee_id", "Employee id", "eh-piet-0001"),
        _Field("name", "Name", "Piet van Dijk"),
        _Field("acr", "LoA", "EH3", tuple(EHERKENNING_LEVELS)),
    ),
}
_PRESETS = {
    "digid": [
        ("Koen", "999993653"),
        ("Corry", "999990019"),
        ("Monique", "999990032"),
        ("Lisa", "999990068"),
        ("Piet (own post)", "999990020"),
    ],
    "eidas": [("Christina", "ES/NL/12345678Z")],
    "eherkenning": [
        ("Piet, Bewindvoering Van Dijk (administrator)", "12345678 / eh-piet-0001"),
        ("Sara, Bewindvoering Van Dijk", "12345678 / eh-sara-0002"),
    ],
}


def _provider(request: Request) -> DevProvider:
    provider: DevProvider = request.app.state.dev_provider
    return provider


@router.get("/.well-known/openid-configuration")
def discovery(request: Request) -> JSONResponse:
    return JSONResponse(_provider(request).metadata())


@router.get("/jwks")
def jwks(request: Request) -> JSONResponse:
    return JSONResponse(_provider(request).jwks())


@router.get("/authorize", response_class=HTMLResponse)
def authorize_page(request: Request) -> Response:
    params = {name: request.query_params.get(name, "")[:1024] for name in PARAMS}
    client = _registered(request, params)
    if client is None:
        return _invalid(request)
    problem = _protocol_problem(params)
    if problem:
        return _back(params, error="invalid_request", error_description=problem)
    method = params["login_hint"]
    lang = language(request)
    if method not in MEANS:
        choices = [
            (m, f"/dev-broker/authorize?{urlencode({**params, 'login_hint': m})}") for m in MEANS
        ]
        return render(request, "dev_broker_choose.html", lang, choices=choices)
    return render(
        request,
        "dev_broker.html",
        lang,
        means=method,
        params=params,
        fields=_FIELDS[method],
        presets=_PRESETS[method],
    )


@router.post("/authorize")
async def authorize(request: Request) -> Response:
    form = await request.form()
    params = {name: str(form.get(name, ""))[:1024] for name in PARAMS}
    client = _registered(request, params)
    if client is None or _protocol_problem(params) or params["login_hint"] not in MEANS:
        return _invalid(request)
    if form.get("action") == "cancel":
        return _back(
            params, error="access_denied", error_description="The user cancelled the login."
        )
    method = params["login_hint"]
    values = {field.name: str(form.get(field.name, ""))[:256].strip() for field in _FIELDS[method]}
    code = _provider(request).issue_code(params, _claims(method, values), clock_of(request).now())
    return _back(params, code=code)


@router.post("/token")
def token(request: Request, db: SessionDep, form: Annotated[_TokenRequest, Form()]) -> JSONResponse:
    try:
        answer = _provider(request).token(db, form.model_dump(), clock_of(request).now())
    except ProviderError as refused:
        return JSONResponse(
            {"error": refused.error, "error_description": refused.description},
            status_code=refused.status,
            headers=NO_STORE,
        )
    return JSONResponse(answer, headers=NO_STORE)


@router.api_route("/userinfo", methods=["GET", "POST"])
def userinfo(request: Request) -> Response:
    scheme, _, access_token = request.headers.get("authorization", "").partition(" ")
    try:
        if scheme.lower() != "bearer" or not access_token:
            raise ProviderError("invalid_token", "A bearer access token is needed.", 401)
        answer = _provider(request).userinfo(access_token.strip(), clock_of(request).now())
    except ProviderError as refused:
        return Response(
            status_code=401,
            headers={"WWW-Authenticate": f'Bearer error="{refused.error}"', **NO_STORE},
        )
    return Response(answer, media_type="application/jwt", headers=NO_STORE)


@router.get("/logout", response_class=HTMLResponse)
def end_session(request: Request) -> Response:
    query = request.query_params
    target = _provider(request).post_logout_target(
        query.get("client_id", ""), query.get("post_logout_redirect_uri", "")
    )
    if target is None:
        return render(request, "dev_broker_logged_out.html", language(request))
    state = query.get("state")
    suffix = f"?{urlencode({'state': state[:256]})}" if state else ""
    return RedirectResponse(f"{target}{suffix}", status_code=303)


def _registered(request: Request, params: dict[str, str]) -> RegisteredClient | None:
    """Only a registered client, back to one of its own redirect URIs: no open redirector."""
    client = _provider(request).client(params["client_id"])
    if client is None or params["redirect_uri"] not in client.redirect_uris:
        return None
    return client


def _protocol_problem(params: dict[str, str]) -> str | None:
    if params["response_type"] != "code":
        return "response_type must be code"
    if "openid" not in params["scope"].split():
        return "scope must include openid"
    for name in ("state", "nonce", "code_challenge"):
        if not params[name]:
            return f"{name} is required"
    if params["code_challenge_method"] != "S256":
        return "code_challenge_method must be S256"
    if not 43 <= len(params["code_challenge"]) <= 128:
        return "code_challenge has the wrong length"
    return None


def _claims(method: str, values: dict[str, str]) -> dict[str, str]:
    """What this broker releases for the identity picked on its page."""
    if method == "digid":
        return {"bsn": values["bsn"], "loa_authn": DIGID_LEVELS.get(values["acr"], "")}
    if method == "eidas":
        return {
            "person_identifier": values["person_identifier"],
            "given_name": values["given_name"],
            "family_name": values["family_name"],
            "birthdate": values["birthdate"],
            "loa_authn": EIDAS_LEVELS.get(values["acr"], ""),
        }
    return {
        "kvk_number": values["kvk"],
        "employee_id": values["employee_id"],
        "name": values["name"],
        "loa_authn": EHERKENNING_LEVELS.get(values["acr"], ""),
    }


def _back(params: dict[str, str], **answer: str) -> RedirectResponse:
    """To the client's redirect URI with the answer and its state (RFC 6749 §4.1.2)."""
    query = urlencode({**answer, "state": params["state"]})
    separator = "&" if "?" in params["redirect_uri"] else "?"
    return RedirectResponse(f"{params['redirect_uri']}{separator}{query}", status_code=303)


def _invalid(request: Request) -> Response:
    lang = language(request)
    return render(request, "error.html", lang, 400, message=gettext(lang, "dev_broker_invalid"))
