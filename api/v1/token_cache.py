"""Access tokens whose signature this worker verified, kept until they expire.

Admission control (``api/admission.py``) must know who is calling before any database work
and without the cost of an ES256 verification per request. It looks the exact token up here:
a hit is a token this worker verified itself, so a forged or altered token never borrows a
client's share (it misses, and is admitted, if at all, among the unauthenticated callers).
``current_client`` verifies on a miss and remembers the result.
"""

import threading
from collections import OrderedDict

from machtigen.clients.service import ClientIdentity, VerifiedAccessToken


class VerifiedTokens:
    """A bounded map from token to its verified client; the oldest entries go first."""

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
        return entry.client

    def remember(self, token: str, verified: VerifiedAccessToken) -> None:
        with self._lock:
            self._entries[token] = verified
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
