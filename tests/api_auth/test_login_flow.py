"""The whole login through the development broker, over HTTP: sessions, CSRF, time-outs, acting for."""

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select

from machtigen.accounts.models import Account, AccountState
from machtigen.audit.models import AuditEvent
from machtigen.mandates.models import MeasureKind
from tests import factories as f


def committed(db, build):
    value = build(db)
    db.commit()
    return value


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def hidden_fields(html: str) -> dict[str, str]:
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    return {name: unescape(value) for name, value in found}


def through_broker(client, means, action="login", **fields):
    """From /auth/{means}/start through the development broker's page: its redirect back."""
    start = client.get(f"/auth/{means}/start")
    assert start.status_code == 303, start.text
    page = client.get(start.headers["location"])
    assert page.status_code == 200, page.text
    back = client.post(
        "/dev-broker/authorize", data={**hidden_fields(page.text), "action": action, **fields}
    )
    assert back.status_code == 303, back.text
    return back.headers["location"]


def login(client, means, **fields):
    """The whole authorization code flow through the development broker; the callback's answer."""
    return client.get(through_broker(client, means, **fields))


def events(db, action):
    """The audit events of one kind, as plain values; the read transaction ends at once."""
    db.expire_all()
    rows = db.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
    found = [
        {"subject": e.subject_person_id, "actor_kind": e.actor_kind, "means": e.means} for e in rows
    ]
    db.rollback()
    return found


def test_digid_login_opens_a_session_and_never_activates(client, db):
    person = committed(db, lambda s: f.person(s, state=AccountState.CASCO))
    done = login(client, "digid", bsn=person.bsn, acr="midden")
    assert (done.status_code, done.headers["location"]) == (303, "/portal")
    home = client.get("/portal")
    assert home.status_code == 200 and person.given_name in home.text
    db.expire_all()
    assert db.get(Account, person.id).state == AccountState.CASCO
    db.rollback()
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    assert person.bsn not in done.headers.get("location", "")


def test_unknown_bsn_gets_a_readable_refusal(client, db):
    refused = login(client, "digid", bsn=f.make_bsn(987654), acr="midden")
    assert refused.status_code == 403
    assert "geen Berichtenbox" in refused.text
    assert events(db, "login.failed")


def test_logout_needs_the_csrf_token(client, db):
    person = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=person.bsn, acr="substantieel")
    home = client.get("/portal")
    assert client.post("/auth/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/portal").status_code == 200
    out = client.post("/auth/logout", data={"csrf_token": hidden(home.text, "csrf_token")})
    assert out.status_code == 303
    assert out.headers["location"].startswith("http://testserver/dev-broker/logout?")
    assert (
        "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Fauth%2Flogged-out"
        in (out.headers["location"])
    )
    assert "id_token_hint=" in out.headers["location"]
    assert client.get("/portal").headers["location"] == "/auth/login"
    back = client.get(out.headers["location"])
    assert back.headers["location"] == "http://testserver/auth/logged-out"
    assert "U bent uitgelogd" in client.get(back.headers["location"]).text
    assert events(db, "logout")


def test_idle_and_absolute_time_outs(client, db, clock):
    person = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=person.bsn, acr="midden")
    clock.advance(timedelta(minutes=14))
    assert client.get("/portal").status_code == 200
    clock.advance(timedelta(minutes=15))
    assert client.get("/portal").status_code == 303
    login(client, "digid", bsn=person.bsn, acr="midden")
    for _ in range(8 * 6 - 1):
        clock.advance(timedelta(minutes=10))
        assert client.get("/portal").status_code == 200
    clock.advance(timedelta(minutes=10))
    assert client.get("/portal").status_code == 303


def test_eherkenning_staff_acts_for_a_client_and_is_audited(client, db):
    def world(s):
        office = f.office(s)
        client_person = f.person(s)
        f.measure(s, client_person, MeasureKind.BESCHERMINGSBEWIND, office=office)
        return office, client_person, f.person(s)

    office, client_person, stranger = committed(db, world)
    login(client, "eherkenning", kvk=office.kvk_number, employee_id="emp-x", name="Piet", acr="EH3")
    home = client.get("/portal")
    assert client_person.given_name in home.text
    csrf = hidden(home.text, "csrf_token")
    switched = client.post(
        "/auth/acting-for", data={"csrf_token": csrf, "person_id": str(client_person.id)}
    )
    assert switched.status_code == 303
    banner = client.get("/portal").text
    assert f"namens {client_person.given_name}" in banner
    refused = client.post(
        "/auth/acting-for", data={"csrf_token": csrf, "person_id": str(stranger.id)}
    )
    assert refused.status_code == 403
    switch_events = [
        e for e in events(db, "session.acting_for") if e["subject"] == client_person.id
    ]
    assert switch_events and switch_events[-1]["actor_kind"] == "staff"
    assert switch_events[-1]["means"] == "eherkenning"


def test_eidas_user_gets_english_and_an_explanation_when_not_matched(client):
    done = login(
        client,
        "eidas",
        person_identifier="DE/NL/404",
        given_name="Nobody",
        family_name="Known",
        birthdate="1960-01-01",
        acr="http://eidas.europa.eu/LoA/substantial",
    )
    assert done.headers["location"] == "/auth/eidas/result"
    page = client.get("/auth/eidas/result")
    assert page.status_code == 200
    assert 'lang="en"' in page.text and "could not link your eID" in page.text


def test_acting_for_with_a_weak_login_asks_to_step_up_and_is_audited(client, db):
    def world(s):
        curator, ward = f.person(s), f.person(s)
        f.measure(s, ward, MeasureKind.CURATELE, person=curator)
        return curator, ward

    curator, ward = committed(db, world)
    login(client, "digid", bsn=curator.bsn, acr="basis")
    home = client.get("/portal")
    page = client.post(
        "/auth/acting-for",
        data={"csrf_token": hidden(home.text, "csrf_token"), "person_id": str(ward.id)},
    )
    assert page.status_code == 403
    assert "midden" in page.text and "/auth/digid/start" in page.text
    assert any(e["subject"] == curator.id for e in events(db, "login.step_up_required"))
    assert f"namens {ward.given_name}" not in client.get("/portal").text


def test_a_representative_gets_an_api_token_with_the_act_claim(client, db, clock):
    import jwt as pyjwt

    from machtigen.identity import acting_tokens

    def world(s):
        office = f.office(s)
        ward = f.person(s)
        f.measure(s, ward, MeasureKind.BESCHERMINGSBEWIND, office=office)
        return office, ward

    office, ward = committed(db, world)
    login(
        client,
        "eherkenning",
        kvk=office.kvk_number,
        employee_id="emp-token",
        name="Piet",
        acr="EH3",
    )
    csrf = hidden(client.get("/portal").text, "csrf_token")
    assert client.post("/auth/api-token", data={"csrf_token": csrf}).status_code == 409
    client.post("/auth/acting-for", data={"csrf_token": csrf, "person_id": str(ward.id)})
    answer = client.post("/auth/api-token", data={"csrf_token": csrf})
    assert answer.status_code == 200
    token = answer.json()["access_token"]
    claims = pyjwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == f"person:{ward.id}"
    assert claims["act"]["sub"].startswith("staff:") and claims["act"]["office"] == str(office.id)
    config = client.app.state.token_config
    identity = acting_tokens.read(config, token, clock.now())
    assert identity.represented_person_id == ward.id
    assert identity.actor.office_id == office.id
    with pytest.raises(acting_tokens.InvalidToken):
        acting_tokens.read(config, token[:-4] + "AAAA", clock.now())
