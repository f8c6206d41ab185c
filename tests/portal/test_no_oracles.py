"""Issue 12 §2: in the portal, something that exists but is not yours answers exactly like
something that does not exist: same status, same headers that matter, same page (with the
asked id itself, which the page may echo in a link, taken out).

Every route with an id, in its path or in a field, is in ``ID_PARAMETERS``; a new one that is
not fails ``test_every_id_a_page_takes_is_covered``.
"""

import re
from uuid import uuid4

import pytest
from fastapi.routing import APIRoute

from api.portal import ROUTERS
from machtigen.afnemers.models import ServiceCategory
from machtigen.mandates.models import MandateAction, MeasureKind
from tests import factories as f
from tests.api_auth.test_login_flow import committed, hidden, login

# (method, path, parameter) → what kind of object the id names
ID_PARAMETERS = {
    ("GET", "/portal/messages/{message_id}", "message_id"): "message",
    ("POST", "/portal/messages/{message_id}/folder", "message_id"): "message",
    ("POST", "/portal/messages/{message_id}/folder", "folder_id"): "folder",
    ("POST", "/portal/messages/{message_id}/archive", "message_id"): "message",
    ("POST", "/portal/mandates/{mandate_id}/{decision}", "mandate_id"): "mandate",
    ("POST", "/portal/mandates/{mandate_id}/grant-again", "mandate_id"): "mandate",
    ("GET", "/portal/inbox", "folder"): "folder",
    ("POST", "/portal/office/{change}", "staff_id"): "staff",
    ("POST", "/portal/office/{change}", "person_id"): "client",
}
NOT_IDS = {
    "change",  # assign / unassign
    "decision",  # accept / decline / revoke
    "covers",  # afnemers: a public catalogue
    "asked",
    "afnemer",
    "csrf_token",
}
HEADERS_THAT_MATTER = (
    "content-type",
    "content-length",
    "cache-control",
    "content-security-policy",
    "location",
    "set-cookie",
)


def id_like(name: str) -> bool:
    return name.endswith("id") or name in ("folder", "covers", "asked", "afnemer")


def parameters(dependant):
    """Every parameter a route reads, its dependencies' included."""
    for field in dependant.path_params + dependant.query_params + dependant.body_params:
        yield field.name
    for sub in dependant.dependencies:
        yield from parameters(sub)


def portal_routes():
    for router in ROUTERS:
        for route in router.routes:
            if isinstance(route, APIRoute):
                yield route


def test_every_id_a_page_takes_is_covered():
    found = set()
    for route in portal_routes():
        names = set(parameters(route.dependant))
        for method in route.methods:
            for name in names:
                if name in NOT_IDS or not (id_like(name) or "{" + name + "}" in route.path):
                    continue
                found.add((method, route.path, name))
    assert found == set(ID_PARAMETERS)


@pytest.fixture
def world(db):
    def build(s):
        viewer, other, third = f.person(s), f.person(s), f.person(s)
        tax = f.afnemer(s, name="Belastingdienst", legally_required=True)
        service = f.service(s, tax, ServiceCategory.FINANCIAL)
        own_office, other_office = f.office(s), f.office(s)
        admin = f.staff(s, own_office, is_admin=True)
        colleague = f.staff(s, own_office)
        client = f.person(s)
        f.measure(s, client, MeasureKind.BESCHERMINGSBEWIND, office=own_office)
        foreign_client = f.person(s)
        f.measure(s, foreign_client, MeasureKind.BESCHERMINGSBEWIND, office=other_office)
        own_message = f.message(s, viewer, service)
        foreign_message = f.message(s, other, service)
        from machtigen.accounts.models import Folder

        foreign_folder = Folder(person_id=other.id, name="Belasting", created_at=f.T0)
        s.add(foreign_folder)
        s.flush()
        foreign_mandate = f.mandate(s, other, person=third, scope=[(service, MandateAction.READ)])
        return {
            "viewer": viewer,
            "own_office": own_office,
            "admin": admin,
            "colleague": colleague,
            "client": client,
            "own_message": own_message.id,
            "message": foreign_message.id,
            "folder": foreign_folder.id,
            "mandate": foreign_mandate.id,
            "staff": f.staff(s, other_office).id,
            "foreign_client": foreign_client.id,
        }

    return committed(db, build)


def request_for(world, method, path, parameter, value):
    """The request with ``value`` in the id parameter, the other fields as the page sends."""
    path = path.replace("{decision}", "accept").replace("{change}", "assign")
    fields: dict[str, str] = {}
    if parameter == "message_id":
        path = path.replace("{message_id}", value)
    elif parameter == "mandate_id":
        path = path.replace("{mandate_id}", value)
    else:
        path = path.replace("{message_id}", str(world["own_message"]))
        fields[parameter] = value
    if parameter == "staff_id":
        fields["person_id"] = str(world["client"].id)
    if parameter == "person_id":
        fields["staff_id"] = str(world["colleague"].id)
    return method, path, fields


def log_in_as_the_one_asking(client, world, parameter):
    if parameter in ("staff_id", "person_id"):
        office = world["own_office"]
        login(
            client,
            "eherkenning",
            kvk=office.kvk_number,
            employee_id=world["admin"].employee_id,
            name=world["admin"].name,
            acr="EH3",
        )
    else:
        login(client, "digid", bsn=world["viewer"].bsn, acr="substantieel")


def ask(client, method, path, fields, csrf):
    if method == "GET":
        return client.get(path, params=fields)
    return client.post(path, data={**fields, "csrf_token": csrf})


def comparable(response, asked_id):
    body = response.text.replace(asked_id, "{id}")
    body = re.sub(r'name="csrf_token" value="[^"]*"', "", body)
    headers = {
        name: response.headers.get(name, "").replace(asked_id, "{id}")
        for name in HEADERS_THAT_MATTER
        if name != "content-length"
    }
    return response.status_code, headers, body


@pytest.mark.parametrize(("method", "path", "parameter"), sorted(ID_PARAMETERS))
def test_not_yours_answers_exactly_like_does_not_exist(client, world, method, path, parameter):
    kind = ID_PARAMETERS[(method, path, parameter)]
    existing = str(world["foreign_client" if kind == "client" else kind])
    log_in_as_the_one_asking(client, world, parameter)
    csrf = hidden(client.get("/portal").text, "csrf_token")
    answers = []
    for value in (existing, str(uuid4())):
        m, p, fields = request_for(world, method, path, parameter, value)
        response = ask(client, m, p, fields, csrf)
        assert response.status_code < 500, response.text
        answers.append(comparable(response, value))
    assert answers[0] == answers[1]
    status = answers[0][0]
    assert status in (404, 422) or (status == 200 and parameter == "folder")
