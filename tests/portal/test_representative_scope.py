"""A representative sees their scope wherever they act, and settings worded for them (§5)."""

import re
import uuid

from machtigen.afnemers.models import ServiceCategory
from machtigen.mandates.models import MandateAction, MeasureKind
from tests import factories as f
from tests.api_auth.test_login_flow import committed, login
from tests.portal.test_activity_page import act_for


def anna_under_bewind(db):
    def build(s):
        anna = f.person(s, name="Anna", family_name="Bakker")
        office = f.office(s)
        f.measure(s, anna, MeasureKind.BESCHERMINGSBEWIND, office=office)
        town = f.afnemer(s, name="Gemeente Utrecht")
        f.service(s, town, ServiceCategory.FINANCIAL)
        wmo = f.service(s, town, ServiceCategory.PERSONAL_CARE)
        wmo.name = "Wmo-ondersteuning"
        water = f.afnemer(s, name="Waterschap")
        f.service(s, water, ServiceCategory.FINANCIAL)
        return anna, office

    return committed(db, build)


def test_the_scope_is_on_every_page_where_he_acts_for_her(client, db):
    anna, office = anna_under_bewind(db)
    login(client, "eherkenning", kvk=office.kvk_number, employee_id="emp-1", name="Piet", acr="EH3")
    act_for(client, anna.id)
    line = "Beschermingsbewind: u ziet en regelt alleen post over geldzaken."
    for path in (
        "/portal",
        "/portal/inbox",
        "/portal/settings",
        f"/portal/messages/{uuid.uuid4()}",
    ):
        page = client.get(path).text
        assert "U handelt namens Anna Bakker" in page, path
        assert line in page, path
        assert "Persoonlijke gegevens ziet u niet." in page, path
    english = client.get("/portal/inbox?lang=en").text
    assert (
        "Protective administration (beschermingsbewind): you only see and handle post about money matters."
        in english
    )


def test_settings_are_worded_for_him_and_read_only_outside_his_scope(client, db):
    anna, office = anna_under_bewind(db)
    login(client, "eherkenning", kvk=office.kvk_number, employee_id="emp-2", name="Piet", acr="EH3")
    act_for(client, anna.id)
    page = client.get("/portal/settings").text
    assert "Van wie krijgt Anna Bakker post digitaal?" in page
    assert "Van wie wilt u post digitaal krijgen?" not in page
    town = re.search(
        r'<input[^>]*id="afnemer-[^"]*"[^>]*>\s*</div>\s*<div[^>]*><label[^>]*>Gemeente Utrecht',
        page,
    )
    assert town and "disabled" in town.group(0)
    assert (
        "Alleen bekijken: de post van Gemeente Utrecht over Wmo-ondersteuning valt buiten uw"
        " vertegenwoordiging." in page
    )
    water = re.search(
        r'<input[^>]*id="afnemer-[^"]*"[^>]*>\s*</div>\s*<div[^>]*><label[^>]*>Waterschap', page
    )
    assert water and "disabled" not in water.group(0)


def test_a_voluntary_representative_sees_the_services_and_actions_granted(client, db):
    def build(s):
        koen, lisa = f.person(s, name="Koen"), f.person(s, name="Lisa")
        rdw = f.afnemer(s, name="RDW")
        apk = f.service(s, rdw, ServiceCategory.OTHER)
        apk.name = "APK-herinnering"
        f.mandate(
            s,
            koen,
            person=lisa,
            scope=[(apk, MandateAction.READ), (apk, MandateAction.MANAGE_FOLDERS)],
        )
        return koen, lisa

    koen, lisa = committed(db, build)
    login(client, "digid", bsn=lisa.bsn, acr="midden")
    act_for(client, koen.id)
    page = client.get("/portal/inbox").text
    assert "Machtiging: RDW – APK-herinnering (berichten lezen, berichten opbergen)." in page
