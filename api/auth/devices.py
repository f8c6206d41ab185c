"""The devices a person is logged in on, for the settings page ("log out everywhere")."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from api.web import settings_of
from machtigen.identity.sessions import live_sessions

_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


@dataclass(frozen=True)
class Device:
    browser: str | None
    system: str | None
    user_agent: str
    started: datetime
    last_seen: datetime
    ip: str | None
    current: bool


def devices(page: Any) -> list[Device]:
    """Every live session of the logged-in person, this one first; empty while acting for
    someone else (the settings page then shows the client's settings, not the devices)."""
    if not page.own:
        return []
    portal = page.portal.session
    rows = live_sessions(page.ctx.session, portal, page.ctx.now, settings_of(page.request))
    found = [
        Device(
            _first(_BROWSERS, row.user_agent or ""),
            _first(_SYSTEMS, row.user_agent or ""),
            row.user_agent or "",
            row.created_at,
            row.last_seen_at,
            row.ip,
            row.id == portal.id,
        )
        for row in rows
    ]
    return sorted(found, key=lambda device: not device.current)


def _first(known: tuple[tuple[str, str], ...], user_agent: str) -> str | None:
    for marker, name in known:
        if re.search(re.escape(marker), user_agent):
            return name
    return None
