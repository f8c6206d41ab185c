"""Issue 12 §3: arbitrary values posted to every portal form; whatever is refused (4xx) changed
nothing, and a form with a value the page never sends in a field that is a choice (an id, a
flag, a scope) changes nothing whatever it answers: it is never read as "untick" or "off".
Generated with hypothesis: each field absent, or one or more values drawn from what the page
itself would send mixed with garbage (injection strings, NUL, random ids, long text).

The forms are found from the portal's routers, so a new form is fuzzed without being listed.
"""

from datetime import timedelta
from uuid import uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.portal import ROUTERS
from api.portal.forms import form_fields
from machtigen.accounts.models import Folder
from machtigen.afnemers.models import ServiceCategory
from machtigen.mandates.models import Initiator, MandateAction, MandateStatus, MeasureKind
from tests import factories as f
from tests.api_auth.test_login_flow import committed, hidden, login
from tests.portal.conftest import database_snapshot

FORMS = sorted(
    (route.path, tuple(sorted({p.name for p in form_fields(route.dependant)})))
    for router in ROUTERS
    for route in router.routes
    if "POST" in route.methods
)
TYPED_BY_A_PERSON = frozenset(
    {"name", "email", "bsn", "birth_date", "kvk", "valid_from", "valid_until"}
)
"""Free text: any value is a value to judge, and the domain's refusal is a 422 of its own."""
GARBAGE = st.one_of(
    st.sampled_from(["' OR 1=1--", "not-a-uuid", "", " ", "\x00", "yes\x00", "9" * 30, "-1"]),
    st.uuids().map(str),
    st.text(max_size=40),
    st.text(min_size=90, max_size=600),
)


@pytest.fixture
def world(db, clock):
    def build(s):
        me, other, lisa = f.person(s), f.person(s), f.person(s)
        tax = f.afnemer(s, name="Belastingdienst", legally_required=True)
        town = f.afnemer(s, name="Gemeente")
        rdw = f.afnemer(s, name="RDW")
        rdw.joined_at = f.T0 - timedelta(days=3)
        services = [f.service(s, a, ServiceCategory.FINANCIAL) for a in (tax, town, rdw)]
        message = f.message(s, me, services[0])
        folder = Folder(person_id=me.id, name="Belasting", created_at=f.T0)
        s.add(folder)
        granted = f.mandate(s, me, person=lisa, scope=[(services[1], MandateAction.READ)])
        asked = f.mandate(
            s,
            me,
            person=other,
            scope=[(services[0], MandateAction.READ)],
            status=MandateStatus.REQUESTED,
            initiated_by=Initiator.REPRESENTATIVE,
        )
        office = f.office(s)
        f.measure(s, f.person(s), MeasureKind.BESCHERMINGSBEWIND, office=office)
        s.flush()
        return {
            "me": me,
            "lisa": lisa,
            "afnemers": [str(a.id) for a in (tax, town, rdw)],
            "services": [str(x.id) for x in services],
            "message": str(message.id),
            "folder": str(folder.id),
            "mandates": [str(granted.id), str(asked.id)],
            "office": office,
        }

    return committed(db, build)


def plausible(world, name):
    """What the page itself could send in this field."""
    lisa = world["lisa"]
    return {
        "afnemer": world["afnemers"],
        "covers": world["afnemers"],
        "asked": world["afnemers"],
        "paper_only": ["yes", "no"],
        "repeat": ["yes", "no"],
        "confirm": ["yes"],
        "remove": ["yes"],
        "archived": ["1", "0"],
        "back": ["home", "settings", "mandates", "representing"],
        "party": ["person", "office"],
        "bsn": [lisa.bsn],
        "birth_date": [lisa.date_of_birth.isoformat()],
        "kvk": [world["office"].kvk_number],
        "scope": [f"{service}:read" for service in world["services"]],
        "personal_data": ["yes"],
        "valid_from": ["2026-12-01"],
        "valid_until": ["2027-12-31", "31-12-2027"],
        "folder_id": [world["folder"]],
        "name": ["Belasting", "Zorg"],
        "email": ["koen@example.org"],
        "staff_id": [str(uuid4())],
        "person_id": [str(lisa.id)],
    }.get(name, [""])


@st.composite
def form_posts(draw, world, csrf):
    path, fields = draw(st.sampled_from(FORMS))
    path = (
        path.replace("{message_id}", draw(st.sampled_from([world["message"], str(uuid4()), "x"])))
        .replace("{mandate_id}", draw(st.sampled_from([*world["mandates"], str(uuid4())])))
        .replace("{decision}", draw(st.sampled_from(["accept", "decline", "revoke", "delete"])))
        .replace("{change}", draw(st.sampled_from(["assign", "unassign", "x"])))
    )
    data: dict[str, list[str]] = {}
    garbled = False
    for name in fields:
        if name == "csrf_token":
            data[name] = [draw(st.sampled_from([csrf, csrf, csrf, "forged"]))]
            continue
        choices = plausible(world, name)
        one = st.one_of(st.sampled_from(choices), GARBAGE)
        values = draw(st.none() | st.lists(one, min_size=1, max_size=3))
        if values is not None:
            data[name] = values
            if name not in TYPED_BY_A_PERSON:
                garbled |= any(v not in choices and v != "" for v in values)
    return path, data, garbled


def test_a_refused_form_changes_nothing(client, db, world):
    login(client, "digid", bsn=world["me"].bsn, acr="substantieel")
    csrf = hidden(client.get("/portal/settings").text, "csrf_token")
    outcomes: dict[int, int] = {}

    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(post=form_posts(world, csrf))
    def one_post(post):
        path, data, garbled = post
        before = database_snapshot(db)
        response = client.post(path, data=data)
        outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        assert response.status_code < 500, (path, data, response.text[:500])
        if garbled or 400 <= response.status_code < 500:
            assert database_snapshot(db) == before, (path, data, response.status_code)

    one_post()
    assert any(400 <= status < 500 for status in outcomes), outcomes
    assert outcomes.get(303), outcomes
