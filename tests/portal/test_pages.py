"""The portal over HTTP: readable errors, CSRF, step-up, language, and forms that lose nothing."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from machtigen.accounts.models import Account
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.errors import MachtigenError
from machtigen.i18n import catalog
from machtigen.identity.models import PortalSession
from machtigen.mandates.models import Mandate
from machtigen.messages.models import MessageRead
from tests import factories as f
from tests.api_auth.test_login_flow import committed, hidden, login


def every_hidden(page, name):
    return re.findall(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)


def paper_only(db, person):
    """Read in a short transaction: SQLite lets the app write only when no reader holds on."""
    db.expire_all()
    value = db.get(Account, person.id).paper_only
    db.rollback()
    return value


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def test_every_refusal_text_names_a_domain_error():
    import api.portal  # noqa: F401 - loads every module whose errors may reach a page
    import machtigen.caseload.service
    import machtigen.identity.assignments  # noqa: F401

    known = {cls.__name__ for cls in subclasses(MachtigenError)} | {"MachtigenError"}
    for lang in ("nl", "en"):
        refusals = {
            str(m.id).removeprefix("refusal_")
            for m in catalog(lang)
            if str(m.id).startswith("refusal_")
        }
        assert refusals and refusals <= known


def person_with_post(db):
    owner = f.person(db)
    tax = f.afnemer(db, name="Belastingdienst", legally_required=True)
    town = f.afnemer(db, name="Gemeente")
    message = f.message(db, owner, f.service(db, tax, ServiceCategory.FINANCIAL))
    f.service(db, town, ServiceCategory.FINANCIAL)
    return owner, message, town


def test_pages_answer_with_pages_and_the_api_with_problems(client):
    portal_404 = client.get("/portal/nothing-here")
    assert portal_404.status_code == 404 and "text/html" in portal_404.headers["content-type"]
    browser_404 = client.get("/nope", headers={"accept": "text/html"})
    assert "text/html" in browser_404.headers["content-type"]
    machine_404 = client.get("/nope")
    assert machine_404.headers["content-type"] == "application/problem+json"


def test_another_persons_message_is_a_404_page_and_nothing_is_recorded(client, db):
    _owner, message, _ = committed(db, person_with_post)
    stranger = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=stranger.bsn, acr="midden")
    refused = client.get(f"/portal/messages/{message.id}")
    assert refused.status_code == 404
    assert "bestaat niet, of u mag het niet zien" in refused.text
    assert client.get("/portal/messages/not-a-uuid").status_code == 404
    reads = db.scalar(
        select(func.count()).select_from(MessageRead).where(MessageRead.message_id == message.id)
    )
    assert reads == 0


def test_forms_need_this_sessions_token(client, db):
    owner = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=owner.bsn, acr="midden")
    missing = client.post("/portal/settings/paper", data={"paper_only": "yes"})
    assert missing.status_code == 422 and "We konden dit formulier niet lezen" in missing.text
    forged = client.post("/portal/settings/paper", data={"csrf_token": "x", "paper_only": "yes"})
    assert forged.status_code == 403 and "niet uit uw eigen sessie" in forged.text
    assert paper_only(db, owner) is False
    csrf = hidden(client.get("/portal/settings").text, "csrf_token")
    done = client.post("/portal/settings/paper", data={"csrf_token": csrf, "paper_only": "yes"})
    assert (done.status_code, done.headers["location"]) == (303, "/portal/settings?done=paper_on")
    assert paper_only(db, owner) is True


def test_a_weak_login_is_asked_to_step_up_and_it_is_audited(client, db):
    owner = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=owner.bsn, acr="basis")
    page = client.get("/portal/inbox")
    assert page.status_code == 403
    assert "niveau midden of hoger" in page.text
    db.expire_all()
    audited = db.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.action == "login.step_up_required", AuditEvent.subject_person_id == owner.id
        )
    ).all()
    db.rollback()
    assert audited and audited[-1]["purpose"] == "read_mailbox"


def test_the_language_switch_keeps_the_page_and_its_query(client, db):
    owner = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=owner.bsn, acr="midden")
    english = client.get("/portal/inbox?q=aanslag&lang=en")
    assert 'lang="en"' in english.text and "Mailbox" in english.text
    assert 'href="/portal/inbox?q=aanslag&amp;lang=nl"' in english.text
    assert 'lang="en"' in client.get("/portal/settings").text  # the choice is remembered
    headers = english.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store"


def test_unticking_shows_when_it_takes_effect(client, db, clock):
    owner, _, town = committed(db, person_with_post)
    login(client, "digid", bsn=owner.bsn, acr="midden")
    settings = client.get("/portal/settings").text
    csrf, covers = hidden(settings, "csrf_token"), every_hidden(settings, "covers")
    assert str(town.id) in covers
    ticked = {"csrf_token": csrf, "covers": covers, "afnemer": [str(town.id)]}
    assert client.post("/portal/settings/afnemers", data=ticked).status_code == 303
    clock.advance(timedelta(days=1))
    login(client, "digid", bsn=owner.bsn, acr="midden")
    csrf = hidden(client.get("/portal/settings").text, "csrf_token")
    unticked = {"csrf_token": csrf, "covers": covers}
    assert client.post("/portal/settings/afnemers", data=unticked).status_code == 303
    page = client.get("/portal/settings").text
    assert re.search(r"Vanaf 15 december 2026 komt de post op papier", page)


def test_a_refused_grant_keeps_the_form_and_writes_nothing(client, db):
    owner, message, _ = committed(db, person_with_post)
    login(client, "digid", bsn=owner.bsn, acr="substantieel")
    csrf = hidden(client.get("/portal/mandates/new").text, "csrf_token")
    scope = f"{message.service_id}:read"
    answer = client.post(
        "/portal/mandates/new",
        data={
            "csrf_token": csrf,
            "party": "office",
            "kvk": "99999999",
            "scope": [scope],
            "valid_from": "2026-11-23",
            "valid_until": "2027-11-23",
        },
    )
    assert answer.status_code == 422
    assert 'id="kvk-error"' in answer.text
    assert f'value="{scope}" checked' in answer.text
    assert (
        db.scalar(
            select(func.count())
            .select_from(Mandate)
            .where(Mandate.represented_person_id == owner.id)
        )
        == 0
    )


def test_the_bsn_of_the_other_party_never_reaches_a_url(client, db):
    owner, message, _ = committed(db, person_with_post)
    other = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=owner.bsn, acr="substantieel")
    csrf = hidden(client.get("/portal/mandates/new").text, "csrf_token")
    granted = client.post(
        "/portal/mandates/new",
        data={
            "csrf_token": csrf,
            "bsn": other.bsn,
            "birth_date": other.date_of_birth.isoformat(),
            "scope": [f"{message.service_id}:read"],
            "valid_from": "2026-11-23",
            "valid_until": "2027-11-22",
        },
    )
    assert granted.status_code == 303 and other.bsn not in granted.headers["location"]
    overview = client.get("/portal/mandates").text
    assert other.bsn not in overview
    assert "tot en met 22 november 2027" in overview


def test_a_grant_posted_at_a_weak_login_is_the_step_up_page_and_finds_nobody(client, db):
    """The service checks the level (not the router): the answer is still the step-up page,
    audited, the same for a BSN that exists and one that does not, and nothing is stored."""
    owner, message, _ = committed(db, person_with_post)
    other = committed(db, lambda s: f.person(s))
    login(client, "digid", bsn=owner.bsn, acr="midden")
    csrf = hidden(client.get("/portal/settings").text, "csrf_token")
    answers = []
    for bsn in (other.bsn, f.make_bsn(777777)):
        answers.append(
            client.post(
                "/portal/mandates/new",
                data={
                    "csrf_token": csrf,
                    "party": "person",
                    "bsn": bsn,
                    "birth_date": other.date_of_birth.isoformat(),
                    "scope": [f"{message.service_id}:read"],
                    "valid_from": "2026-11-23",
                    "valid_until": "2027-11-23",
                },
            )
        )
    assert [a.status_code for a in answers] == [403, 403]
    assert all("niveau substantieel of hoger" in a.text for a in answers)
    assert answers[0].text == answers[1].text
    db.expire_all()
    audited = db.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.action == "login.step_up_required", AuditEvent.subject_person_id == owner.id
        )
    ).all()
    mandates = db.scalar(
        select(func.count()).select_from(Mandate).where(Mandate.represented_person_id == owner.id)
    )
    db.rollback()
    assert [d["needed"] for d in audited] == ["substantieel", "substantieel"]
    assert mandates == 0


def test_a_redirect_decided_by_a_dependency_keeps_the_requests_writes(client, db, clock):
    """An employee acting for nobody has no settings: the page dependency answers with the start
    page (``Answered``). That is an answer, not a refusal: the session is still touched."""
    office = committed(db, lambda s: f.office(s))
    login(client, "eherkenning", kvk=office.kvk_number, employee_id="emp-r", name="R", acr="EH3")
    clock.advance(timedelta(minutes=5))
    answer = client.get("/portal/settings")
    assert (answer.status_code, answer.headers["location"]) == (303, "/portal")
    db.expire_all()
    seen = db.scalar(select(PortalSession.last_seen_at).where(PortalSession.staff_id.is_not(None)))
    db.rollback()
    assert seen is not None and seen.replace(tzinfo=None) == clock.now().replace(tzinfo=None)
