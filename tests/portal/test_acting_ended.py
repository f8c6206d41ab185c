"""A representative whose basis ends stops acting at once and is told why (issue 15 §4)."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import PersonActor
from machtigen.authz.engine import get_authorizer
from machtigen.context import Ctx, Origin
from machtigen.identity.models import PortalSession
from machtigen.mandates import service as mandates
from machtigen.mandates.models import MandateAction, MandateStatus, MeasureKind
from machtigen.messages.models import Message
from tests import factories as f
from tests.api_auth.test_login_flow import committed, hidden, login
from tests.portal.test_activity_page import act_for


def koen_and_lisa(db):
    def build(s):
        koen = f.person(s, name="Koen", family_name="de Vries")
        lisa = f.person(s, name="Lisa", family_name="Hendriks")
        rdw = f.afnemer(s, name="RDW")
        apk = f.service(s, rdw, ServiceCategory.OTHER)
        message = f.message(s, koen, apk)
        mandate = f.mandate(
            s,
            koen,
            person=lisa,
            scope=[(apk, MandateAction.READ), (apk, MandateAction.MANAGE_FOLDERS)],
        )
        return koen, lisa, message, mandate

    return committed(db, build)


def revoke_as(db, clock, who, mandate_id):
    ctx = Ctx(db, PersonActor(who.id, clock.now(), loa="midden"), clock, get_authorizer(), Origin())
    mandates.revoke(ctx, mandate_id)
    db.commit()


def acting_for_of(db, lisa):
    """Read in a short transaction: SQLite lets the app write only when no reader holds on."""
    db.expire_all()
    value = db.scalars(
        select(PortalSession.acting_for_person_id).where(
            PortalSession.person_id == lisa.id, PortalSession.ended_at.is_(None)
        )
    ).one()
    db.rollback()
    return value


def test_a_revoked_mandate_ends_acting_for_at_once_and_says_who_revoked_it(client, db, clock):
    koen, lisa, message, mandate = koen_and_lisa(db)
    koen_bsn, subject = koen.bsn, message.subject
    login(client, "digid", bsn=lisa.bsn, acr="midden")
    act_for(client, koen.id)
    assert client.get(f"/portal/messages/{message.id}").status_code == 200
    revoke_as(db, clock, koen, mandate.id)

    page = client.get(f"/portal/messages/{message.id}")
    assert page.status_code == 200
    assert "U handelt niet meer namens Koen de Vries" in page.text
    assert "Koen de Vries heeft de machtiging ingetrokken." in page.text
    assert "niet uitgevoerd" not in page.text, "nothing was asked but a page"
    assert "U handelt namens" not in page.text, "no banner"
    assert 'href="/portal/mandates"' in page.text, "her own menu"
    assert subject not in page.text
    assert acting_for_of(db, lisa) is None
    stopped = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_person_id == koen.id, AuditEvent.action == "session.acting_for")
        .order_by(AuditEvent.seq.desc())
    ).first()
    assert stopped.detail["ended"] == "revoked_by_represented"
    db.rollback()
    login(client, "digid", bsn=koen_bsn, acr="midden")
    trail = client.get("/portal/activity").text
    assert "stopte Lisa Hendriks met handelen namens u: u had de machtiging ingetrokken" in trail


def test_a_form_sent_after_the_end_changes_nothing_and_is_a_conflict(client, db, clock):
    koen, lisa, message, mandate = koen_and_lisa(db)
    login(client, "digid", bsn=lisa.bsn, acr="midden")
    act_for(client, koen.id)
    csrf = hidden(client.get(f"/portal/messages/{message.id}").text, "csrf_token")
    revoke_as(db, clock, lisa, mandate.id)
    answer = client.post(
        f"/portal/messages/{message.id}/archive", data={"csrf_token": csrf, "archived": "1"}
    )
    assert answer.status_code == 409
    assert "De machtiging voor Koen de Vries is van uw kant beëindigd." in answer.text
    assert "Wat u net deed, is niet uitgevoerd." in answer.text
    db.expire_all()
    assert db.get(Message, message.id).archived_at is None
    db.rollback()


@pytest.mark.parametrize("how", ["expired", "measure_ended"])
def test_an_expired_mandate_or_an_ended_measure_is_named(client, db, clock, how):
    def build(s):
        client_person = f.person(s, name="Anna", family_name="Bakker")
        rep = f.person(s, name="Piet", family_name="Jansen")
        if how == "expired":
            f.mandate(
                s,
                client_person,
                person=rep,
                scope=[(None, MandateAction.READ_PERSONAL_DATA)],
                valid_until=clock.now() + timedelta(minutes=5),
            )
        else:
            f.measure(
                s,
                client_person,
                MeasureKind.BESCHERMINGSBEWIND,
                person=rep,
                ends_at=clock.now() + timedelta(minutes=5),
            )
        return client_person, rep

    client_person, rep = committed(db, build)
    login(client, "digid", bsn=rep.bsn, acr="midden")
    act_for(client, client_person.id)
    clock.advance(timedelta(minutes=10))  # within the session's idle time
    page = client.get("/portal/inbox").text
    expected = {
        "expired": "De machtiging voor Anna Bakker is verlopen.",
        "measure_ended": "De maatregel van de rechter voor Anna Bakker is beëindigd.",
    }[how]
    assert expected in page


def test_an_error_page_keeps_the_menu(client, db):
    koen, lisa, _message, _mandate = koen_and_lisa(db)
    login(client, "digid", bsn=lisa.bsn, acr="midden")
    missing = client.get(f"/portal/messages/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert 'href="/portal/inbox"' in missing.text and 'href="/portal/mandates"' in missing.text
    act_for(client, koen.id)
    refused = client.get(f"/portal/messages/{uuid.uuid4()}")
    assert refused.status_code == 404
    assert "U handelt namens" in refused.text and 'href="/portal/inbox"' in refused.text
    assert MandateStatus.ACTIVE  # the mandate still counts: the banner stays
