"""Logging in through the development broker, as a person would: click, type, continue."""

import re

from tests.browser.conftest import Visit


def login(visit: Visit, means_link: str, **fields: str):
    """From the login page through the development broker (an OIDC provider: authorization
    code with PKCE) and back through the callback to the portal."""
    visit.goto("/auth/login")
    visit.click(visit.page.get_by_role("link", name=means_link))
    for name, value in fields.items():
        box = visit.page.locator(f"#{name}")
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
    return visit.click(visit.page.get_by_role("button", name=re.compile("Inloggen als|Log in as")))


def digid(visit: Visit, bsn: str, level: str = "substantieel"):
    return login(visit, "Inloggen met DigiD", bsn=bsn, acr=level)
