"""Issue 12 §6: a new login in the same browser ends the replaced session on the server;
several devices keep their own sessions, listed on the settings page with "log out everywhere"."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from machtigen.audit.models import AuditEvent
from machtigen.identity.models import PortalSession
from tests import factories as f
from tests.api_auth.test_login_flow import committed, hidden, login

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def logouts(db, person_id):
    db.expire_all()
    rows = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "logout", AuditEvent.subject_person_id == person_id
        )
    ).all()
    found = [dict(e.detail) for e in rows]
    db.rollback()
    return found


def test_logging_in_again_in_the_same_browser_ends_the_replaced_session(client, db):
    first, second = committed(db, lambda s: (f.person(s), f.person(s)))
    login(client, "digid", bsn=first.bsn, acr="midden")
    replaced = client.cookies.get("machtigen_session")
    login(client, "digid", bsn=second.bsn, acr="midden")
    assert client.cookies.get("machtigen_session") != replaced
    assert second.given_name in client.get("/portal").text
    stale = client.get("/portal", headers={"cookie": f"machtigen_session={replaced}"})
    assert (stale.status_code, stale.headers["location"]) == (303, "/auth/login")
    assert logouts(db, first.id) == [{"reason": "replaced"}]
    db.expire_all()
    ended = db.scalars(select(PortalSession).where(PortalSession.person_id == first.id)).one()
    assert ended.ended_at is not None and ended.id_token_hint is None
    db.rollback()


def test_each_device_keeps_its_session_and_all_end_with_log_out_everywhere(client, db):
    person = committed(db, lambda s: f.person(s))
    laptop = client
    laptop.headers["user-agent"] = FIREFOX_LINUX
    phone = TestClient(
        client.app,
        follow_redirects=False,
        client=("192.0.2.44", 50000),
        headers={"user-agent": SAFARI_IPHONE},
    )
    login(laptop, "digid", bsn=person.bsn, acr="midden")
    login(phone, "digid", bsn=person.bsn, acr="midden")
    assert laptop.get("/portal").status_code == 200
    assert phone.get("/portal").status_code == 200

    page = laptop.get("/portal/settings")
    assert page.status_code == 200
    assert "Waar bent u ingelogd?" in page.text
    assert "Firefox op Linux</span> <strong>(dit apparaat)</strong>" in page.text
    assert "Safari op iPhone</span></td>" in page.text
    assert "192.0.2.44" in page.text

    refused = laptop.post("/auth/logout-everywhere", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert phone.get("/portal").status_code == 200

    out = laptop.post(
        "/auth/logout-everywhere", data={"csrf_token": hidden(page.text, "csrf_token")}
    )
    assert out.status_code == 303
    assert laptop.get("/portal").status_code == 303
    assert phone.get("/portal").status_code == 303
    assert {"reason": "everywhere", "sessions": 2} in logouts(db, person.id)
    done = laptop.get(laptop.get(out.headers["location"]).headers["location"])
    assert "U bent op al uw apparaten uitgelogd" in done.text


def test_a_representative_acting_for_a_client_sees_no_devices_on_the_clients_settings(client, db):
    from machtigen.mandates.models import MeasureKind

    def world(s):
        curator, ward = f.person(s), f.person(s)
        f.measure(s, ward, MeasureKind.CURATELE, person=curator)
        return curator, ward

    curator, ward = committed(db, world)
    login(client, "digid", bsn=curator.bsn, acr="substantieel")
    assert "Waar bent u ingelogd?" in client.get("/portal/settings").text
    csrf = hidden(client.get("/portal").text, "csrf_token")
    client.post("/auth/acting-for", data={"csrf_token": csrf, "person_id": str(ward.id)})
    page = client.get("/portal/settings")
    assert page.status_code == 200 and "Waar bent u ingelogd?" not in page.text
