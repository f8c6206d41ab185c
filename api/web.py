"""Shared pieces of the server-rendered pages: templates, language, the portal session."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from api import formatting
from api.deps import SessionDep
from machtigen.authz.actors import PersonActor, StaffActor, UnmatchedEidasActor
from machtigen.clock import Clock
from machtigen.config import Settings
from machtigen.context import Ctx, Origin
from machtigen.errors import NotFound
from machtigen.i18n import (
    LANGUAGES,
    catalog,
    gettext,
    gettext_callables,
    language_of,
    lookup,
    period_of_days,
)
from machtigen.identity.models import Person, PortalSession
from machtigen.identity.sessions import SessionExpired, actor_of, csrf_valid, resume
from machtigen.inputs import DRIVER_REFUSALS

SESSION_COOKIE = "machtigen_session"
LANGUAGE_COOKIE = "machtigen_lang"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.add_extension("jinja2.ext.i18n")
templates.env.filters.update(
    day=formatting.day,
    moment=formatting.moment,
    iso_day=formatting.iso_day,
    last_day=formatting.last_day,
)

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def clock_of(request: Request) -> Clock:
    return request.app.state.clock


def origin_of(request: Request) -> Origin:
    host = request.client.host if request.client else None
    return Origin(ip=host, user_agent=request.headers.get("user-agent"))


def language(request: Request, portal: PortalSession | None = None) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if asked is None and portal is not None:
        asked = portal.language
    return language_of(asked)


def render(
    request: Request, template: str, lang: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    other = "en" if lang == "nl" else "nl"
    response = templates.TemplateResponse(
        request,
        template,
        {
            **gettext_callables(lang),
            **_periods(request, lang),
            "lang": lang,
            "other_lang": other,
            "switch_url": language_switch_url(request, other),
            **context,
        },
        status_code=status_code,
        headers=PAGE_HEADERS,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, httponly=True, samesite="lax")
    return response


def _periods(request: Request, lang: str) -> dict[str, str]:
    """The configured periods the pages name in words ("drie weken")."""
    settings = settings_of(request)
    return {
        "reminder_period": period_of_days(settings.reminder_days, lang),
        "untick_period": period_of_days(settings.untick_transition_days, lang),
    }


def language_switch_url(request: Request, lang: str) -> str:
    """The same page in the other language: the path and query kept, only ``lang`` replaced."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("lang", "done")]
    return f"{request.url.path}?{urlencode([*query, ('lang', lang)])}"


@dataclass
class Portal:
    """A logged-in portal request: the session row, the actor and a domain context."""

    session: PortalSession
    actor: PersonActor | StaffActor | UnmatchedEidasActor
    ctx: Ctx

    def require_csrf(self, submitted: str | None) -> None:
        if not csrf_valid(self.session, submitted):
            raise CsrfRefused()


class CsrfRefused(Exception):
    """A form post without this session's token: refused, nothing changed."""


class LoginRequired(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def current_portal(request: Request, db: SessionDep) -> Portal:
    settings, clock = settings_of(request), clock_of(request)
    now = clock.now()
    try:
        portal = resume(db, request.cookies.get(SESSION_COOKIE), now, settings)
        actor = actor_of(db, portal, now)
    except SessionExpired as expired:
        raise LoginRequired(expired.detail) from expired
    ctx = Ctx(
        session=db,
        actor=actor,
        clock=clock,
        authz=request.app.state.authorizer,
        origin=origin_of(request),
    )
    return Portal(portal, actor, ctx)


PortalDep = Annotated[Portal, Depends(current_portal)]


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        max_age=settings.session_absolute_hours * 3600,
        path="/",
    )


def anonymous_ctx(request: Request, db: Session, actor: Any) -> Ctx:
    return Ctx(
        session=db,
        actor=actor,
        clock=clock_of(request),
        authz=request.app.state.authorizer,
        origin=origin_of(request),
    )


PAGE_PREFIXES = ("/portal", "/auth/", "/dev-broker/", "/help/")


def is_page(request: Request) -> bool:
    """Browsers get pages; /health and the JSON endpoints keep problem+json (RFC 9457).

    Elsewhere (an unknown path) the Accept header decides: a browser asks for text/html.
    """
    path = request.url.path
    if path in ("/health", "/auth/api-token") or path.startswith("/api/"):
        return False
    if path.startswith(PAGE_PREFIXES):
        return True
    return "text/html" in request.headers.get("accept", "")


def error_page(
    request: Request,
    status_code: int,
    message: str,
    title: str | None = None,
    fields: list[str] | None = None,
) -> Response:
    """A readable refusal; a logged-in user keeps the header and the "acting for" banner.

    ``fields`` names the form fields or query parameters that could not be used.
    """
    chrome = logged_in_chrome(request)
    portal = chrome.get("portal")
    lang = language(request, portal.session if portal else None)
    return render(
        request,
        "error.html",
        lang,
        status_code,
        message=message,
        title=title,
        fields=fields or [],
        **chrome,
    )


def unusable_fields(error: Any, lang: str) -> list[str]:
    """The fields of a request that did not parse, by their label where the portal has one."""
    names = []
    for item in error.errors():
        name = next((str(part) for part in reversed(item["loc"]) if isinstance(part, str)), "")
        label = lookup(lang, f"field_{name}") or name
        if label and label not in names:
            names.append(label)
    return names


def database_unavailable_page(request: Request) -> Response:
    """503 with Retry-After, without the logged-in frame (that would need the database)."""
    from api.overload import Refusal, refuse

    refused = refuse(Refusal.DATABASE_UNAVAILABLE)
    lang = language(request)
    response = render(request, "error.html", lang, 503, message=gettext(lang, "error_503"))
    response.headers.update(refused.headers)
    return response


def logged_in_chrome(request: Request) -> dict[str, Any]:
    """Who is logged in and whom they act for, read (never written) in a separate session.

    The failed request's own transaction is rolled back; this only shows the page's frame.
    """
    token = request.cookies.get(SESSION_COOKIE)
    factory = getattr(request.app.state, "session_factory", None)
    if not token or factory is None:
        return {}
    with factory() as db:
        try:
            row = resume(db, token, clock_of(request).now(), settings_of(request))
            actor = actor_of(db, row, clock_of(request).now())
        except SessionExpired:
            return {}
        acting_for = db.get(Person, row.acting_for_person_id) if row.acting_for_person_id else None
        ctx = anonymous_ctx(request, db, actor)
        portal = Portal(row, actor, ctx)
        chrome = {"portal": portal, "acting_for": acting_for, **_page_frame(request, portal)}
    return chrome


PageFrame = Callable[[Request, Portal], dict[str, Any]]
"""How the portal frames a page: its menu and the acting-for banner's scope."""


def _page_frame(request: Request, portal: Portal) -> dict[str, Any]:
    """The menu and the acting-for banner's scope, as every portal page has them. The portal
    builds on this module, so it hands its frame over at start (``app.state.page_frame``)."""
    frame: PageFrame | None = getattr(request.app.state, "page_frame", None)
    if frame is None or isinstance(portal.actor, UnmatchedEidasActor):
        return {}
    return frame(request, portal)


def install_page_handlers(app: Any) -> None:
    """Pages answer with pages: a login redirect, or a readable refusal; never problem+json."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import RedirectResponse
    from starlette.exceptions import HTTPException

    from api import problems
    from machtigen.errors import MachtigenError

    for lang in LANGUAGES:
        catalog(lang)  # read at start-up: a broken catalog stops the service, not a page

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, _error: LoginRequired) -> Response:
        return RedirectResponse("/auth/login", status_code=303)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, _error: CsrfRefused) -> Response:
        return error_page(request, 403, gettext(language(request), "error_csrf"))

    @app.exception_handler(MachtigenError)
    async def _domain(request: Request, error: MachtigenError) -> Response:
        if not is_page(request):
            return await problems.domain_problem(request, error)
        return error_page(request, error.status_code, explain(error, language(request)))

    async def _refused_input(request: Request, error: Exception) -> Response:
        response = await problems.refused_input_problem(request, error)
        if not is_page(request):
            return response
        return error_page(request, 400, gettext(language(request), "error_value_unusable"))

    for refusal in DRIVER_REFUSALS:
        app.add_exception_handler(refusal, _refused_input)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        if not is_page(request):
            return await problems.http_problem(request, error)
        lang = language(request)
        text = lookup(lang, f"error_{error.status_code}") or gettext(lang, "error_generic")
        return error_page(request, error.status_code, text)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> Response:
        if not is_page(request):
            return await problems.invalid_problem(request, error)
        lang = language(request)
        fields = unusable_fields(error, lang)
        return error_page(request, 422, gettext(lang, "error_form_unreadable"), fields=fields)

    async def _database_unavailable(request: Request, error: Exception) -> Response:
        if not is_page(request):
            return await problems.database_unavailable_problem(request, error)
        return database_unavailable_page(request)

    for database_error in problems.DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(database_error, _database_unavailable)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        if not is_page(request):
            return await problems.unexpected_problem(request, error)
        problems.log_unexpected(request, error)
        return error_page(request, 500, gettext(language(request), "error_500"))


LOOKUPS_BY_WHAT_WAS_TYPED = frozenset({"PartyNotFound"})
"""Refusals about data a person typed (a BSN with a date of birth), not about an id."""


def explain(error: Any, lang: str) -> str:
    """A domain refusal in the reader's language: a known one by name, else by its status.

    Whatever was not found, the words are the same, so that a page never tells something
    that exists but is not yours from something that does not exist.
    """
    if isinstance(error, NotFound) and type(error).__name__ not in LOOKUPS_BY_WHAT_WAS_TYPED:
        return gettext(lang, "refusal_NotFound")
    known = lookup(lang, f"refusal_{type(error).__name__}")
    if known:
        return known
    if lang == "en" and error.detail:
        return str(error.detail)
    return lookup(lang, f"error_{error.status_code}") or gettext(lang, "error_generic")
