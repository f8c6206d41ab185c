"""The grant form as a page: step-up first, dates as text, services grouped per organisation."""

import re

from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.mandates.models import Mandate, MandateScope
from tests import factories as f
from tests.api_auth.test_login_flow import committed, hidden, login


def world(db):
    def build(s):
        koen, lisa = f.person(s, name="Koen"), f.person(s, name="Lisa")
        town = f.afnemer(s, name="Gemeente Utrecht")
        services = [
            f.service(s, town, ServiceCategory.FINANCIAL),
            f.service(s, town, ServiceCategory.PERSONAL_CARE),
        ]
        rdw = f.afnemer(s, name="RDW")
        f.service(s, rdw, ServiceCategory.OTHER)
        return koen, lisa, town, services

    return committed(db, build)


def test_the_step_up_page_comes_before_a_form_that_could_not_be_sent(client, db):
    koen, _lisa, _town, _services = world(db)
    login(client, "digid", bsn=koen.bsn, acr="midden")
    page = client.get("/portal/mandates/new")
    assert page.status_code == 403
    assert "Hiervoor is een hoger inlogniveau nodig" in page.text
    assert 'name="bsn"' not in page.text
    login(client, "digid", bsn=koen.bsn, acr="basis")
    for path in ("/portal/settings", "/portal/activate", "/portal/deactivate"):
        assert client.get(path).status_code == 403, path
    home = client.get("/portal")
    assert home.status_code == 200 and 'action="/portal/settings/email"' not in home.text


def test_dates_are_text_fields_and_services_are_grouped_per_organisation(client, db):
    koen, lisa, town, services = world(db)
    login(client, "digid", bsn=koen.bsn, acr="substantieel")
    html = client.get("/portal/mandates/new").text
    assert 'type="date"' not in html
    for name in ("birth_date", "valid_from", "valid_until"):
        field = re.search(rf'<input[^>]*id="{name}"[^>]*>', html).group(0)
        assert 'type="text"' in field and 'inputmode="numeric"' in field
    assert re.search(r'id="valid_from"[^>]*value="23-11-2026"', html)
    assert 'Dag-maand-jaar, bijvoorbeeld <span class="portal-nowrap">21-03-1955</span>.' in html
    legends = re.findall(r"<legend[^>]*>([^<]*)</legend>", html)
    assert "Gemeente Utrecht" in legends and "RDW" in legends
    assert legends.count("Alle diensten van deze organisatie") == legends.count(
        "Gemeente Utrecht"
    ), "only for an organisation with more than one service (RDW has one)"

    form = {
        "csrf_token": hidden(html, "csrf_token"),
        "party": "person",
        "bsn": lisa.bsn,
        "birth_date": lisa.date_of_birth.strftime("%d-%m-%Y"),
        "scope": f"all:{town.id}:read",
        "valid_from": "23-11-2026",
        "valid_until": "31-12-2027",
    }
    assert client.post("/portal/mandates/new", data=form).status_code == 303
    mandate = db.scalars(select(Mandate).where(Mandate.represented_person_id == koen.id)).one()
    scoped = set(
        db.scalars(select(MandateScope.service_id).where(MandateScope.mandate_id == mandate.id))
    )
    db.rollback()
    assert scoped == {service.id for service in services}
