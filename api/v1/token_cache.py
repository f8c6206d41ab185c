"""Access tokens whose signature this worker verified, kept until they expire.

Admission control (``api/admission.py``) must know who is calling before any database work
and without the cost of an ES256 verification per request. It looks the exact token up here:
a hit is a token this worker verified itself, so a forged or altered token never borrows a
client's share (it misses, and is admitted, if at all, among the unauthenticated callers).
``current_client`` verifies on a miss and remembers the result, so an ES256 verification
(about 400 µs) is paid once per token, not once per request.

A token outlives a deactivation of its client (five minutes). ``ActiveClients`` therefore
remembers, per client, whether the database still had it active a moment ago: a client
deactivated there is refused within ``client_recheck_seconds``, at the cost of one small
read per client per that many seconds.
"""

import threading
from collections import OrderedDict

from machtigen.clients.service import ClientIdentity, VerifiedAccessToken


class VerifiedTokens:
    """A bounded map from token to its verified client, least recently used out first."""

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, VerifiedAccessToken] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, now: float) -> ClientIdentity | None:
        """The client of a token verified before and valid at ``now`` (POSIX seconds)."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        if not entry.not_before <= now < entry.expires_at:
            with self._lock:
                self._entries.pop(token, None)
            return None
        with self._lock:
            if token in self._entries:
                self._entries.move_to_end(token)
        return entry.client

    def remember(self, token: str, verified: VerifiedAccessToken) -> None:
        with self._lock:
            self._entries[token] = verified
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class ActiveClients:
    """Per client id: active or not as last read, and when (POSIX seconds); bounded."""

    def __init__(self, recheck_seconds: float, max_entries: int = 10_000) -> None:
        self.recheck_seconds = recheck_seconds
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[bool, float]] = OrderedDict()
        self._lock = threading.Lock()

    def known(self, client_id: str, now: float) -> bool | None:
        """Whether the client was active at a read less than ``recheck_seconds`` ago; None
        when it must be read again."""
        entry = self._entries.get(client_id)
        if entry is None or not entry[1] <= now < entry[1] + self.recheck_seconds:
            return None
        return entry[0]

    def remember(self, client_id: str, active: bool, now: float) -> None:
        with self._lock:
            self._entries[client_id] = (active, now)
            self._entries.move_to_end(client_id)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def forget(self, client_id: str) -> None:
        """Read this client again at its next request (e.g. right after deactivating it)."""
        with self._lock:
            self._entries.pop(client_id, None)
