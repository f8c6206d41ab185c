"""Paper letters in the person's terms: their language, the login means they have, a sender
people can write to, call and visit; never a placeholder outside development.

One letter per language is rendered to PNG in ``var/letters-preview`` (PDF → PNG with
pdftoppm when it is installed, else in Debian's Chromium's PDF viewer) for a person to look at.
"""

import re
import shutil
import subprocess
import zlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from machtigen.accounts.models import Account
from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import AnonymousActor, PersonActor, SystemActor
from machtigen.config import Settings
from machtigen.i18n import gettext
from machtigen.identity import login as logins
from machtigen.identity.correspondence import (
    correspondence_language,
    login_means,
    remember_language,
)
from machtigen.identity.models import EidasIdentity, EidasMatch, Person
from machtigen.jobs import Jobs, JobsConfig
from machtigen.notifications.letters import (
    LettersNotConfigured,
    compose,
    letter_lines,
    letter_sender,
    render_pdf,
)
from machtigen.notifications.models import Letter, LetterReason, LetterStatus
from machtigen.notifications.outbox import on_message_delivered
from machtigen.notifications.paper import escalate
from tests import factories as f
from tests.factories import T0
from tests.notifications.conftest import SENDER

ROOT = Path(__file__).resolve().parents[2]
PREVIEW = ROOT / "var" / "letters-preview"
CHROMIUM = "/usr/bin/chromium"


def pdf_text(pdf: bytes) -> str:
    """The text shown by the PDF's core-font text operators, lines joined by spaces."""
    shown = []
    # The end of line before "endstream" is left in: a compressed stream may end in a byte
    # that looks like one; the decompressor ignores what follows the zlib data.
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            content = zlib.decompressobj().decompress(stream)
        except zlib.error:
            continue
        for literal in re.findall(rb"\(((?:[^()\\]|\\.)*)\)\s*Tj", content):
            shown.append(re.sub(rb"\\(.)", rb"\1", literal).decode("cp1252"))
    return " ".join(shown)


def _christina(session, ctx_for, clock):
    """Spanish, living in Madrid, eIDAS linked to her BSN as a non-resident; logs in with it."""
    christina = f.person(session, non_resident=True, name="Christina", family_name="García López")
    christina.postal_address = "Calle Mayor 5, 28013 Madrid, España"
    session.add(
        EidasIdentity(
            person_identifier="ES/NL/12345678Z",
            first_name="Christina",
            family_name="García López",
            date_of_birth=christina.date_of_birth,
            person_id=christina.id,
            match=EidasMatch.MATCHED,
            created_at=T0,
        )
    )
    session.flush()
    logins.login(
        ctx_for(AnonymousActor("broker|es", clock.now())),
        "eidas",
        logins.EidasAssertion(
            "broker|es",
            "http://eidas.europa.eu/LoA/substantial",
            "ES/NL/12345678Z",
            "Christina",
            "García López",
            christina.date_of_birth,
        ),
    )
    return christina


def _koen(session, ctx_for, clock):
    koen = f.person(session, name="Koen", family_name="de Vries")
    koen.postal_address = "Dorpsstraat 1, 3511 AA Utrecht"
    logins.login(
        ctx_for(AnonymousActor("broker|nl", clock.now())),
        "digid",
        logins.DigidAssertion("broker|nl", "midden", koen.bsn),
    )
    return koen


def _unread_letter(session, ctx_for, clock, person, *, organisation, service, action=None):
    afnemer = f.afnemer(session, name=organisation, read_state_legal_basis=True)
    svc = f.service(session, afnemer, ServiceCategory.FINANCIAL)
    svc.name = service
    message = f.message(session, person, svc, received_at=clock.now() - timedelta(days=70))
    message.action_text = action
    message.deadline = date(2026, 12, 31) if action else None
    session.flush()
    system = ctx_for(SystemActor(at=clock.now(), job="jobs.escalate_unvisited"))
    letter = escalate(system, person.id, LetterReason.UNVISITED)
    assert letter is not None
    return letter


def _content(session, letter, sender=SENDER):
    person = session.get_one(Person, letter.person_id)
    return compose(letter, letter_lines(session, letter.id), login_means(session, person), sender)


def test_christinas_letter_is_in_english_and_names_eidas_never_digid(session, ctx_for, clock):
    christina = _christina(session, ctx_for, clock)
    assert correspondence_language(session, christina) == "en"
    assert login_means(session, christina) == ["eidas"]
    letter = _unread_letter(
        session,
        ctx_for,
        clock,
        christina,
        organisation="Pensioenfonds ABP",
        service="Pensioenoverzicht",
        action="Check your pension overview",
    )
    assert letter.language == "en"
    content = _content(session, letter)
    text = "\n".join(content.paragraphs)
    assert content.title == "Messages are waiting for you in your Message box"
    assert "Dear Christina García López," in text
    assert "log in with your European eID (eIDAS)" in text
    assert "DigiD" not in text
    assert "go to mijn.overheid.nl" in text and "call us: 0800-0123" in text
    assert "Pensioenfonds ABP: Pensioenoverzicht" in text and "31 December 2026" in text

    printed = pdf_text(render_pdf(letter, content, SENDER))
    for seen in (
        "Postbus 20011",
        "2500 EA Den Haag",
        "Phone 0800-0123",
        "mijn.overheid.nl",
        "Calle Mayor 5",
        "España",
        "European eID (eIDAS)",
        "Date: 23 November 2026",
    ):
        assert seen in printed, seen
    assert "DigiD" not in printed and "Postbus 0000" not in printed


def test_koens_letter_is_in_dutch_and_names_digid(session, ctx_for, clock):
    koen = _koen(session, ctx_for, clock)
    assert (correspondence_language(session, koen), login_means(session, koen)) == (
        "nl",
        ["digid"],
    )
    letter = _unread_letter(
        session, ctx_for, clock, koen, organisation="RDW", service="APK-herinnering"
    )
    text = "\n".join(_content(session, letter).paragraphs)
    assert "Beste Koen de Vries," in text
    assert "logt u in met DigiD" in text and "eIDAS" not in text
    assert "bel ons: 0800-0123" in text


def test_the_language_is_the_persons_choice_first(session, ctx_for, clock):
    christina = _christina(session, ctx_for, clock)
    remember_language(ctx_for(PersonActor(christina.id, clock.now())), "nl")
    assert correspondence_language(session, christina) == "nl"
    koen = _koen(session, ctx_for, clock)
    remember_language(ctx_for(PersonActor(koen.id, clock.now())), "en")
    assert correspondence_language(session, koen) == "en"
    remember_language(ctx_for(PersonActor(koen.id, clock.now())), "xx")  # ignored
    assert (koen.preferred_language, koen.language_chosen_at) == ("en", clock.now())


def test_someone_who_used_both_means_is_told_both(session, ctx_for, clock):
    christina = _christina(session, ctx_for, clock)
    logins.login(
        ctx_for(AnonymousActor("broker|nl2", clock.now())),
        "digid",
        logins.DigidAssertion("broker|nl2", "midden", christina.bsn),
    )
    assert login_means(session, christina) == ["digid", "eidas"]
    letter = _unread_letter(session, ctx_for, clock, christina, organisation="SVB", service="AOW")
    text = "\n".join(_content(session, letter).paragraphs)
    assert "log in with DigiD or with your European eID (eIDAS)" in text


def test_a_person_who_never_logged_in_is_told_what_they_can_have(session):
    resident = f.person(session)
    assert login_means(session, resident) == ["digid"]


def test_christinas_e_mail_is_in_english_too(session, ctx_for, clock):
    christina = _christina(session, ctx_for, clock)
    session.get(Account, christina.id).email = "christina@example.es"
    afnemer = f.afnemer(session, name="Pensioenfonds ABP")
    message = f.message(session, christina, f.service(session, afnemer, ServiceCategory.OTHER))
    [notification] = on_message_delivered(ctx_for(PersonActor(christina.id, clock.now())), message)
    assert notification.subject == "New message from Pensioenfonds ABP in your Message box"


def _settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_production_refuses_letters_until_the_sender_is_set(
    session, uow, clock, authz, ctx_for, tmp_path
):
    with pytest.raises(LettersNotConfigured) as refused:
        letter_sender(_settings(environment="production", letter_sender_phone="0800-0123"))
    assert refused.value.missing == ("letter_sender_address", "letter_sender_web")
    assert "MACHTIGEN_LETTER_SENDER_ADDRESS" in str(refused.value)

    koen = _koen(session, ctx_for, clock)
    letter = _unread_letter(session, ctx_for, clock, koen, organisation="RDW", service="APK")
    unset = JobsConfig.from_settings(_settings(environment="production", letters_dir=str(tmp_path)))
    [result] = Jobs(uow, clock, authz, unset).run(("write_letters",))
    assert result.ran and result.done == 0
    assert result.refused is not None and "MACHTIGEN_LETTER_SENDER_PHONE" in result.refused
    assert session.get(Letter, letter.id).status == LetterStatus.PENDING  # kept, not lost
    assert list(tmp_path.iterdir()) == []

    configured = JobsConfig.from_settings(
        _settings(
            environment="production",
            letters_dir=str(tmp_path),
            letter_sender_address="Postbus 20011, 2500 EA Den Haag",
            letter_sender_phone="0800-0123",
            letter_sender_web="mijn.overheid.nl",
        )
    )
    [result] = Jobs(uow, clock, authz, configured).run(("write_letters",))
    assert (result.done, result.refused) == (1, None)
    session.expire_all()
    written = session.get(Letter, letter.id)
    assert written.status == LetterStatus.WRITTEN
    printed = pdf_text((tmp_path / written.file_name).read_bytes())
    assert "Postbus 20011" in printed and "ONTWIKKELVOORBEELD" not in printed


def test_development_prints_a_marked_specimen(session, ctx_for, clock):
    sender = letter_sender(_settings(environment="development"))
    assert sender.specimen
    koen = _koen(session, ctx_for, clock)
    letter = _unread_letter(session, ctx_for, clock, koen, organisation="RDW", service="APK")
    printed = pdf_text(render_pdf(letter, _content(session, letter, sender), sender))
    assert "ONTWIKKELVOORBEELD - NIET VERSTUREN" in printed
    configured = letter_sender(
        _settings(
            environment="development",
            letter_sender_address="Postbus 20011, 2500 EA Den Haag",
            letter_sender_phone="0800-0123",
            letter_sender_web="mijn.overheid.nl",
        )
    )
    assert not configured.specimen


def test_the_jobs_command_says_why_and_fails_while_letters_are_refused(tmp_path, monkeypatch):
    from machtigen import cli
    from machtigen.audit import mac
    from machtigen.config import get_settings

    installed = mac.current()  # the command installs its own MAC key for the whole process
    monkeypatch.setenv("MACHTIGEN_DATABASE_URL", f"sqlite:///{tmp_path / 'jobs.db'}")
    monkeypatch.setenv("MACHTIGEN_LETTERS_DIR", str(tmp_path / "letters"))
    monkeypatch.setenv("MACHTIGEN_ENVIRONMENT", "production")
    for name in ("ADDRESS", "PHONE", "WEB"):
        monkeypatch.delenv(f"MACHTIGEN_LETTER_SENDER_{name}", raising=False)
    # production needs its keys (under var/keys of the working directory), as on a real host
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli.main, ["keys", "generate"]).exit_code == 0
        assert runner.invoke(cli.main, ["migrate"]).exit_code == 0
        result = runner.invoke(cli.main, ["jobs", "--only", "write_letters"])
    finally:
        get_settings.cache_clear()
        mac.install(installed.keyset)
    assert result.exit_code == 1
    assert "write_letters: refused: letters are not written until" in result.output


def test_one_letter_per_language_rendered_to_png(session, ctx_for, clock, tmp_path):
    """Look at var/letters-preview/letter-nl.png and letter-en.png after the run."""
    letters = {
        "nl": _unread_letter(
            session,
            ctx_for,
            clock,
            _koen(session, ctx_for, clock),
            organisation="RDW",
            service="APK-herinnering",
            action="Laat uw auto keuren",
        ),
        "en": _unread_letter(
            session,
            ctx_for,
            clock,
            _christina(session, ctx_for, clock),
            organisation="Pensioenfonds ABP",
            service="Pensioenoverzicht",
            action="Check your pension overview",
        ),
    }
    PREVIEW.mkdir(parents=True, exist_ok=True)
    for lang, letter in letters.items():
        assert letter.language == lang
        pdf = PREVIEW / f"letter-{lang}.pdf"
        pdf.write_bytes(render_pdf(letter, _content(session, letter), SENDER))
        png = PREVIEW / f"letter-{lang}.png"
        png.unlink(missing_ok=True)
        render_png(pdf, png)
        _assert_a_page_with_text(png)
        assert gettext(lang, "letter_title") in pdf_text(pdf.read_bytes())


def render_png(pdf: Path, png: Path) -> None:
    """PDF → PNG: pdftoppm (Debian's poppler-utils) when present, else Chromium's PDF viewer."""
    if shutil.which("pdftoppm"):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "100", "-singlefile", str(pdf), str(png.with_suffix(""))],
            check=True,
        )
        return
    if not Path(CHROMIUM).exists():
        pytest.fail(f"neither pdftoppm nor {CHROMIUM}: apt-get install -y poppler-utils")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1250})
            page.goto(f"{pdf.as_uri()}#toolbar=0&navpanes=0&view=FitH")
            page.wait_for_timeout(1500)  # the viewer draws the page after load
            page.screenshot(path=str(png))
        finally:
            browser.close()


def _assert_a_page_with_text(png: Path) -> None:
    from PIL import Image

    with Image.open(png) as image:
        width, height = image.size
        assert width >= 600 and height >= 800
        # The middle of the page: no viewer chrome or page border, only what the letter prints.
        middle = image.convert("L").crop((width // 10, height // 10, width * 9 // 10, height // 2))
        dark = sum(middle.histogram()[:100])
    # A blank or failed render has no dark pixels there; a page of text has thousands.
    assert dark > 5_000, f"{png} looks empty ({dark} dark pixels)"
