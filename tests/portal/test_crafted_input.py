"""Issue 12 §1 in the portal: crafted input gets a 4xx page that names the field, never a 500,
and changes nothing. The instances from the attack run, then every field of every page."""

import pytest

from api.portal import ROUTERS
from machtigen.i18n import texts
from machtigen.mandates.models import MeasureKind
from tests import factories as f
from tests.api_auth.test_login_flow import committed, hidden, login

LABELS = {k.removeprefix("field_"): v for k, v in texts("nl").items() if k.startswith("field_")}


def assert_names(response, *fields, status=422):
    assert response.status_code == status, response.text[:2000]
    assert "text/html" in response.headers["content-type"]
    for name in fields:
        assert f'<li class="utrecht-unordered-list__item">{LABELS[name]}</li>' in response.text


@pytest.fixture
def citizen(client, db):
    person = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=person.bsn, acr="substantieel")
    return person


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("q=a%00b", "q"),
        ("p=99999999999999999999999", "p"),
        ("p=0", "p"),
        ("q=" + "x" * 101, "q"),
        ("folder=a%00b", "folder"),
        ("view=everything", "view"),
    ],
)
def test_the_inbox_refuses_crafted_queries(client, citizen, query, field):
    assert_names(client.get(f"/portal/inbox?{query}"), field)


def test_a_folder_name_with_nul_is_refused_and_nothing_is_stored(client, citizen, snapshot):
    csrf = hidden(client.get("/portal/inbox").text, "csrf_token")
    before = snapshot()
    response = client.post("/portal/folders", data={"csrf_token": csrf, "name": "Belas\x00ting"})
    assert_names(response, "name")
    assert snapshot() == before


def test_the_caseload_search_refuses_a_nul(client, db):
    def build(s):
        office = f.office(s)
        f.measure(s, f.person(s), MeasureKind.BESCHERMINGSBEWIND, office=office)
        return office

    office = committed(db, build)
    login(client, "eherkenning", kvk=office.kvk_number, employee_id="emp-q", name="Q", acr="EH3")
    assert client.get("/portal/clients?q=bakker").status_code == 200
    assert_names(client.get("/portal/clients?q=bak%00ker"), "q")
    assert_names(client.get("/portal?q=bak%00ker"), "q")


def form_routes():
    for router in ROUTERS:
        for route in router.routes:
            if "POST" in route.methods:
                yield route


def fill_path(path, message_id):
    return (
        path.replace("{message_id}", str(message_id))
        .replace("{mandate_id}", "00000000-0000-0000-0000-000000000000")
        .replace("{decision}", "revoke")
        .replace("{change}", "assign")
    )


@pytest.mark.parametrize(
    "route", list(form_routes()), ids=lambda r: r.path.removeprefix("/portal/")
)
def test_a_nul_in_any_field_of_any_form_is_a_4xx_that_changes_nothing(
    client, db, citizen, snapshot, route
):
    from machtigen.afnemers.models import ServiceCategory

    message = committed(
        db, lambda s: f.message(s, citizen, f.service(s, f.afnemer(s), ServiceCategory.OTHER))
    )
    csrf = hidden(client.get("/portal/settings").text, "csrf_token")
    fields = [p.name for p in route.dependant.body_params if p.name != "csrf_token"]
    fields = fields or ["csrf_token"]  # a one-button form: its only field is the CSRF token
    for name in fields:
        before = snapshot()
        response = client.post(
            fill_path(route.path, message.id), data={"csrf_token": csrf, name: "ye\x00s"}
        )
        assert 400 <= response.status_code < 500, (name, response.status_code)
        assert snapshot() == before, name


def test_a_field_sent_twice_is_not_our_form(client, db, citizen, snapshot):
    csrf = hidden(client.get("/portal/settings").text, "csrf_token")
    before = snapshot()
    twice = client.post(
        "/portal/settings/paper", data={"csrf_token": csrf, "paper_only": ["no", "yes"]}
    )
    assert_names(twice, "paper_only")
    assert snapshot() == before
    once = client.post("/portal/settings/paper", data={"csrf_token": csrf, "paper_only": "yes"})
    assert once.status_code == 303
