"""Citizens and EU users in a real browser: Corry, Koen, Christina (DOMAIN.md stories)."""

import re

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from machtigen import demo
from machtigen.accounts.models import Account, AccountState
from machtigen.identity.models import Person
from tests.browser.stories import digid, login


def account_of(server, bsn):
    with Session(server.engine) as db:
        person = db.scalars(select(Person).where(Person.bsn == bsn)).one()
        return db.get(Account, person.id)


def test_corry_switches_her_mailbox_off(visit, server):
    page = digid(visit, demo.CORRY_BSN)
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")
    expect(page.get_by_text("Uw Berichtenbox staat aan sinds 15 november 2015.")).to_be_visible()
    visit.shot("home")
    visit.click(page.get_by_role("main").get_by_role("link", name="Berichtenbox uitzetten"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Berichtenbox uitzetten")
    expect(
        page.get_by_text(re.compile("volgens de wet digitaal versturen: Belastingdienst"))
    ).to_be_visible()
    visit.shot("deactivate")

    visit.click(page.get_by_role("button", name="Berichtenbox uitzetten"))
    expect(page.get_by_role("alert")).to_contain_text("Vink aan dat u begrijpt")
    checkbox = page.get_by_label("Ik begrijp wat het uitzetten betekent")
    expect(checkbox).to_have_attribute("aria-invalid", "true")
    assert account_of(server, demo.CORRY_BSN).state == AccountState.ACTIVATED
    visit.shot("deactivate-error")

    checkbox.check()
    visit.click(page.get_by_role("button", name="Berichtenbox uitzetten"))
    expect(page.get_by_role("status")).to_contain_text("Uw Berichtenbox staat uit")
    expect(page.get_by_text(re.compile("U heeft uw Berichtenbox op .* uitgezet"))).to_be_visible()
    assert account_of(server, demo.CORRY_BSN).state == AccountState.DEACTIVATED
    # Her post comes on paper now: nobody urges her towards digital post.
    expect(page.get_by_role("heading", name="Nieuwe organisaties")).to_have_count(0)
    expect(page.get_by_text("Dan merkt u niet dat er een bericht is")).to_have_count(0)
    visit.shot("deactivated")

    visit.click(page.get_by_role("link", name="Wat is er gebeurd?"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Wat is er gebeurd op mijn account?")
    expect(page.get_by_text(re.compile("zette u uw berichtenbox uit"))).to_be_visible()
    # "Who ticked these boxes, when, from where?" (the Ombudsman case), on the page itself.
    activation = page.get_by_text(re.compile("Op 15 november 2015 om 15:02 activeerde u"))
    expect(activation).to_have_text(
        "Op 15 november 2015 om 15:02 activeerde u uw berichtenbox en vinkte u RDW, UWV, SVB,"
        " Gemeente Utrecht en Pensioenfonds ABP aan. U was ingelogd met DigiD (niveau midden),"
        " vanaf adres 192.0.2.1."
    )
    created = page.get_by_text(re.compile("werd uw account aangemaakt"))
    assert activation.bounding_box()["y"] < created.bounding_box()["y"], "newest first"
    expect(created).to_contain_text("Op 2 januari 2012")
    expect(page.get_by_text(re.compile("machtigen audit"))).to_have_count(0)
    expect(page.get_by_role("heading", name="Verzegeld en controleerbaar")).to_be_visible()
    expect(page.get_by_role("link", name="Zo controleert u het downloadbestand")).to_be_visible()
    visit.shot("activity")
    page.get_by_label("Berichtenbox aan of uit").check()
    visit.click(page.get_by_role("button", name="Toon"))
    expect(page.get_by_text(re.compile("zette u uw berichtenbox uit"))).to_be_visible()
    expect(page.get_by_text(re.compile("logde u in"))).to_have_count(0)
    with page.expect_download() as started:
        page.get_by_role("link", name="Alleen deze selectie downloaden (JSON)").click()
    assert started.value.suggested_filename.startswith("berichtenbox-selectie-")
    page.get_by_label("Vanaf").fill("31-02-2026")
    visit.click(page.get_by_role("button", name="Toon"))
    expect(page.get_by_role("alert")).to_contain_text("Vul een datum in zoals 23-11-2026.")
    expect(page.get_by_label("Vanaf")).to_have_value("31-02-2026")
    expect(page.get_by_label("Vanaf")).to_have_attribute("aria-invalid", "true")
    visit.shot("activity-error")
    visit.click(page.get_by_role("link", name="Zo controleert u het downloadbestand"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw overzicht zelf controleren")


def test_koen_opens_his_rdw_message_and_adds_an_email_address(visit, server):
    page = digid(visit, demo.KOEN_BSN)
    expect(page.get_by_role("heading", name="Wilt u een e-mail als er post is?")).to_be_visible()
    # Only CAK joined after he switched his mailbox on (UWV, SVB and ABP were there already).
    expect(page.get_by_text(re.compile("Deze organisaties kunnen nu ook post"))).to_have_text(
        "Deze organisaties kunnen nu ook post in uw Berichtenbox zetten: CAK. Wij zetten niets"
        " voor u aan."
    )
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu.get_by_role("link", name=re.compile("^Berichtenbox 1"))).to_be_visible()
    visit.click(menu.get_by_role("link", name=re.compile("^Berichtenbox")))
    row = page.get_by_role("row", name=re.compile("APK-gekeurd"))
    expect(row).to_contain_text("Nieuw")
    expect(row).to_contain_text("RDW")
    visit.shot("inbox")

    visit.click(page.get_by_role("link", name="Uw auto moet binnenkort APK-gekeurd worden"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Uw auto moet binnenkort APK-gekeurd worden"
    )
    expect(page.get_by_text("RDW – APK-herinnering")).to_be_visible()
    action = page.get_by_role("note")
    expect(action).to_contain_text("Laat uw auto keuren")
    expect(action).to_contain_text(re.compile(r"Uiterlijk: \d+ \w+ \d{4}"))
    visit.shot("message")
    visit.click(page.get_by_role("link", name="Terug naar de Berichtenbox"))
    expect(page.get_by_role("row", name=re.compile("APK-gekeurd"))).not_to_contain_text("Nieuw")

    visit.click(page.get_by_role("link", name="Instellingen"))
    email = page.get_by_label("E-mailadres", exact=True)
    email.fill("koen@")
    visit.click(page.get_by_role("button", name="E-mailadres opslaan"))
    expect(page.get_by_role("alert")).to_contain_text(
        "Vul een e-mailadres in zoals naam@voorbeeld.nl"
    )
    expect(page.get_by_label("E-mailadres", exact=True)).to_have_value("koen@")
    visit.shot("email-error")
    page.get_by_label("E-mailadres", exact=True).fill("koen.devries@example.nl")
    visit.click(page.get_by_role("button", name="E-mailadres opslaan"))
    expect(page.get_by_role("status")).to_contain_text("Uw e-mailadres is opgeslagen")
    assert account_of(server, demo.KOEN_BSN).email == "koen.devries@example.nl"
    visit.click(page.get_by_role("link", name="Overzicht"))
    expect(page.get_by_role("heading", name="Wilt u een e-mail als er post is?")).to_have_count(0)


def test_christina_logs_in_with_her_eid_and_reads_in_english(visit):
    page = login(visit, "Log in with a European eID (eIDAS)")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You are logged in with your European eID"
    )
    expect(page.get_by_role("status")).to_contain_text(
        "Your eID is linked to your citizen service number"
    )
    visit.shot("eidas-matched")
    visit.click(page.get_by_role("link", name="Go to my mailbox"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mailbox")
    row = page.get_by_role("row", name=re.compile("Uw pensioenoverzicht"))
    expect(row).to_contain_text("Pensioenfonds ABP")
    visit.shot("inbox")
    visit.click(page.get_by_role("link", name="Uw pensioenoverzicht"))
    expect(page.get_by_text("Sender")).to_be_visible()
    visit.click(page.get_by_role("link", name="Overview"))
    # She lives in Madrid: no municipality or water board is pushed at her.
    expect(page.get_by_text(re.compile("can now also deliver to your mailbox"))).to_have_text(
        "These organisations can now also deliver to your mailbox: CAK. We switch nothing on"
        " for you."
    )
    visit.click(page.get_by_role("link", name=re.compile("^Mailbox")))
    visit.click(page.get_by_role("link", name="Uw pensioenoverzicht"))
    visit.click(page.get_by_role("link", name="Nederlands"))
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_text("Afzender")).to_be_visible()
    visit.click(page.get_by_role("link", name="English"))
    expect(page.get_by_role("link", name="Back to the mailbox")).to_be_visible()


def test_an_eid_with_a_possible_match_waits_for_an_employee(visit):
    page = login(
        visit,
        "Log in with a European eID (eIDAS)",
        person_identifier="BE/NL/90110512345",
        given_name="Lisa",
        family_name="Hendriks",
        birthdate="1990-11-05",
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("We are checking your details")
    expect(page.get_by_text("We never merge two people automatically")).to_be_visible()
    visit.shot("eidas-needs-confirmation")
    visit.goto("/portal/inbox")
    expect(page).to_have_url(re.compile("/auth/eidas/result$"))


def test_an_unknown_eid_is_told_what_to_do(visit):
    page = login(
        visit,
        "Log in with a European eID (eIDAS)",
        person_identifier="DE/NL/T22000129",
        given_name="Erika",
        family_name="Mustermann",
        birthdate="1964-08-12",
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find you")
    expect(page.get_by_text("registered as a non-resident (RNI)")).to_be_visible()
    visit.shot("eidas-unmatched")


def test_the_main_tasks_work_without_javascript(browser, server):
    """Bram (one of Piet's clients) reads his tax letter and adds an e-mail, scripts off."""
    context = browser.new_context(java_script_enabled=False, locale="nl-NL")
    page = context.new_page()
    page.goto(f"{server.url}/auth/login")
    page.get_by_role("link", name="Inloggen met DigiD").click()
    page.locator("#bsn").fill(demo.PIET_CLIENT_BSNS[1])
    page.get_by_role("button", name="Inloggen als deze identiteit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht")
    page.get_by_label("E-mailadres").fill("bram.visser@example.nl")
    page.get_by_role("button", name="E-mailadres opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Uw e-mailadres is opgeslagen")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name=re.compile("^Berichtenbox")
    ).click()
    page.get_by_role("link", name="Voorlopige aanslag inkomstenbelasting").click()
    expect(page.get_by_role("note")).to_contain_text("Controleer de aanslag")
    page.get_by_role("button", name="Naar het archief").click()
    expect(page.get_by_role("status")).to_contain_text("Het bericht staat in het archief")
    context.close()
    assert account_of(server, demo.PIET_CLIENT_BSNS[1]).email == "bram.visser@example.nl"
