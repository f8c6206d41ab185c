"""Dates and times as people in the Netherlands read them: the portal's template filters.

The words (month names) come from Babel's locale data in ``machtigen.i18n``, which the
letters and e-mails use too.
"""

from datetime import date, datetime

from machtigen.i18n import AMSTERDAM, day, last_day, local, moment

__all__ = ["AMSTERDAM", "day", "days_until", "iso_day", "last_day", "local", "moment"]


def iso_day(value: date | datetime | None) -> str:
    """For <time datetime="...">: machine-readable, in Amsterdam time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value).date().isoformat()
    return value.isoformat()


def days_until(value: date | None, today: date) -> int | None:
    return None if value is None else (value - today).days
