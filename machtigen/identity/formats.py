"""The formats of identifiers other than the BSN (see bsn.py for that one)."""

import re

_EIDAS_IDENTIFIER = re.compile(r"[A-Z]{2}/NL/[A-Za-z0-9+/=_.:-]{1,200}")
_KVK_NUMBER = re.compile(r"[0-9]{8}")


def is_eidas_identifier(value: str) -> bool:
    """An eIDAS PersonIdentifier for the Netherlands: ``CC/NL/identifier``."""
    return bool(_EIDAS_IDENTIFIER.fullmatch(value))


def is_kvk_number(value: str) -> bool:
    """A Chamber of Commerce (KvK) number: eight digits."""
    return bool(_KVK_NUMBER.fullmatch(value))
