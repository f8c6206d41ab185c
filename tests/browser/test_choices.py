"""Issue 18's choices in a real browser: Sara gives her address for notifications about the
office's clients (rule 12); Christina, in English, lets her pension fund see whether she read
its post and withdraws it again (rule 8)."""

import re

from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from machtigen import demo
from machtigen.consents.models import Consent
from machtigen.identity.models import OfficeStaff, Person
from tests.browser.stories import login


def staff_email(server, employee_id):
    with Session(server.engine) as db:
        return db.scalars(
            select(OfficeStaff.email).where(OfficeStaff.employee_id == employee_id)
        ).one()


def shares_read_state(server, bsn):
    with Session(server.engine) as db:
        person = db.scalars(select(Person).where(Person.bsn == bsn)).one()
        return db.scalars(
            select(Consent.share_read_state).where(Consent.person_id == person.id)
        ).all()


def test_sara_gives_her_address_for_notifications(visit, server):
    page = login(
        visit,
        "Inloggen met eHerkenning (voor kantoren)",
        employee_id=demo.SARA_EMPLOYEE_ID,
        name="Sara de Wit",
    )
    prompt = page.get_by_role("heading", name="Geef een e-mailadres op voor meldingen")
    expect(prompt).to_be_visible()
    visit.shot("caseload-asks-for-email")
    visit.click(page.get_by_role("link", name="E-mailadres opgeven"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Uw e-mailadres voor meldingen")
    expect(page.get_by_role("link", name="Mijn e-mailadres")).to_have_attribute(
        "aria-current", "page"
    )
    email = page.get_by_label("E-mailadres", exact=True)
    email.fill("sara@")
    visit.click(page.get_by_role("button", name="E-mailadres opslaan"))
    expect(page.get_by_role("alert")).to_contain_text("Vul een e-mailadres in zoals")
    expect(email).to_have_value("sara@")
    assert staff_email(server, demo.SARA_EMPLOYEE_ID) is None
    visit.shot("staff-email-error")

    email.fill("sara@bewindvoering-vandijk.example")
    visit.click(page.get_by_role("button", name="E-mailadres opslaan"))
    expect(page.get_by_role("status")).to_contain_text("Uw e-mailadres is opgeslagen")
    assert staff_email(server, demo.SARA_EMPLOYEE_ID) == "sara@bewindvoering-vandijk.example"
    visit.shot("staff-email")
    visit.click(page.get_by_role("link", name="Cliënten"))
    expect(prompt).to_have_count(0)


def test_christina_lets_her_pension_fund_see_whether_she_read_its_post(visit, server):
    page = login(visit, "Log in with a European eID (eIDAS)")
    visit.click(page.get_by_role("link", name="Go to my mailbox"))
    visit.click(page.get_by_role("link", name="Settings"))
    expect(
        page.get_by_role("heading", name="May organisations see whether you read their message?")
    ).to_be_visible()
    visit.click(page.get_by_role("link", name="Choose per organisation"))
    expect(
        page.get_by_text(re.compile("the postman does not look in your letterbox"))
    ).to_be_visible()
    card = page.get_by_role("listitem").filter(has_text="Pensioenfonds ABP")
    expect(card).to_contain_text("Does not see whether you read the message.")
    visit.shot("read-state")
    visit.click(page.get_by_role("button", name="Allow for Pensioenfonds ABP"))
    expect(page.get_by_role("status")).to_contain_text("may now see whether you read")
    expect(card).to_contain_text("May see whether you read the message.")
    assert True in shares_read_state(server, demo.CHRISTINA_BSN)
    visit.shot("read-state-allowed")
    visit.click(page.get_by_role("button", name="Withdraw for Pensioenfonds ABP"))
    expect(page.get_by_role("status")).to_contain_text("no longer sees")
    assert True not in shares_read_state(server, demo.CHRISTINA_BSN)
