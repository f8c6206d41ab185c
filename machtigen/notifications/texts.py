"""The e-mails' words: the kind of message, the sender, the action and deadline; never the content.

Every sentence comes from the catalogs (``machtigen.i18n``, msgids ``mail_*``); this module
only chooses which ones, in the recipient's language, and fills in their values.
"""

from datetime import date, datetime

from babel.dates import format_date

from machtigen.config import get_settings
from machtigen.i18n import gettext, language_of, period_of_days


def render_message_notice(
    language: str,
    *,
    reminder: bool,
    organisation: str,
    kind_of_message: str,
    action_text: str | None,
    deadline: date | None,
    client: str | None,
) -> tuple[str, str]:
    """Subject and body of a new-message or reminder e-mail."""
    lang = language_of(language)
    settings = get_settings()
    values = {"organisation": organisation, "client": client or "", "portal": settings.portal_name}
    subject_key = "mail_" + ("reminder" if reminder else "new") + ("_client" if client else "")
    intro = gettext(lang, "mail_intro_client") if client else gettext(lang, "mail_intro")
    lines = [intro % values]
    if reminder:
        period = period_of_days(settings.reminder_days, lang)
        lines.append(gettext(lang, "mail_intro_reminder") % {"period": period})
    lines += ["", gettext(lang, "mail_kind") % {"kind": kind_of_message}]
    if action_text:
        lines.append(gettext(lang, "mail_action") % {"action": action_text})
    if deadline is not None:
        lines.append(gettext(lang, "mail_deadline") % {"deadline": short_date(deadline, lang)})
    lines += ["", gettext(lang, "mail_outro") % values]
    return gettext(lang, subject_key) % values, "\n".join(lines) + "\n"


MANDATE_CHANGES = frozenset(
    {"granted", "requested", "accepted", "declined", "revoked", "expired", "lapsed"}
)


def render_mandate_change(
    language: str, *, change: str, for_owner: bool, client: str, valid_until: datetime
) -> tuple[str, str]:
    """Subject and body of the e-mail about a change in someone's mandates."""
    lang = language_of(language)
    values = {
        "portal": get_settings().portal_name,
        "client": client,
        "what": gettext(lang, f"mail_mandate_{change}") if change in MANDATE_CHANGES else change,
        "until": short_date(valid_until.date(), lang),
    }
    whose = (
        gettext(lang, "mail_mandate_whose_own")
        if for_owner
        else gettext(lang, "mail_mandate_whose_client")
    )
    values["whose"] = whose % {"client": client}
    subject = gettext(lang, "mail_mandate_subject") % values
    return subject, gettext(lang, "mail_mandate_body") % values


def short_date(day: date, lang: str) -> str:
    """A date in figures: 23-11-2026 in Dutch, 2026-11-23 (ISO 8601) in English."""
    return format_date(day, "dd-MM-y" if lang == "nl" else "y-MM-dd", locale=lang)
