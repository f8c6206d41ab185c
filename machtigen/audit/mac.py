"""A MAC on every audit event: written by the service, checked by the sealer and the verifier.

The database's credentials alone must not be enough to write history the service would
sign (DOMAIN.md rule 15; issue 12 §4). ``record`` therefore adds to each event, before the
INSERT and without reading anything, three columns:

- ``event_id``: a new UUID (time-ordered, version 7 layout), unique per event together with
  ``occurred_at`` (a copied row is refused by the unique index);
- ``mac_key_id``: the id of the ``audit_mac`` key (``machtigen.keys``) that made the MAC;
- ``mac``: 32 bytes, HMAC-SHA-256 with that key over the event's canonical form.

**Canonical form** (version 1): the bytes ``machtigen-audit-event-mac/1`` and a newline,
followed by canonical JSON (RFC 8785: keys sorted, no spaces, UTF-8; every value a string,
an integer, a boolean, null, or an object/array of those) of this object::

    {"action", "actor_id", "actor_kind", "actor_name", "detail", "event_id", "ip", "loa",
     "mac_key_id", "means", "object_id", "object_type", "occurred_at", "subject_person_id",
     "user_agent"}

with ``event_id`` and ``subject_person_id`` as lowercase hyphenated UUID text (or null),
``occurred_at`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC, and every other value exactly as
inserted (``detail`` the JSON object). ``seq`` is not covered (the database draws it); the
seal's chain and tree fix each event's place. The values are computable in Python before the
INSERT, so a raw-SQL INSERT (one statement with the act) fills the three columns from
``sign_event(values)`` like ``record`` does.

The sealer refuses an event whose MAC does not verify (``check``) and reports it; ``machtigen
audit verify`` names every such event, sealed or not.
"""

import hashlib
import hmac
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from machtigen.audit.chain import canonical, format_moment
from machtigen.keys import AUDIT_MAC, KeySet

log = logging.getLogger(__name__)

CONTEXT = b"machtigen-audit-event-mac/1\n"
MAC_FIELDS = (
    "event_id",
    "occurred_at",
    "action",
    "actor_kind",
    "actor_id",
    "actor_name",
    "subject_person_id",
    "object_type",
    "object_id",
    "detail",
    "ip",
    "user_agent",
    "means",
    "loa",
)
LEGACY_KEY_ID = "legacy"
"""Marks events written before MACs existed (migration 0007): sealed then without one."""


def new_event_id(now: datetime | None = None) -> UUID:
    """A UUID with the version 7 layout: 48 bits of Unix milliseconds, then random bits, so
    the unique index grows at its end like the table does."""
    millis = int((now.timestamp() if now is not None else time.time()) * 1000) & (2**48 - 1)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)
    value = (value & ~(0x3 << 62)) | (0x2 << 62)
    return UUID(int=value)


def canonical_form(values: Mapping[str, Any], key_id: str) -> bytes:
    """The bytes the MAC is computed over (see the module's docstring)."""
    document: dict[str, Any] = {name: values.get(name) for name in MAC_FIELDS}
    document["event_id"] = _uuid_text(document["event_id"])
    document["subject_person_id"] = _uuid_text(document["subject_person_id"])
    occurred_at = document["occurred_at"]
    if isinstance(occurred_at, datetime):
        document["occurred_at"] = format_moment(occurred_at)
    document["mac_key_id"] = key_id
    return CONTEXT + canonical(document)


def _uuid_text(value: object) -> str | None:
    """Lowercase hyphenated text of a UUID (given as a UUID, or as text in any form)."""
    if value is None:
        return None
    return str(value) if isinstance(value, UUID) else str(UUID(str(value)))


def compute(secret: bytes, values: Mapping[str, Any], key_id: str) -> bytes:
    return hmac.new(secret, canonical_form(values, key_id), hashlib.sha256).digest()


@dataclass(frozen=True)
class MacKeys:
    """The ``audit_mac`` key set: the newest key signs, every key verifies."""

    keyset: KeySet

    def sign(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with ``event_id`` (when missing), ``mac_key_id`` and ``mac`` added."""
        now = datetime.now(UTC)
        key = self.keyset.signer(now)
        assert key.secret is not None
        if values.get("event_id") is None:
            values["event_id"] = new_event_id(now)
        values["mac_key_id"] = key.kid
        values["mac"] = compute(key.secret, values, key.kid)
        return values

    def check(self, row: Mapping[str, Any]) -> str | None:
        """Why this event's MAC does not verify, or None when it does."""
        key_id, mac = row.get("mac_key_id"), row.get("mac")
        if key_id == LEGACY_KEY_ID:
            return None
        if not key_id or mac is None or row.get("event_id") is None:
            return "it carries no MAC: it was not written by the service"
        key = self.keyset.get(str(key_id))
        if key is None or key.secret is None:
            return f"its MAC names key {key_id!r}, which the service never had"
        expected = compute(key.secret, row, key.kid)
        if not hmac.compare_digest(expected, bytes(mac)):
            return (
                f"its MAC (key {key_id}) does not verify: the row was written or changed"
                " past the service"
            )
        return None


_lock = threading.RLock()
_installed: MacKeys | None = None


def install(keyset: KeySet) -> MacKeys:
    """Use this key set for every event this process records (at start: app, CLI)."""
    global _installed
    if keyset.purpose.name != AUDIT_MAC:
        raise ValueError(f"not an audit MAC key set: {keyset.purpose.name}")
    with _lock:
        _installed = MacKeys(keyset)
    return _installed


def current() -> MacKeys:
    """The installed key set; on first use without one, the configured one."""
    if _installed is not None:
        return _installed
    from machtigen.config import get_settings
    from machtigen.keys import load_keyset

    with _lock:
        if _installed is None:
            return install(load_keyset(get_settings(), AUDIT_MAC))
    return _installed


def sign_event(values: dict[str, Any]) -> dict[str, Any]:
    """Add ``event_id``, ``mac_key_id`` and ``mac`` to an event's column values."""
    return current().sign(values)
