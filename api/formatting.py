"""Dates and times as people in the Netherlands read them: Amsterdam time, month in words."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_MONTHS = {
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "en": "January February March April May June July August September October November December",
}


def local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM)


def day(value: date | datetime | None, lang: str = "nl") -> str:
    """23 november 2026 / 23 November 2026; a moment is first put in Amsterdam time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return f"{value.day} {_MONTHS[lang].split()[value.month - 1]} {value.year}"


def moment(value: datetime | None, lang: str = "nl") -> str:
    """23 november 2026, 14:05 (Amsterdam time)."""
    if value is None:
        return ""
    at = local(value)
    return f"{day(at, lang)}, {at:%H:%M}"


def last_day(value: datetime | None, lang: str = "nl") -> str:
    """The last day an end moment (exclusive, e.g. midnight) still covers."""
    return "" if value is None else day(value - timedelta(microseconds=1), lang)


def iso_day(value: date | datetime | None) -> str:
    """For <time datetime="...">: machine-readable, in Amsterdam time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value).date().isoformat()
    return value.isoformat()


def days_until(value: date | None, today: date) -> int | None:
    return None if value is None else (value - today).days
