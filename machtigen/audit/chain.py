"""Hashing the audit trail: RFC 6962 / RFC 9162 Merkle tree over all events, chains per account.

Pure functions, no database: the sealer, the verifier and an offline export check share them.

- An event's *entry* is canonical JSON (RFC 8785 style: keys sorted, no spaces, UTF-8; every
  value is a string, an integer, a boolean or null, for which Python's ``json.dumps`` with
  these options gives exactly the JCS bytes) of its fields plus where it was sealed:
  ``leaf_index`` (its place in the global tree), ``account_index`` and ``account_prev`` (its
  place in the chain of the person it concerns: the previous event's leaf hash), and
  ``origin``: a salted commitment to IP address and user agent, so that an export can leave
  out another person's address and still be verified.
- leaf hash = SHA-256(0x00 || entry); node hash = SHA-256(0x01 || left || right);
  origin = SHA-256(0x02 || salt || canonical {"ip", "user_agent"}).
- The tree over all leaves is RFC 6962's MTH; a checkpoint signs (tree size, root).
"""

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ENTRY_VERSION = 1
HASH_SIZE = 32
TILE_HEIGHT = 4
"""Stored tree levels: 0 (the leaves) and every multiple of this; the others are recomputed."""

EVENT_FIELDS = (
    "seq",
    "occurred_at",
    "action",
    "actor_kind",
    "actor_id",
    "actor_name",
    "subject_person_id",
    "object_type",
    "object_id",
    "detail",
    "means",
    "loa",
)
"""The event's own fields in its entry; ``ip`` and ``user_agent`` enter through ``origin``."""


class ProofError(ValueError):
    """A proof that cannot be checked at all (wrong length, index outside the tree)."""


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


def format_moment(moment: datetime) -> str:
    """``2026-11-23T10:00:00.000000Z``: always UTC, always microseconds."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def event_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed fields of an event row (database row or export record), as JSON values."""
    occurred_at = row["occurred_at"]
    subject = row["subject_person_id"]
    return {
        "seq": int(row["seq"]),
        "occurred_at": occurred_at if isinstance(occurred_at, str) else format_moment(occurred_at),
        "action": row["action"],
        "actor_kind": row["actor_kind"],
        "actor_id": row["actor_id"],
        "actor_name": row["actor_name"],
        "subject_person_id": None if subject is None else str(subject),
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "detail": row["detail"],
        "means": row["means"],
        "loa": row["loa"],
    }


@dataclass(frozen=True)
class Link:
    """Where an event was sealed: its leaf, its place in its account's chain, its origin."""

    leaf_index: int
    account_index: int | None
    account_prev: bytes | None
    origin: bytes


def origin_commitment(salt: bytes, ip: str | None, user_agent: str | None) -> bytes:
    return hashlib.sha256(b"\x02" + salt + canonical({"ip": ip, "user_agent": user_agent})).digest()


def entry_bytes(fields: Mapping[str, Any], link: Link) -> bytes:
    return canonical(
        {
            **fields,
            "v": ENTRY_VERSION,
            "leaf_index": link.leaf_index,
            "account_index": link.account_index,
            "account_prev": None if link.account_prev is None else link.account_prev.hex(),
            "origin": link.origin.hex(),
        }
    )


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


# --- the tree ---------------------------------------------------------------------------


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (RFC 6962's k)."""
    return 1 << ((size - 1).bit_length() - 1)


def _is_power_of_two(size: int) -> bool:
    return size > 0 and size & (size - 1) == 0


def perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees (level, index) that make up leaves [start, end), left to right,
    for the ranges RFC 6962 uses (the whole tree, and the siblings on an audit path)."""
    size = end - start
    if size <= 0:
        return []
    if _is_power_of_two(size):
        level = size.bit_length() - 1
        return [(level, start >> level)]
    k = _split(size)
    return perfect_subtrees(start, start + k) + perfect_subtrees(start + k, end)


def range_hash(start: int, end: int, perfect: Callable[[int, int], bytes]) -> bytes:
    """MTH(D[start:end]) from the hashes of complete subtrees."""
    size = end - start
    if _is_power_of_two(size):
        level = size.bit_length() - 1
        return perfect(level, start >> level)
    k = _split(size)
    return node_hash(range_hash(start, start + k, perfect), range_hash(start + k, end, perfect))


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """RFC 6962 PATH(index, D[size]) as leaf ranges, from the leaf's sibling up to the root."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start = start + k
    ranges.reverse()
    return ranges


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Iterable[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root that ``path`` proves ``leaf`` at ``index`` is under."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    fn, sn = index, size - 1
    result = leaf
    for sibling in path:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    return result


def stored_level(level: int) -> int:
    return level - level % TILE_HEIGHT


def stored_span(level: int, index: int) -> tuple[int, int, int]:
    """Which stored hashes (level, first, stop) make up complete subtree (level, index)."""
    base = stored_level(level)
    width = level - base
    return base, index << width, (index + 1) << width


def fold_perfect(hashes: list[bytes]) -> bytes:
    """The root of a complete subtree from its 2^k hashes at one level."""
    while len(hashes) > 1:
        hashes = [node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
    return hashes[0]


class Frontier:
    """The right edge of the tree while appending: one complete subtree per bit of the size.

    ``append`` returns the complete subtrees a new leaf finishes (level >= 1), so that the
    sealer can store the ones on stored levels.
    """

    def __init__(self, size: int = 0, hashes: list[bytes] | None = None) -> None:
        levels = [level for level, _ in perfect_subtrees(0, size)]
        hashes = hashes or []
        if len(levels) != len(hashes):
            raise ValueError("the frontier needs one hash per complete subtree of the size")
        self.size = size
        self._stack: list[tuple[int, bytes]] = list(zip(levels, hashes, strict=True))

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        finished: list[tuple[int, int, bytes]] = []
        level, current = 0, leaf
        self.size += 1
        while self._stack and self._stack[-1][0] == level:
            current = node_hash(self._stack.pop()[1], current)
            level += 1
            finished.append((level, (self.size >> level) - 1, current))
        self._stack.append((level, current))
        return finished

    def root(self) -> bytes:
        if not self._stack:
            return hashlib.sha256(b"").digest()
        result = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            result = node_hash(left, result)
        return result
