"""Log in through the development broker without a browser (``machtigen dev login``).

It walks the real flow over HTTP: ``/auth/{means}/start``, the broker's page (its form posted
with the identity), the callback; the result is the portal session cookie.
"""

import re
from html import unescape

import httpx

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class DevLoginFailed(Exception):
    pass


def walk(base_url: str, means: str, fields: dict[str, str]) -> str:
    """``machtigen_session=<token>`` after logging in as ``fields`` say."""
    with httpx.Client(base_url=base_url.rstrip("/"), follow_redirects=False, timeout=30) as http:
        start = http.get(f"/auth/{means}/start")
        if start.status_code != 303:
            raise DevLoginFailed(f"/auth/{means}/start answered {start.status_code}")
        page = http.get(start.headers["location"])
        if page.status_code != 200:
            raise DevLoginFailed(f"the development broker answered {page.status_code}")
        form = {name: unescape(value) for name, value in _HIDDEN.findall(page.text)}
        back = http.post("/dev-broker/authorize", data={**form, "action": "login", **fields})
        if back.status_code != 303:
            raise DevLoginFailed(f"the development broker refused: {back.status_code}")
        done = http.get(back.headers["location"])
        session = done.cookies.get("machtigen_session")
        if done.status_code != 303 or not session:
            raise DevLoginFailed(f"the login was refused ({done.status_code})")
        return f"machtigen_session={session}"
