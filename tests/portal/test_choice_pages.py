"""The pages of issue 18 over HTTP: an employee's own e-mail address, sharing the read state,
and granting a lapsed mandate again. Each choice is made on its page and takes effect; a form
that does not parse, or a choice that is not the actor's, changes nothing."""

from datetime import timedelta

from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.consents.models import Consent
from machtigen.identity.models import OfficeStaff
from machtigen.mandates.models import (
    LAPSED_BY_LEGAL_MEASURE,
    Mandate,
    MandateAction,
    MandateScope,
    MandateStatus,
    MeasureKind,
)
from tests import factories as f
from tests.api_auth.test_login_flow import committed, hidden, login


def fresh(db, model, key, attribute):
    """Read in a short transaction: SQLite lets the app write only when no reader holds on."""
    db.expire_all()
    value = getattr(db.get(model, key), attribute)
    db.rollback()
    return value


def audited(db, action):
    """The events of one kind as plain values, read in a short transaction."""
    db.expire_all()
    rows = [
        {"action": e.action, "actor_id": e.actor_id, "object_id": e.object_id, "detail": e.detail}
        for e in db.scalars(select(AuditEvent).where(AuditEvent.action == action))
    ]
    db.rollback()
    return rows


# --- an employee's own e-mail address (rule 12) ---------------------------------------------


def office_with_staff(db):
    office = f.office(db)
    member = f.staff(db, office)
    client = f.person(db)
    f.measure(db, client, MeasureKind.BESCHERMINGSBEWIND, office=office)
    return office, member


def test_an_employee_is_asked_for_an_address_and_sets_it(client, db):
    office, member = committed(db, office_with_staff)
    login(
        client,
        "eherkenning",
        kvk=office.kvk_number,
        employee_id=member.employee_id,
        name=member.name,
        acr="EH3",
    )
    home = client.get("/portal")
    assert "Geef een e-mailadres op voor meldingen" in home.text
    assert 'href="/portal/staff/email"' in home.text  # also in the menu: "Mijn e-mailadres"
    page = client.get("/portal/staff/email")
    assert page.status_code == 200 and office.name in page.text
    csrf = hidden(page.text, "csrf_token")

    wrong = client.post("/portal/staff/email", data={"csrf_token": csrf, "email": "sara@"})
    assert wrong.status_code == 422
    assert 'id="email-error"' in wrong.text and 'value="sara@"' in wrong.text
    assert fresh(db, OfficeStaff, member.id, "email") is None

    done = client.post(
        "/portal/staff/email", data={"csrf_token": csrf, "email": "sara@bewind.example.nl"}
    )
    assert (done.status_code, done.headers["location"]) == (
        303,
        "/portal/staff/email?done=email_saved",
    )
    assert fresh(db, OfficeStaff, member.id, "email") == "sara@bewind.example.nl"
    assert "Geef een e-mailadres op" not in client.get("/portal").text
    assert [e["object_id"] for e in audited(db, "staff.email_changed")][-1] == str(member.id)


def test_six_months_on_the_employee_confirms_it_from_the_start_page(client, db, clock):
    office, member = committed(db, office_with_staff)
    with db.begin():
        row = db.get(OfficeStaff, member.id)
        row.email, row.email_confirmed_at = "piet@bewind.example.nl", clock.now()
    clock.advance(timedelta(days=190))
    login(
        client,
        "eherkenning",
        kvk=office.kvk_number,
        employee_id=member.employee_id,
        name=member.name,
        acr="EH3",
    )
    home = client.get("/portal")
    assert "Klopt uw e-mailadres voor meldingen nog? Het is: piet@bewind.example.nl" in home.text
    csrf = hidden(home.text, "csrf_token")
    answer = client.post("/portal/staff/email/confirm", data={"csrf_token": csrf, "back": "home"})
    assert answer.headers["location"] == "/portal?done=email_confirmed"
    assert fresh(db, OfficeStaff, member.id, "email_confirmed_at") == clock.now()
    assert "Klopt uw e-mailadres voor meldingen nog?" not in client.get("/portal").text


def test_a_person_has_no_staff_address_page(client, db):
    person = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=person.bsn, acr="midden")
    assert client.get("/portal/staff/email").headers["location"] == "/portal"
    csrf = hidden(client.get("/portal/settings").text, "csrf_token")
    refused = client.post("/portal/staff/email", data={"csrf_token": csrf, "email": "x@y.nl"})
    assert refused.headers["location"] == "/portal"
    assert [e for e in audited(db, "staff.email_changed") if e["actor_id"] == str(person.id)] == []


# --- sharing the read state (rule 8) --------------------------------------------------------


def person_with_town_post(db):
    owner = f.person(db)
    town = f.afnemer(db, name="Gemeente Utrecht")
    service = f.service(db, town, ServiceCategory.FINANCIAL)
    db.add(
        Consent(
            person_id=owner.id,
            afnemer_id=town.id,
            opted_in=True,
            changed_at=f.T0,
            effective_at=f.T0,
        )
    )
    f.message(db, owner, service)
    return owner, town


def shared(db, owner_id, town_id):
    db.expire_all()
    value = db.scalars(
        select(Consent.share_read_state).where(
            Consent.person_id == owner_id, Consent.afnemer_id == town_id
        )
    ).one()
    db.rollback()
    return value


def test_the_person_allows_and_withdraws_from_a_page_linked_from_the_settings(client, db):
    owner, town = committed(db, person_with_town_post)
    owner_id, town_id = owner.id, town.id
    login(client, "digid", bsn=owner.bsn, acr="midden")
    settings = client.get("/portal/settings").text
    assert 'href="/portal/settings/read-state"' in settings
    page = client.get("/portal/settings/read-state")
    assert "de postbode kijkt niet in uw brievenbus" in page.text
    assert (
        "Gemeente Utrecht" in page.text and "Ziet niet of u het bericht heeft gelezen" in page.text
    )
    csrf = hidden(page.text, "csrf_token")

    unreadable = client.post(
        "/portal/settings/read-state",
        data={"csrf_token": csrf, "afnemer": str(town_id), "share": "ja graag"},
    )
    assert unreadable.status_code == 422 and "We konden dit formulier niet lezen" in unreadable.text
    assert shared(db, owner_id, town_id) is False

    allowed = client.post(
        "/portal/settings/read-state",
        data={"csrf_token": csrf, "afnemer": str(town_id), "share": "yes"},
    )
    assert allowed.headers["location"] == "/portal/settings/read-state?done=read_state_shared"
    assert shared(db, owner_id, town_id) is True
    assert "Mag zien of u het bericht heeft gelezen" in client.get(allowed.headers["location"]).text

    client.post(
        "/portal/settings/read-state",
        data={"csrf_token": csrf, "afnemer": str(town_id), "share": "no"},
    )
    assert shared(db, owner_id, town_id) is False
    actions = [e["action"] for e in audited(db, "consent.read_state_shared")] + [
        e["action"] for e in audited(db, "consent.read_state_withheld")
    ]
    assert sorted(actions) == ["consent.read_state_shared", "consent.read_state_withheld"]


def test_a_representative_sees_the_page_but_cannot_choose(client, db):
    owner, town = committed(db, person_with_town_post)
    owner_id, town_id = owner.id, town.id

    def helper_with_consents(s):
        helper = f.person(s)
        service = s.scalars(
            select(f.Message.service_id).where(f.Message.person_id == owner.id)
        ).first()
        from machtigen.afnemers.models import Service

        f.mandate(s, owner, person=helper, scope=[(s.get(Service, service), MandateAction.READ)])
        f.mandate(
            s,
            owner,
            person=helper,
            scope=[(s.get(Service, service), MandateAction.MANAGE_CONSENTS)],
        )
        return helper

    helper = committed(db, helper_with_consents)
    login(client, "digid", bsn=helper.bsn, acr="midden")
    home = client.get("/portal")
    csrf = hidden(home.text, "csrf_token")
    client.post("/auth/acting-for", data={"csrf_token": csrf, "person_id": str(owner_id)})
    page = client.get("/portal/settings/read-state")
    assert page.status_code == 200
    assert "Dit mag alleen de persoon zelf (of een curator) kiezen." in page.text
    assert 'name="share"' not in page.text
    refused = client.post(
        "/portal/settings/read-state",
        data={"csrf_token": csrf, "afnemer": str(town_id), "share": "yes"},
    )
    assert refused.status_code == 403
    assert shared(db, owner_id, town_id) is False


# --- a mandate lapsed under a court measure, granted again ----------------------------------


def lapsed_mandate(db):
    owner, helper = f.person(db), f.person(db)
    tax = f.service(db, f.afnemer(db, name="Belastingdienst"), ServiceCategory.FINANCIAL)
    measure = f.measure(
        db,
        owner,
        MeasureKind.BESCHERMINGSBEWIND,
        person=f.person(db),
        starts_at=f.T0 - timedelta(days=200),
        ends_at=f.T0 - timedelta(days=1),
    )
    mandate = f.mandate(
        db,
        owner,
        person=helper,
        scope=[(tax, MandateAction.READ), (tax, MandateAction.RECEIVE_NOTIFICATIONS)],
        status=MandateStatus.LAPSED,
        valid_until=f.T0 + timedelta(days=100),
    )
    mandate.end_reason = LAPSED_BY_LEGAL_MEASURE
    mandate.ended_at = f.T0 - timedelta(days=200)
    for scope in db.scalars(select(MandateScope).where(MandateScope.mandate_id == mandate.id)):
        scope.lapsed_by_measure_id = measure.id
    return owner, helper, mandate


def test_the_person_grants_a_lapsed_mandate_again_in_one_click(client, db):
    owner, helper, old = committed(db, lapsed_mandate)
    old_id, old_until, helper_id, owner_id = old.id, old.valid_until, helper.id, owner.id
    login(client, "digid", bsn=owner.bsn, acr="substantieel")
    page = client.get("/portal/mandates")
    assert "Vervallen door een maatregel van de rechter" in page.text
    assert "Die maatregel is beëindigd" in page.text
    assert f'action="/portal/mandates/{old_id}/grant-again"' in page.text
    csrf = hidden(page.text, "csrf_token")
    done = client.post(f"/portal/mandates/{old_id}/grant-again", data={"csrf_token": csrf})
    assert done.headers["location"] == "/portal/mandates?done=granted_again"

    db.expire_all()
    [new] = db.scalars(
        select(Mandate).where(Mandate.represented_person_id == owner_id, Mandate.id != old_id)
    ).all()
    new_id, status, representative, valid_until = (
        new.id,
        new.status,
        new.representative_person_id,
        new.valid_until,
    )
    scope = {
        (s.service_id, s.action)
        for s in db.scalars(select(MandateScope).where(MandateScope.mandate_id == new_id))
    }
    old_scope = {
        (s.service_id, s.action)
        for s in db.scalars(select(MandateScope).where(MandateScope.mandate_id == old_id))
    }
    db.rollback()
    assert scope == old_scope and len(scope) == 2
    assert (status, representative) == (MandateStatus.REQUESTED, helper_id)
    assert valid_until == old_until
    [granted] = [e for e in audited(db, "mandate.granted") if e["object_id"] == str(new_id)]
    assert granted["detail"]["renews"] == str(old_id)
    assert fresh(db, Mandate, old_id, "status") == MandateStatus.LAPSED  # the record stays

    # Once granted again there is nothing left to offer; a second click is refused.
    assert "grant-again" not in client.get("/portal/mandates").text
    again = client.post(f"/portal/mandates/{old_id}/grant-again", data={"csrf_token": csrf})
    assert again.status_code == 409


def test_the_representative_cannot_grant_it_again(client, db):
    _owner, helper, old = committed(db, lapsed_mandate)
    old_id, helper_id = old.id, helper.id
    login(client, "digid", bsn=helper.bsn, acr="substantieel")
    page = client.get("/portal/representing")
    assert "grant-again" not in page.text
    csrf = hidden(page.text, "csrf_token")
    refused = client.post(f"/portal/mandates/{old_id}/grant-again", data={"csrf_token": csrf})
    assert refused.status_code == 403
    db.expire_all()
    count = len(
        db.scalars(select(Mandate.id).where(Mandate.representative_person_id == helper_id)).all()
    )
    db.rollback()
    assert count == 1
