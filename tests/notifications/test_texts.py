"""The e-mails' words, in full: the reminder names the configured period, in words and with
the plural of the reader's language; nothing else changed when the texts moved to the catalogs."""

from datetime import UTC, date, datetime

import pytest

from machtigen.config import get_settings
from machtigen.notifications.texts import render_mandate_change, render_message_notice


@pytest.fixture
def reminder_days(monkeypatch):
    def configure(days: int) -> None:
        monkeypatch.setenv("MACHTIGEN_REMINDER_DAYS", str(days))
        get_settings.cache_clear()

    yield configure
    get_settings.cache_clear()


def notice(lang: str, *, reminder: bool = True, client: str | None = None) -> tuple[str, str]:
    return render_message_notice(
        lang,
        reminder=reminder,
        organisation="RDW",
        kind_of_message="APK",
        action_text="Laat uw auto keuren",
        deadline=date(2026, 12, 1),
        client=client,
    )


def test_the_reminder_reads_as_before_with_the_default_three_weeks(reminder_days):
    reminder_days(21)
    subject, body = notice("nl")
    assert subject == "Herinnering: ongelezen bericht van RDW"
    assert body == (
        "Er staat een bericht van RDW voor u klaar in de Berichtenbox van MijnOverheid.\n"
        "U heeft dit bericht al drie weken niet gelezen.\n"
        "\n"
        "Soort bericht: APK\n"
        "Wat u moet doen: Laat uw auto keuren\n"
        "Uiterlijk: 01-12-2026\n"
        "\n"
        "Log in op MijnOverheid om het bericht te lezen. Typ het adres zelf in: wij sturen nooit"
        " een link om in te loggen. Deze e-mail bevat nooit de inhoud van het bericht.\n"
    )
    subject, body = notice("en", client="S. Peters")
    assert subject == "Reminder: unread message from RDW for S. Peters"
    assert body.splitlines()[:2] == [
        "A message from RDW is waiting in the Message box of your client S. Peters.",
        "You have not read this message for three weeks.",
    ]
    assert "Deadline: 2026-12-01" in body


@pytest.mark.parametrize(
    ("days", "nl", "en"),
    [
        (10, "U heeft dit bericht al tien dagen niet gelezen.", "for ten days."),
        (7, "U heeft dit bericht al één week niet gelezen.", "for one week."),
        (45, "U heeft dit bericht al 45 dagen niet gelezen.", "for 45 days."),
    ],
)
def test_the_reminder_names_the_configured_period(reminder_days, days, nl, en):
    reminder_days(days)
    assert nl in notice("nl")[1]
    assert notice("en")[1].splitlines()[1] == f"You have not read this message {en}"
    assert "weken" not in notice("nl", reminder=False)[1]


def test_the_mandate_change_mail_reads_as_before():
    until = datetime(2027, 1, 31, 12, tzinfo=UTC)
    subject, body = render_mandate_change(
        "nl", change="granted", for_owner=False, client="S. Peters", valid_until=until
    )
    assert subject == "MijnOverheid: wijziging in uw machtigingen"
    assert body == (
        "In uw machtigingen voor S. Peters: er is een machtiging voor u klaargezet; accepteer"
        " of weiger die.\nGeldig tot: 31-01-2027.\n\nLog in op MijnOverheid om de details te"
        " zien. Typ het adres zelf in: wij sturen nooit een link om in te loggen.\n"
    )
    subject, body = render_mandate_change(
        "en", change="expired", for_owner=True, client="S. Peters", valid_until=until
    )
    assert subject == "MijnOverheid: a change in your mandates"
    assert body.startswith("In your own mandates: a mandate expired.\nValid until: 2027-01-31.")
