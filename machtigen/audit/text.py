"""Free text in the audit trail is encoded so that it cannot forge lines or spreadsheet cells.

A user agent, a name or a folder name could carry a newline, a carriage return, a Unicode
line separator or a right-to-left override that makes one event look like two, or like
another. Every character that is not printable (Unicode categories Cc, Cf, Cs, Co, Cn, Zl,
Zp and every separator but the space) is written as a visible escape (``\\n``, ``\\x1b``,
``\\u2028``), and a backslash as ``\\\\``, so the encoding is unambiguous. Printable text
(the common case) passes unchanged at the cost of one ``isprintable`` call.
"""

from typing import Any

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "|", "%")
"""A cell that starts with one of these is a formula to a spreadsheet (OWASP CSV injection)."""


def encode_free_text(value: str, limit: int | None = None) -> str:
    """One line of visible text; cut to ``limit`` characters after encoding when given."""
    if not (value.isprintable() and "\\" not in value):
        value = "".join(_escape(char) for char in value)
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    if char.isprintable():
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def encode_detail(value: Any) -> Any:
    """A detail value as JSON the sealer can hash canonically: strings encoded, integers,
    booleans and null kept, floats and everything else as text."""
    if isinstance(value, str):
        return encode_free_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return {encode_free_text(str(key)): encode_detail(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode_detail(item) for item in value]
    return encode_free_text(str(value))


def spreadsheet_safe(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    if cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell
