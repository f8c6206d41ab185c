"""The development broker: login pages per means that mint the same tokens a real broker would.

Mounted only when ``MACHTIGEN_DEV_BROKER=true`` (it is in ``make run``); never by default.
"""

import hashlib
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from api.web import clock_of, language, render, settings_of
from machtigen.identity.brokers import MEANS, mint_dev_token
from machtigen.identity.login import DIGID_LOA, EHERKENNING_LOA, EIDAS_LOA

router = APIRouter(prefix="/dev-broker", include_in_schema=False)


@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    value: str = ""
    choices: tuple[str, ...] = ()


_FIELDS = {
    "digid": (_Field("bsn", "BSN", "999993653"), _Field("acr", "LoA", "substantieel", DIGID_LOA)),
    "eidas": (
        _Field("person_identifier", "PersonIdentifier", "ES/NL/12345678Z"),
        _Field("given_name", "FirstName", "Christina"),
        _Field("family_name", "FamilyName", "García López"),
        _Field("birthdate", "DateOfBirth (YYYY-MM-DD)", "1955-03-21"),
        _Field("acr", "LoA", EIDAS_LOA[1], EIDAS_LOA),
    ),
    "eherkenning": (
        _Field("kvk", "KvK", "12345678"),
        _Field("employee_id", "Employee id", "eh-piet-0001"),
        _Field("name", "Name", "Piet van Dijk"),
        _Field("acr", "LoA", "EH3", EHERKENNING_LOA),
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


def _safe_redirect(means: str, redirect_uri: str) -> str | None:
    """Only back to this service's own callback: the broker is no open redirector."""
    expected = f"/auth/{means}/callback"
    return expected if redirect_uri == expected else None


@router.get("/{means}/authorize", response_class=HTMLResponse)
def authorize_page(
    request: Request, means: str, state: str = "", nonce: str = "", redirect_uri: str = ""
) -> Response:
    lang = language(request)
    target = _safe_redirect(means, redirect_uri)
    if means not in MEANS or target is None or not state or not nonce:
        return render(request, "error.html", lang, 400, message="This login request is not valid.")
    return render(
        request,
        "dev_broker.html",
        lang,
        means=means,
        state=state,
        nonce=nonce,
        redirect_uri=target,
        fields=_FIELDS[means],
        presets=_PRESETS[means],
    )


@router.post("/{means}/authorize", response_class=HTMLResponse)
async def authorize(
    request: Request,
    means: str,
    state: Annotated[str, Form(max_length=128)],
    nonce: Annotated[str, Form(max_length=128)],
    redirect_uri: Annotated[str, Form(max_length=200)],
) -> Response:
    lang = language(request)
    target = _safe_redirect(means, redirect_uri)
    if means not in MEANS or target is None:
        return render(request, "error.html", lang, 400, message="This login request is not valid.")
    form = await request.form()
    claims = {field.name: str(form.get(field.name, ""))[:256].strip() for field in _FIELDS[means]}
    claims["sub"] = _pseudonym(means, claims)
    token = mint_dev_token(
        settings_of(request), means, claims, now=clock_of(request).now(), nonce=nonce
    )
    return render(request, "autopost.html", lang, redirect_uri=target, id_token=token, state=state)


def _pseudonym(means: str, claims: dict[str, str]) -> str:
    """A stable pseudonymous subject, as real brokers issue (never the BSN itself)."""
    if means == "eherkenning":
        return claims.get("employee_id", "")
    basis = claims.get("bsn") or claims.get("person_identifier") or ""
    return hashlib.sha256(f"{means}:{basis}".encode()).hexdigest()[:32]
