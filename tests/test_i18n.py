"""The catalogs (``machtigen/locale``): every text the code and templates use exists in Dutch and
English, and a text has the same placeholders in both languages."""

import re
from pathlib import Path

import pytest

from api.portal.page import NOTICES
from machtigen.i18n import LANGUAGES, catalog, count, gettext, ngettext, period_of_days, texts
from machtigen.i18n_messages import used_msgids
from machtigen.notifications.models import LetterReason
from machtigen.notifications.texts import MANDATE_CHANGES

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|\{(\w+)\}")
ENGLISH_FROM_THE_DOMAIN = {
    "refusal_AccountStateConflict",
    "refusal_InvalidMandate",
    "refusal_Forbidden",
}
"""Refusals whose English page text is the domain error's own (English) detail, which names
the specific conflict (``api.web.explain``): their English ``msgstr`` stays empty on purpose."""


def placeholders(text: str) -> tuple[frozenset[str], int]:
    """The names of ``%(name)s`` and ``{name}`` in a text (one language may use a name twice),
    and how many positional ``%s`` it has (their order and number must match)."""
    found = PLACEHOLDER.findall(text)
    names = frozenset(named or braced for named, braced in found if named or braced)
    return names, sum(1 for named, braced in found if not (named or braced))


def entries(lang: str) -> dict[str, tuple[str, ...]]:
    """Every msgid of a language's catalog with its text (plural ids: every form)."""
    found = {}
    for message in catalog(lang):
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        found[str(key)] = tuple(str(text or "") for text in strings)
    return found


def differences(first: dict[str, tuple[str, ...]], second: dict[str, tuple[str, ...]]) -> list:
    """Where two catalogs disagree: an id in one only, or other placeholders in a text."""
    problems: list = sorted(("missing", msgid) for msgid in set(first) ^ set(second))
    for msgid in sorted(set(first) & set(second)):
        ours = [placeholders(text) for text in first[msgid] if text]
        theirs = [placeholders(text) for text in second[msgid] if text]
        if ours and theirs and set(ours) != set(theirs):
            problems.append(("placeholders", msgid))
    return problems


def test_every_msgid_used_in_code_and_templates_has_a_text_in_both_languages():
    used = dict(used_msgids(ROOT))
    assert len(used) > 400  # the extraction sees the pages, e-mails, letters and trail
    for lang in LANGUAGES:
        known = entries(lang)
        missing = {msgid: where for msgid, where in used.items() if not any(known.get(msgid, ()))}
        assert missing == {}, f"{lang}: msgids without a text"


def test_the_ids_built_at_run_time_have_texts():
    built = [f"done_{notice}" for notice in NOTICES]
    built += [f"letter_reason_{reason.value}" for reason in LetterReason]
    built += [f"mail_mandate_{change}" for change in MANDATE_CHANGES]
    built += [f"mail_{kind}{who}" for kind in ("new", "reminder") for who in ("", "_client")]
    built += [f"number_{n}" for n in range(1, 13)]
    for lang in LANGUAGES:
        assert [msgid for msgid in built if msgid not in texts(lang)] == []


def test_both_catalogs_have_the_same_msgids_with_the_same_placeholders():
    nl, en = entries("nl"), entries("en")
    assert len(nl) > 700
    assert differences(nl, en) == []
    assert [msgid for msgid, text in nl.items() if not all(text)] == []
    untranslated = {msgid for msgid, text in en.items() if not all(text)}
    assert untranslated == ENGLISH_FROM_THE_DOMAIN


def test_the_check_finds_a_missing_msgid_and_a_changed_placeholder():
    nl = {"welcome": ("Welkom, %s.",), "letter": ("Beste %(name)s,",), "only_nl": ("Hoi",)}
    en = {"welcome": ("Welcome, %s.",), "letter": ("Dear %(naam)s,",)}
    assert differences(nl, en) == [("missing", "only_nl"), ("placeholders", "letter")]
    braces = {"mail": ("{organisation} voor {client}; {organisation}",)}
    assert differences(braces, {"mail": ("{client}: {organisation}",)}) == []
    assert differences(braces, {"mail": ("{organisation}",)}) == [("placeholders", "mail")]
    assert differences({"two": ("%s op %s",)}, {"two": ("%s",)}) == [("placeholders", "two")]


@pytest.mark.parametrize(
    ("days", "nl", "en"),
    [
        (21, "drie weken", "three weeks"),
        (7, "één week", "one week"),
        (10, "tien dagen", "ten days"),
        (1, "één dag", "one day"),
        (30, "30 dagen", "30 days"),
        (98, "14 weken", "14 weeks"),
    ],
)
def test_a_period_reads_as_words_with_the_plural_of_its_language(days, nl, en):
    assert period_of_days(days, "nl") == nl
    assert period_of_days(days, "en") == en


def test_plural_forms_follow_the_count_and_counts_above_twelve_are_figures():
    assert ngettext("nl", "period_days", "period_days_plural", 1) == "%(count)s dag"
    assert ngettext("nl", "period_days", "period_days_plural", 0) == "%(count)s dagen"
    assert count(1200, "nl") == "1.200" and count(1200, "en") == "1,200"


def test_an_unknown_language_reads_dutch_and_an_unknown_msgid_reads_as_itself():
    assert gettext("fr", "logout") == gettext("nl", "logout") == "Uitloggen"
    assert gettext("en", "no_such_text") == "no_such_text"
