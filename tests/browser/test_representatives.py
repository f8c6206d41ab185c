"""Representatives in a real browser: Piet (bewindvoerder, ten clients), Monique (curator),
and a voluntary mandate from grant to revocation (DOMAIN.md rules 10-13)."""

import re

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from machtigen import demo
from machtigen.afnemers.models import Afnemer
from machtigen.identity.models import Person
from machtigen.messages.models import Message
from tests.browser.conftest import close_tab, open_tab
from tests.browser.stories import digid, login


def message_id(server, bsn, sender):
    with Session(server.engine) as db:
        person = db.scalars(select(Person).where(Person.bsn == bsn)).one()
        return db.scalars(
            select(Message.id)
            .join(Afnemer, Afnemer.id == Message.afnemer_id)
            .where(Message.person_id == person.id, Afnemer.name == sender)
        ).one()


def test_piet_sees_his_clients_and_reads_tax_post_but_not_care_post(visit, server):
    page = login(visit, "Inloggen met eHerkenning (voor kantoren)")
    for given, family in demo.CLIENT_NAMES:
        expect(page.get_by_text(f"{given} {family}", exact=True)).to_be_visible()
    visit.shot("clients")

    visit.click(page.get_by_role("button", name="Wisselen naar Anna Bakker"))
    banner = page.get_by_role("region", name=re.compile("U handelt namens Anna Bakker"))
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(
        "Beschermingsbewind: u ziet en regelt alleen post over geldzaken."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Berichtenbox van Anna Bakker")
    expect(page.get_by_role("row", name=re.compile("Voorlopige aanslag"))).to_contain_text(
        "Belastingdienst"
    )
    expect(page.get_by_text("Besluit Wmo-ondersteuning")).to_have_count(0)
    visit.shot("client-inbox")

    visit.click(page.get_by_role("link", name="Voorlopige aanslag inkomstenbelasting"))
    expect(page.get_by_role("note")).to_contain_text("Controleer de aanslag")
    expect(banner).to_be_visible()
    visit.shot("client-message")

    care = message_id(server, demo.PIET_CLIENT_BSNS[0], "Gemeente Utrecht")
    response = page.goto(f"{server.url}/portal/messages/{care}")
    assert response.status == 404
    visit.check()
    expect(page.get_by_role("alert")).to_contain_text("bestaat niet, of u mag het niet zien")
    expect(page.get_by_text("Besluit Wmo-ondersteuning")).to_have_count(0)
    expect(banner).to_contain_text("u ziet en regelt alleen post over geldzaken")
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu.get_by_role("link", name="Instellingen")).to_be_visible()  # the error page keeps it
    visit.shot("care-post-refused")

    visit.click(menu.get_by_role("link", name="Instellingen"))
    expect(
        page.get_by_role("heading", level=2, name="Van wie krijgt Anna Bakker post digitaal?")
    ).to_be_visible()
    expect(page.get_by_text("Van wie wilt u post digitaal krijgen?")).to_have_count(0)
    town = page.get_by_role("checkbox", name="Gemeente Utrecht")
    expect(town).to_be_disabled()
    expect(town).to_have_accessible_description(
        re.compile(
            "Alleen bekijken: de post van Gemeente Utrecht over Wmo-ondersteuning valt buiten uw"
            " vertegenwoordiging."
        )
    )
    expect(
        page.get_by_role("checkbox", name="Hoogheemraadschap De Stichtse Rijnlanden")
    ).to_be_enabled()
    expect(banner).to_be_visible()
    visit.shot("client-settings")

    visit.click(banner.get_by_role("button", name="Terug naar uzelf"))
    expect(page.get_by_role("region", name=re.compile("U handelt namens"))).to_have_count(0)


def test_monique_reads_her_daughters_post(visit):
    page = digid(visit, demo.MONIQUE_BSN)
    expect(page.get_by_text("Uw Berichtenbox staat uit.")).to_be_visible()
    # Her own mailbox is off: no organisations or e-mail address are pressed on her.
    expect(page.get_by_role("heading", name="Nieuwe organisaties")).to_have_count(0)
    expect(page.get_by_text("Dan merkt u niet dat er een bericht is")).to_have_count(0)
    visit.click(page.get_by_role("button", name="Wisselen naar Sanne Peters"))
    expect(
        page.get_by_role("region", name=re.compile("U handelt namens Sanne Peters"))
    ).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Berichtenbox van Sanne Peters")
    visit.click(page.get_by_role("link", name="Beschikking zorgtoeslag"))
    expect(page.get_by_text("Belastingdienst – Toeslagen")).to_be_visible()
    visit.shot("daughters-message")
    visit.click(page.get_by_role("link", name="Instellingen"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Instellingen van Sanne Peters")
    expect(page.get_by_role("heading", name="Alles op papier")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Van wie krijgt Sanne Peters post digitaal?")
    ).to_be_visible()
    expect(
        page.get_by_role("region", name=re.compile("U handelt namens Sanne Peters"))
    ).to_contain_text("Curatele: u ziet en regelt alles in deze Berichtenbox.")
    visit.shot("daughters-settings")
    visit.click(page.get_by_role("link", name="Wat is er gebeurd?"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Wat is er gebeurd op het account van Sanne Peters?"
    )
    # "u" is Monique, who reads; Sanne is named; her own acts say how she was logged in.
    expect(
        page.get_by_text(re.compile("activeerde Sanne Peters de eigen berichtenbox"))
    ).to_be_visible()
    expect(page.get_by_text(re.compile("begon u namens Sanne Peters te handelen"))).to_be_visible()
    expect(page.get_by_text(re.compile("activeerde u uw berichtenbox"))).to_have_count(0)
    visit.shot("daughters-activity")


def test_monique_switches_her_own_mailbox_on_only_with_the_button(visit):
    page = digid(visit, demo.MONIQUE_BSN)
    visit.click(
        page.get_by_role("link", name="Lees wat het aanzetten van de Berichtenbox betekent")
    )
    expect(page.get_by_role("heading", name="Wat betekent aanzetten?")).to_be_visible()
    visit.shot("activate")
    visit.click(page.get_by_role("button", name="Berichtenbox aanzetten"))
    expect(page.get_by_role("alert")).to_contain_text("Vink aan dat u heeft gelezen")
    page.get_by_label("Ik heb gelezen wat het aanzetten betekent").check()
    visit.click(page.get_by_role("button", name="Berichtenbox aanzetten"))
    expect(page.get_by_role("status")).to_contain_text("Uw Berichtenbox staat aan.")


def test_lisa_gets_a_mandate_from_koen_uses_it_and_loses_it(visit, browser, server):
    page = digid(visit, demo.KOEN_BSN)
    visit.click(page.get_by_role("link", name="Wie mag namens mij handelen"))
    visit.click(page.get_by_role("link", name="Iemand machtigen"))
    visit.click(page.get_by_role("button", name="Machtiging geven"))
    expect(page.get_by_role("alert")).to_contain_text("Vul het burgerservicenummer in")
    expect(page.get_by_role("alert")).to_contain_text("Vink minstens één organisatie")
    visit.shot("grant-errors")
    page.get_by_label("Burgerservicenummer (BSN)").fill(demo.LISA_BSN)
    page.get_by_label("Geboortedatum").fill("06-11-1990")
    page.get_by_label("RDW – APK-herinnering: berichten lezen").check()
    visit.click(page.get_by_role("button", name="Machtiging geven"))
    expect(page.get_by_role("alert")).to_contain_text(
        "We vonden niemand met dit burgerservicenummer"
    )
    page.get_by_label("Geboortedatum").fill("05-11-1990")
    visit.click(page.get_by_role("button", name="Machtiging geven"))
    expect(page.get_by_role("status")).to_contain_text("De machtiging is gegeven")
    pending = page.get_by_role("region", name=re.compile("Wacht op antwoord"))
    expect(pending).to_contain_text("Lisa Hendriks")
    expect(pending).to_contain_text("RDW – APK-herinnering: berichten lezen")
    visit.shot("mandates")

    lisa_visit = open_tab(browser, server, "lisa_accepts_a_mandate")
    lisa_page = digid(lisa_visit, demo.LISA_BSN)
    expect(lisa_page.get_by_text("Koen de Vries heeft u een machtiging gegeven")).to_be_visible()
    lisa_visit.click(lisa_page.get_by_role("link", name="Namens anderen"))
    lisa_visit.click(lisa_page.get_by_role("button", name="Accepteren: Koen de Vries"))
    expect(lisa_page.get_by_role("status")).to_contain_text("De machtiging is geaccepteerd")
    lisa_visit.click(lisa_page.get_by_role("link", name="Overzicht"))
    lisa_visit.click(lisa_page.get_by_role("button", name="Wisselen naar Koen de Vries"))
    expect(lisa_page.get_by_role("row", name=re.compile("APK-gekeurd"))).to_contain_text("RDW")

    visit.goto("/portal/mandates")
    visit.click(page.get_by_role("button", name="Intrekken: Lisa Hendriks"))
    expect(page.get_by_role("status")).to_contain_text("De machtiging is ingetrokken")
    expect(page.get_by_role("region", name=re.compile("Ingetrokken"))).to_contain_text(
        "Lisa Hendriks"
    )

    lisa_visit.goto("/portal/inbox")
    expect(lisa_page.get_by_role("heading", level=1)).to_have_text(
        "U handelt niet meer namens Koen de Vries"
    )
    expect(lisa_page.get_by_role("alert")).to_contain_text(
        "Koen de Vries heeft de machtiging ingetrokken."
    )
    expect(lisa_page.get_by_role("region", name=re.compile("U handelt namens"))).to_have_count(0)
    expect(lisa_page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()
    lisa_visit.shot("acting-ended")
    close_tab(lisa_visit)

    visit.click(page.get_by_role("link", name="Wat is er gebeurd?"))
    expect(
        page.get_by_text(re.compile("aanvaardde Lisa Hendriks de machtiging die u gaf"))
    ).to_be_visible()
    expect(
        page.get_by_text(
            re.compile(
                "stopte Lisa Hendriks met handelen namens u: u had de machtiging ingetrokken"
            )
        )
    ).to_be_visible()
    expect(page.get_by_text(re.compile("de machtiging van Lisa Hendriks van Lisa"))).to_have_count(
        0
    )
    visit.shot("koen-activity")


def test_piet_filters_and_sorts_his_caseload(visit):
    page = login(visit, "Inloggen met eHerkenning (voor kantoren)")
    expect(page.get_by_role("heading", name="10 cliënten")).to_be_visible()
    rows = page.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(11)
    first_deadline = rows.nth(1).get_by_role("rowheader")
    expect(first_deadline).to_have_text("Anna Bakker")  # the earliest deadline first
    visit.click(page.get_by_role("link", name="Cliënt", exact=True))
    expect(page.get_by_role("columnheader", name=re.compile("^Cliënt"))).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(rows.nth(1).get_by_role("rowheader")).to_have_text("Anna Bakker")
    expect(rows.nth(10).get_by_role("rowheader")).to_have_text("Jan Vos")
    page.get_by_label("Zoek op naam").fill("de")
    visit.click(page.get_by_role("button", name="Toon"))
    expect(page.get_by_role("rowheader")).to_have_text(
        ["Els de Boer", "Hanneke de Groot", "Gerrit Mulder"]
    )
    page.get_by_label("Zoek op naam").fill("BAKKER")
    visit.click(page.get_by_role("button", name="Toon"))
    expect(page.get_by_role("heading", name="1 cliënt", exact=True)).to_be_visible()
    page.get_by_label("Zoek op naam").fill("")
    page.get_by_label("Uiterste datum binnen").select_option("14")
    visit.click(page.get_by_role("button", name="Toon"))
    expect(page.get_by_role("heading", name=re.compile(r"^\d cliënten$"))).to_be_visible()
    visit.shot("caseload-filtered")


def test_the_office_administrator_assigns_clients_to_sara(visit, browser, server):
    page = login(visit, "Inloggen met eHerkenning (voor kantoren)")
    visit.click(page.get_by_role("link", name="Kantoor"))
    # The demo office already divides: Eva handles three clients, Sara none yet.
    expect(page.get_by_text("Uw kantoor verdeelt de cliënten:")).to_be_visible()
    visit.click(page.get_by_role("button", name="Toewijzen"))
    expect(page.get_by_role("alert")).to_contain_text("Kies een medewerker en een cliënt")
    for client in ("Bram Visser", "Cor Smit"):
        page.get_by_label("Medewerker").select_option(label="Sara de Wit")
        page.get_by_label("Cliënt", exact=True).select_option(label=client)
        visit.click(page.get_by_role("button", name="Toewijzen"))
        expect(page.get_by_role("status")).to_contain_text("De cliënt is toegewezen")
    expect(page.get_by_text("Uw kantoor verdeelt de cliënten:")).to_be_visible()
    visit.shot("office")

    sara = open_tab(browser, server, "sara_sees_her_clients")
    sara_page = login(
        sara,
        "Inloggen met eHerkenning (voor kantoren)",
        employee_id=demo.SARA_EMPLOYEE_ID,
        name="Sara de Wit",
    )
    expect(sara_page.get_by_role("heading", name="2 cliënten")).to_be_visible()
    expect(sara_page.get_by_role("rowheader")).to_have_text(["Bram Visser", "Cor Smit"])
    expect(sara_page.get_by_role("link", name="Kantoor")).to_have_count(0)
    close_tab(sara)

    visit.click(page.get_by_role("button", name="Opheffen: Bram Visser – Sara de Wit"))
    visit.click(page.get_by_role("button", name="Opheffen: Cor Smit – Sara de Wit"))
    expect(page.get_by_role("button", name="Opheffen: Bram Visser – Sara de Wit")).to_have_count(0)
    expect(page.get_by_text("Uw kantoor verdeelt de cliënten:")).to_be_visible()


def test_piets_office_asks_koen_for_a_mandate_and_koen_approves(visit, browser, server):
    page = login(visit, "Inloggen met eHerkenning (voor kantoren)")
    visit.click(page.get_by_role("link", name="Namens anderen"))
    visit.click(page.get_by_role("link", name="Om een machtiging vragen"))
    page.get_by_label("Burgerservicenummer (BSN)").fill(demo.KOEN_BSN)
    page.get_by_label("Geboortedatum").fill("12-04-1968")
    page.get_by_label("RDW – APK-herinnering: berichten lezen").check()
    page.get_by_label("Tot en met").fill("01-01-2020")
    visit.click(page.get_by_role("button", name="Verzoek versturen"))
    expect(page.get_by_role("alert")).to_contain_text("De einddatum ligt vóór de begindatum")
    expect(page.get_by_label("RDW – APK-herinnering: berichten lezen")).to_be_checked()
    page.get_by_label("Tot en met").fill("31-12-2099")
    visit.click(page.get_by_role("button", name="Verzoek versturen"))
    expect(page.get_by_role("status")).to_contain_text("Uw verzoek is verstuurd")
    expect(page.get_by_role("region", name=re.compile("Wacht op antwoord"))).to_contain_text(
        "Koen de Vries"
    )
    visit.shot("office-request")
    assert demo.KOEN_BSN not in page.url

    koen = open_tab(browser, server, "koen_approves_the_office")
    koen_page = digid(koen, demo.KOEN_BSN)
    expect(koen_page.get_by_text("Bewindvoering Van Dijk vraagt om een machtiging")).to_be_visible()
    koen.click(koen_page.get_by_role("link", name="Wie mag namens mij handelen"))
    koen.click(koen_page.get_by_role("button", name="Accepteren: Bewindvoering Van Dijk"))
    expect(koen_page.get_by_role("status")).to_contain_text("De machtiging is geaccepteerd")
    expect(koen_page.get_by_role("region", name=re.compile("^Actief"))).to_contain_text(
        "Bewindvoering Van Dijk"
    )
    close_tab(koen)

    visit.click(page.get_by_role("link", name="Cliënten"))
    row = page.get_by_role("row", name=re.compile("Koen de Vries"))
    expect(row).to_contain_text("Machtiging")
    expect(row).to_contain_text("31 december 2099")
