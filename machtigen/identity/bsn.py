"""The burgerservicenummer: nine digits that pass the elfproef."""

import re

_NINE_DIGITS = re.compile(r"[0-9]{9}")


def is_valid_bsn(value: str) -> bool:
    """True for a string of exactly nine digits passing the elfproef (11-test).

    Weights 9..2 for the first eight digits and -1 for the last; the sum must be a
    non-zero multiple of 11. Compared as strings: ``12345678`` is not ``012345678``.
    """
    if not isinstance(value, str) or not _NINE_DIGITS.fullmatch(value):
        return False
    total = sum(
        int(digit) * weight for digit, weight in zip(value[:8], range(9, 1, -1), strict=True)
    )
    total -= int(value[8])
    return total % 11 == 0 and total != 0


def mask_bsn(value: str) -> str:
    """A form safe for screens and logs: only the last three digits."""
    return "******" + value[-3:] if len(value) == 9 else "*********"
