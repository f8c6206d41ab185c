"""Every text a person reads, in Dutch (the default) or English: gettext catalogs and Babel.

The texts live in ``machtigen/locale/<language>/LC_MESSAGES/messages.po``, one catalog per
language, read once at first use with Babel (no compile step: ``make run``, the wheel and the
tests read the same ``.po`` files). Message ids are keys (``nav_home``, ``letter_greeting``),
not source sentences: the pages, e-mails, letters and trail refer to a text by what it is
for, and the Dutch text is a translation like the English one. ``make messages`` extracts
the ids used in the code and the templates and updates both catalogs.

Placeholders are Python's: ``%s`` in page texts, ``%(name)s`` in texts with several values;
a test checks that every msgid has the same placeholders in both languages.

Both the portal (``api``) and the domain (letters, e-mails, the trail) read texts here;
dates, numbers and month names come from Babel's locale data, not from tables of our own.
"""

from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SPELLED_OUT_UP_TO = 12
"""Counts up to twelve are written in words ("drie weken"), as Dutch style guides ask."""


def language_of(requested: str | None) -> str:
    """A supported language, Dutch when none (or an unknown one) is asked for."""
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def catalog(lang: str) -> Catalog:
    """The language's catalog as Babel reads it (cached: read once per process)."""
    with catalog_path(language_of(lang)).open("rb") as po:
        return read_po(po, locale=language_of(lang), domain=DOMAIN)


@cache
def _singular(lang: str) -> dict[str, str]:
    return {
        str(message.id): str(message.string)
        for message in catalog(lang)
        if message.id and isinstance(message.id, str) and message.string
    }


@cache
def _plural(lang: str) -> dict[str, tuple[str, ...]]:
    forms: dict[str, tuple[str, ...]] = {}
    for message in catalog(lang):
        strings = message.string
        if isinstance(message.id, tuple) and isinstance(strings, tuple | list) and all(strings):
            forms[str(message.id[0])] = tuple(str(form) for form in strings)
    return forms


def texts(lang: str) -> dict[str, str]:
    """All singular texts of a language, by msgid (what a page's ``t[...]`` reads; shared:
    read it, never change it)."""
    return _singular(language_of(lang))


def lookup(lang: str, msgid: str) -> str | None:
    """The translation, or None when the catalog has none (an empty ``msgstr``)."""
    return _singular(language_of(lang)).get(msgid)


def gettext(lang: str, msgid: str) -> str:
    """The translation; the msgid itself when missing (a test keeps the catalogs complete)."""
    return _singular(language_of(lang)).get(msgid, msgid)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    """The form of ``singular`` for ``n``, by the language's plural rule (Babel's CLDR data;
    both languages have two forms, ``one`` and ``other``, as their catalogs' headers say)."""
    lang = language_of(lang)
    forms = _plural(lang).get(singular)
    if forms is None:
        return singular if n == 1 else plural
    locale = catalog(lang).locale
    tag = locale.plural_form(n) if locale is not None else ("one" if n == 1 else "other")
    return forms[0 if tag == "one" else min(1, len(forms) - 1)]


def gettext_callables(lang: str) -> dict[str, object]:
    """``gettext`` and ``ngettext`` for ``jinja2.ext.i18n``, bound to one request's language."""
    lang = language_of(lang)

    def _gettext(msgid: str) -> str:
        return gettext(lang, msgid)

    def _ngettext(singular: str, plural: str, n: int) -> str:
        return ngettext(lang, singular, plural, n)

    return {"gettext": _gettext, "ngettext": _ngettext}


def count(n: int, lang: str) -> str:
    """A count as a reader reads it: in words up to twelve ("drie"), else in figures."""
    if 0 < n <= SPELLED_OUT_UP_TO:
        return gettext(lang, f"number_{n}")
    return format_decimal(n, locale=language_of(lang))


def period_of_days(days: int, lang: str) -> str:
    """ "drie weken" / "three weeks" for 21 days, "10 dagen" / "ten days" otherwise."""
    if days > 0 and days % 7 == 0:
        weeks = days // 7
        return ngettext(lang, "period_weeks", "period_weeks_plural", weeks) % {
            "count": count(weeks, lang)
        }
    return ngettext(lang, "period_days", "period_days_plural", days) % {"count": count(days, lang)}


# --- dates, as people in the Netherlands read them: Amsterdam time, month in words ----------


def local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM)


def day(value: date | datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """23 november 2026 / 23 November 2026; a moment is first put in Amsterdam time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = local(value).date()
    return format_date(value, "d MMMM y", locale=language_of(lang))


def moment(value: datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """23 november 2026, 14:05 (Amsterdam time)."""
    if value is None:
        return ""
    at = local(value)
    return f"{day(at, lang)}, {at:%H:%M}"


def last_day(value: datetime | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The last day an end moment (exclusive, e.g. midnight) still covers."""
    return "" if value is None else day(value - timedelta(microseconds=1), lang)
