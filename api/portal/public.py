"""Pages anyone may open: the root URL, and the instructions for checking one's trail."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from api.web import language, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def root() -> Response:
    """The service's address leads to the portal; /portal sends a visitor without a session
    on to the login."""
    return RedirectResponse("/portal", status_code=303)


@router.get("/help/trail-check")
def trail_check(request: Request) -> Response:
    """How the downloaded trail is checked: in words first, the technical steps after."""
    return render(request, "help_trail_check.html", language(request))
