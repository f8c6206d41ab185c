"""Issue 12 §5: /auth cannot flood the audit log. A per-address limit on starting and finishing
logins (429 with Retry-After), and identical failures from one address within a window are one
audit event with a count."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from api.main import create_app
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import AnonymousActor
from machtigen.context import Ctx, Origin
from machtigen.identity import failures
from machtigen.identity.models import LoginFailureTally


def failed_events(db):
    db.expire_all()
    rows = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "login.failed").order_by(AuditEvent.seq)
    ).all()
    found = [(e.ip, dict(e.detail)) for e in rows]
    db.rollback()
    return found


def app_client(settings, clock, address="203.0.113.7", **overrides):
    app = create_app(settings.model_copy(update=overrides), clock=clock)
    return TestClient(app, follow_redirects=False, client=(address, 50000))


def test_too_many_login_starts_from_one_address_get_a_readable_429(settings, clock):
    with (
        app_client(settings, clock, auth_rate_limit_per_ip="5/day") as flooding,
        app_client(settings, clock, "198.51.100.9", auth_rate_limit_per_ip="5/day") as other,
    ):
        answers = [flooding.get("/auth/digid/start").status_code for _ in range(6)]
        assert answers == [303] * 5 + [429]
        refused = flooding.get("/auth/digid/callback?state=x&code=y")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        assert "text/html" in refused.headers["content-type"]
        assert "te vaak ingelogd" in refused.text
        assert other.get("/auth/digid/start").status_code == 303


def test_sixty_bad_callbacks_are_one_event_then_one_with_their_count(settings, clock, db):
    before = len(failed_events(db))
    with app_client(settings, clock, auth_rate_limit_per_ip="1000/minute") as client:
        answers = {
            client.get("/auth/digid/callback?state=forged&code=x").status_code for _ in range(60)
        }
        assert answers == {401}
        assert failed_events(db)[before:] == [("203.0.113.7", {"reason": "state_mismatch"})]
        clock.advance(timedelta(minutes=11))
        client.get("/auth/digid/callback?state=forged&code=x")
    new = failed_events(db)[before:]
    assert len(new) == 3
    ip, repeated = new[1]
    assert ip == "203.0.113.7"
    assert repeated["reason"] == "state_mismatch" and repeated["repeated"] == 59
    assert repeated["first_at"] < repeated["last_at"] or repeated["first_at"] == repeated["last_at"]
    assert new[2] == ("203.0.113.7", {"reason": "state_mismatch"})


def test_different_failures_or_addresses_are_not_merged(settings, clock, db):
    before = len(failed_events(db))
    with (
        app_client(settings, clock, "192.0.2.1") as one,
        app_client(settings, clock, "192.0.2.2") as two,
    ):
        one.get("/auth/digid/callback?state=forged&code=x")
        one.get("/auth/eherkenning/callback?state=forged&code=x")
        two.get("/auth/digid/callback?state=forged&code=x")
        one.get("/auth/digid/callback?state=forged&code=x")  # a repeat: counted, not written
    assert len(failed_events(db)[before:]) == 3


def test_an_ended_window_is_written_out_by_the_next_failure_from_anywhere(session, clock, authz):
    def ctx(ip):
        actor = AnonymousActor(subject="unknown", at=clock.now(), means="digid")
        return Ctx(session, actor, clock, authz, Origin(ip, "pytest"))

    def events():
        return session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()

    for _ in range(4):
        failures.record_failure(ctx("192.0.2.50"), "digid", None, "x", "invalid_token", 600)
    assert len(events()) == 1
    clock.advance(timedelta(minutes=10))
    failures.record_failure(ctx("192.0.2.99"), "digid", None, "x", "no_code", 600)
    written = events()
    assert len(written) == 3
    rollup = next(e for e in written if "repeated" in e.detail)
    assert (rollup.ip, rollup.detail["repeated"]) == ("192.0.2.50", 3)
    assert (
        session.get(LoginFailureTally, failures._key("192.0.2.50", "digid", "invalid_token"))
        is None
    )
