"""Every rule of DOMAIN.md that needs a person's or an office's choice, walked over HTTP.

For each choice: open the page where it is made, submit it as the person (or the office's
employee) would, and see it take effect in what the service does next — the delivery answer,
who may read what, which e-mail goes out, what an afnemer learns. ``CHOICES`` is the map from
rule to page; ``NO_CHOICE`` says why the other rules ask nobody anything. A rule that gains a
choice without a page here fails ``test_every_rule_is_accounted_for``.
"""

import re
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from machtigen.accounts.models import Account, AccountState
from machtigen.afnemers.models import Afnemer, Service, ServiceCategory
from machtigen.authz.actors import AfnemerActor, PersonActor
from machtigen.authz.engine import get_authorizer
from machtigen.clock import FrozenClock
from machtigen.consents.models import Consent
from machtigen.consents.service import decide_delivery
from machtigen.context import Ctx
from machtigen.identity.correspondence import correspondence_language
from machtigen.identity.models import OfficeStaff, Person
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import (
    LAPSED_BY_LEGAL_MEASURE,
    Mandate,
    MandateAction,
    MandateScope,
    MandateStatus,
    MeasureKind,
)
from machtigen.messages.models import Message
from machtigen.messages.service import readable_messages
from machtigen.messages.status import message_status
from machtigen.notifications.models import Notification
from machtigen.notifications.outbox import on_message_delivered
from tests import factories as f
from tests.api_auth.test_login_flow import hidden, login

CHOICES = {
    "1 activation": ("/portal/activate", "test_rule_1_activation"),
    "2 deactivation": ("/portal/deactivate", "test_rule_2_deactivation"),
    "3 opt-in per afnemer": ("/portal/settings (afnemers)", "test_rule_3_opt_in_per_afnemer"),
    "3 afnemers that joined later": (
        "/portal and /portal/settings (new afnemers)",
        "test_rule_3_afnemers_that_joined_later",
    ),
    "4 everything on paper": ("/portal/settings (paper)", "test_rule_4_everything_on_paper"),
    "6 e-mail address, asked at every visit, checked every six months": (
        "/portal, /portal/settings (e-mail)",
        "test_rule_6_e_mail_address_and_its_six_monthly_check",
    ),
    "6 the three-week reminder": (
        "/portal/settings (reminder)",
        "test_rule_6_the_three_week_reminder",
    ),
    "8 read state shared with an afnemer": (
        "/portal/settings/read-state",
        "test_rule_8_read_state_shared_with_an_afnemer",
    ),
    "9 folders and archive": (
        "/portal/inbox, /portal/messages/{id}",
        "test_rule_9_folders_and_archive",
    ),
    "10 grant, accept, revoke a mandate": (
        "/portal/mandates/new, /portal/representing, /portal/mandates",
        "test_rule_10_grant_accept_revoke_a_mandate",
    ),
    "10 request a mandate, approve it": (
        "/portal/representing/request, /portal/mandates",
        "test_rule_10_request_a_mandate_approve_it",
    ),
    "10 act for someone": ("/portal, /auth/acting-for", "test_rule_10_act_for_someone"),
    "11 the office divides its clients": (
        "/portal/office",
        "test_rule_11_the_office_divides_its_clients",
    ),
    "11 grant again after the measure ended": (
        "/portal/mandates (Opnieuw machtigen)",
        "test_rule_11_grant_again_after_a_measure_ended",
    ),
    "12 a representative notified": (
        "/portal/mandates/new (e-mail bij nieuwe post)",
        "test_rule_12_representatives_notified",
    ),
    "12 office staff notified": ("/portal/staff/email", "test_rule_12_office_staff_notified"),
    "13 personal data in a mandate": (
        "/portal/mandates/new (persoonlijke gegevens)",
        "test_rule_13_personal_data_in_a_mandate",
    ),
    "15 reading and exporting the trail": (
        "/portal/activity",
        "test_rule_15_reading_and_exporting_the_trail",
    ),
    "letters in the person's language": (
        "the language switch in the header",
        "test_rule_letters_in_the_persons_language",
    ),
}
NO_CHOICE = {
    "5 the exact delivery answer": "follows from the choices of rules 1-4",
    "7 retries, letters, not reached": "the service's duty (tests/notifications)",
    "11 court measures": "from the register: POST /api/v1/court-measures/_batch",
    "14 mandate checks": "an afnemer's question: POST /api/v1/mandate-checks",
    "16 limits per afnemer": "the service's, per client",
    "17 bad input refused": "everywhere, without a choice",
}


def test_every_rule_is_accounted_for():
    rules = {key.split()[0] for key in [*CHOICES, *NO_CHOICE] if key.split()[0].isdigit()}
    assert rules == {str(rule) for rule in range(1, 18)}
    for choice, (_page, test) in CHOICES.items():
        assert callable(globals().get(test)), f"no walk for {choice!r}: {test}"
    walks = {name for name in globals() if name.startswith("test_rule_")}
    assert walks == {test for _page, test in CHOICES.values()}


# --- helpers --------------------------------------------------------------------------------


class Visitor:
    """One browser: opens pages, keeps the form token, submits choices."""

    def __init__(self, client) -> None:
        self.client = client
        self.csrf = ""

    def login(self, means: str, **fields) -> "Visitor":
        done = login(self.client, means, **fields)
        assert done.status_code == 303, done.text
        return self

    def open(self, path: str) -> str:
        page = self.client.get(path)
        assert page.status_code == 200, (path, page.status_code)
        self.csrf = hidden(page.text, "csrf_token")
        return page.text

    def choose(self, path: str, expect: int = 303, **data) -> str:
        answer = self.client.post(path, data={"csrf_token": self.csrf, **data})
        assert answer.status_code == expect, (path, answer.status_code, answer.text[:500])
        return answer.headers.get("location", "")


def check(db: Session, clock: FrozenClock, actor_of, look):
    """Ask the service what the choice changed, in a short transaction (SQLite has one writer)."""
    db.expire_all()
    try:
        ctx = Ctx(session=db, actor=actor_of(clock.now()), clock=clock, authz=get_authorizer())
        return look(ctx)
    finally:
        db.rollback()


def build(db: Session, make):
    value = make(db)
    ids = _ids(value)
    db.commit()
    return ids


def _ids(value):
    """Plain ids and numbers: nothing that reloads (and locks SQLite) when read later."""
    if isinstance(value, tuple):
        return tuple(_ids(v) for v in value)
    if isinstance(value, Person):
        return {"id": value.id, "bsn": value.bsn}
    if isinstance(value, OfficeStaff):
        return {"id": value.id, "employee_id": value.employee_id, "name": value.name}
    return getattr(value, "id", value)


def person_actor(person_id, loa="substantieel"):
    return lambda at: PersonActor(person_id, at, loa=loa)


def delivery(db, clock, person_id, afnemer_id):
    def look(ctx):
        decided = decide_delivery(
            ctx,
            ctx.session.get_one(Person, person_id),
            ctx.session.get_one(Afnemer, afnemer_id),
            ctx.now,
        )
        return str(decided.channel), str(decided.reason)

    return check(db, clock, person_actor(person_id), look)


def digid(client, person, loa="substantieel"):
    return Visitor(client).login("digid", bsn=person["bsn"], acr=loa)


# --- the person's own mailbox: rules 1–4, 6, 8, 9 ----------------------------------------------


def test_rule_1_activation(client, db, clock):
    owner, rdw = build(db, lambda s: (f.person(s, state=AccountState.CASCO), f.afnemer(s)))
    me = digid(client, owner)
    assert 'href="/portal/activate"' in me.open("/portal")  # logging in activated nothing
    me.open("/portal/activate")
    assert me.choose("/portal/activate", confirm="yes") == "/portal?done=activated"
    state = check(
        db,
        clock,
        person_actor(owner["id"]),
        lambda c: str(c.session.get(Account, owner["id"]).state),
    )
    assert state == "activated"
    assert delivery(db, clock, owner["id"], rdw) == ("paper", "not_opted_in")  # nothing ticked


def test_rule_2_deactivation(client, db, clock):
    owner, tax, rdw = build(
        db,
        lambda s: (f.person(s), f.afnemer(s, legally_required=True), f.afnemer(s)),
    )
    me = digid(client, owner)
    text = me.open("/portal/deactivate")
    assert "wettelijk digitaal" in text.lower() or "wet digitaal" in text
    me.choose("/portal/deactivate", confirm="yes")
    assert delivery(db, clock, owner["id"], rdw) == ("paper", "deactivated")
    assert delivery(db, clock, owner["id"], tax) == ("both", "deactivated")


def test_rule_3_opt_in_per_afnemer(client, db, clock):
    owner, town = build(db, lambda s: (f.person(s), f.afnemer(s, name="Gemeente Utrecht")))
    me = digid(client, owner)
    assert "Gemeente Utrecht" in me.open("/portal/settings")
    me.choose("/portal/settings/afnemers", covers=[str(town)], afnemer=[str(town)])
    assert delivery(db, clock, owner["id"], town) == ("digital", "opted_in")
    me.open("/portal/settings")
    me.choose("/portal/settings/afnemers", covers=[str(town)])  # untick
    assert "Vanaf 14 december 2026 komt de post op papier" in me.open("/portal/settings")
    assert delivery(db, clock, owner["id"], town) == ("digital", "opted_in")  # three weeks on
    clock.advance(timedelta(days=21))
    assert delivery(db, clock, owner["id"], town) == ("paper", "not_opted_in")


def test_rule_3_afnemers_that_joined_later(client, db, clock):
    def world(s):
        owner = f.person(s)
        s.get(Account, owner.id).afnemers_reviewed_at = f.T0 - timedelta(days=30)
        cak = f.afnemer(s, name="CAK", joined_at=f.T0 - timedelta(days=14))
        return owner, cak

    owner, cak = build(db, world)
    me = digid(client, owner)
    assert "CAK" in me.open("/portal")
    assert delivery(db, clock, owner["id"], cak) == (
        "paper",
        "not_opted_in",
    )  # never ticked for you
    me.open("/portal/settings")
    me.choose("/portal/settings/new-afnemers", asked=[str(cak)], afnemer=[str(cak)])
    assert delivery(db, clock, owner["id"], cak) == ("digital", "opted_in")
    assert "new-afnemers" not in me.open("/portal/settings")  # not asked again


def test_rule_4_everything_on_paper(client, db, clock):
    def world(s):
        owner, town = f.person(s), f.afnemer(s)
        tax = f.afnemer(s, legally_required=True)
        s.add(
            Consent(
                person_id=owner.id,
                afnemer_id=town.id,
                opted_in=True,
                changed_at=f.T0,
                effective_at=f.T0,
            )
        )
        return owner, town, tax

    owner, town, tax = build(db, world)
    me = digid(client, owner)
    me.open("/portal/settings")
    assert me.choose("/portal/settings/paper", paper_only="yes").endswith("done=paper_on")
    assert delivery(db, clock, owner["id"], town) == ("paper", "paper_switch")
    assert delivery(db, clock, owner["id"], tax) == ("both", "paper_switch")


def _with_post(s, *, legal_basis=False):
    owner = f.person(s)
    afnemer = f.afnemer(s, name="UWV", legally_required=True, read_state_legal_basis=legal_basis)
    message = f.message(s, owner, f.service(s, afnemer, ServiceCategory.FINANCIAL))
    return owner, afnemer, message


def test_rule_6_e_mail_address_and_its_six_monthly_check(client, db, clock):
    owner, _afnemer, message = build(db, _with_post)
    me = digid(client, owner)
    assert "Wilt u een e-mail als er post is?" in me.open("/portal")  # asked at every visit
    me.choose("/portal/settings/email", email="koen@example.nl", back="home")
    assert "Wilt u een e-mail" not in me.open("/portal")

    def notify(ctx):
        return [n.email for n in on_message_delivered(ctx, ctx.session.get_one(Message, message))]

    assert check(db, clock, person_actor(owner["id"]), notify) == ["koen@example.nl"]
    clock.advance(timedelta(days=190))
    me = digid(client, owner)
    assert "Klopt uw e-mailadres nog?" in me.open("/portal")
    me.choose("/portal/settings/email/confirm", back="home")
    assert "Klopt uw e-mailadres nog?" not in me.open("/portal")


def test_rule_6_the_three_week_reminder(client, db, clock, tmp_path):
    from machtigen.db import transaction
    from machtigen.jobs import Jobs, JobsConfig

    def world(s):
        owner, afnemer, message = _with_post(s)
        s.get(Account, owner.id).email = "owner@example.nl"
        s.get(Message, message.id).received_at = f.T0
        return owner, afnemer, message

    owner, _afnemer, message = build(db, world)
    me = digid(client, owner)
    assert "Als u een bericht drie weken niet heeft gelezen" in me.open("/portal/settings")
    assert me.choose("/portal/settings/reminders", repeat="no").endswith("done=reminders_off")
    clock.advance(timedelta(days=22))
    factory = client.app.state.session_factory
    Jobs(
        lambda: transaction(factory), clock, get_authorizer(), JobsConfig(letters_dir=tmp_path)
    ).run(("reminders",))
    reminders = check(
        db,
        clock,
        person_actor(owner["id"]),
        lambda c: c.session.scalars(
            select(Notification.id).where(
                Notification.message_id == message, Notification.kind == "reminder"
            )
        ).all(),
    )
    assert reminders == []  # switched off: no repeat e-mail


def test_the_settings_page_names_the_configured_periods(client, db, clock):
    def world(s):
        owner, _afnemer, _message = _with_post(s)
        s.get(Account, owner.id).email = "owner@example.nl"
        return owner

    owner = build(db, world)
    me = digid(client, owner)
    page = me.open("/portal/settings")
    assert "Als u een bericht drie weken niet heeft gelezen" in page
    assert "gaat dat na drie weken in" in page
    settings = client.app.state.settings
    client.app.state.settings = settings.model_copy(
        update={"reminder_days": 10, "untick_transition_days": 14}
    )
    page = me.open("/portal/settings")
    assert "Als u een bericht tien dagen niet heeft gelezen" in page
    assert "gaat dat na twee weken in" in page
    assert "drie weken" not in page
    assert "If you have not read a message for ten days" in me.open("/portal/settings?lang=en")


def test_rule_8_read_state_shared_with_an_afnemer(client, db, clock):
    owner, afnemer, message = build(db, _with_post)

    def read_state(ctx):
        return message_status(ctx, message).read

    afnemer_actor = lambda at: AfnemerActor(afnemer, at)  # noqa: E731
    assert check(db, clock, afnemer_actor, read_state) is None  # "the postman does not look"
    me = digid(client, owner)
    assert "de postbode kijkt niet in uw brievenbus" in me.open("/portal/settings/read-state")
    me.choose("/portal/settings/read-state", afnemer=str(afnemer), share="yes")
    assert check(db, clock, afnemer_actor, read_state) is False  # now it sees: not read yet
    me.open("/portal/settings/read-state")
    me.choose("/portal/settings/read-state", afnemer=str(afnemer), share="no")
    assert check(db, clock, afnemer_actor, read_state) is None


def test_rule_9_folders_and_archive(client, db, clock):
    owner, _afnemer, message = build(db, _with_post)
    me = digid(client, owner)
    me.open("/portal/inbox")
    location = me.choose("/portal/folders", name="Belasting")
    folder = re.search(r"folder=([0-9a-f-]+)", location).group(1)
    me.open(f"/portal/messages/{message}")
    me.choose(f"/portal/messages/{message}/folder", folder_id=folder)
    me.choose(f"/portal/messages/{message}/archive", archived="1")

    def filed(ctx):
        row = ctx.session.get_one(Message, message)
        return str(row.folder_id), row.archived_at is not None

    assert check(db, clock, person_actor(owner["id"]), filed) == (folder, True)
    assert "Belasting" in me.open("/portal/inbox?view=archive")


# --- representation: rules 10–13 -----------------------------------------------------------


def _readable(db, clock, reader_id, owner_id):
    return check(
        db,
        clock,
        person_actor(reader_id),
        lambda c: [m.id for m in readable_messages(c, person_id=owner_id)],
    )


def _grant_form(visitor, rep, message_service, **extra):
    visitor.open("/portal/mandates/new")
    return visitor.choose(
        "/portal/mandates/new",
        bsn=rep["bsn"],
        birth_date="1970-01-01",
        scope=[f"{message_service}:read", *extra.pop("more_scope", [])],
        valid_from="2026-11-23",
        valid_until="2027-11-22",
        **extra,
    )


def _service_of(db, message_id):
    db.expire_all()
    service = db.get(Message, message_id).service_id
    db.rollback()
    return service


def _mandate_of(db, owner_id):
    db.expire_all()
    mandate = db.scalars(
        select(Mandate.id)
        .where(Mandate.represented_person_id == owner_id)
        .order_by(Mandate.created_at.desc())
    ).first()
    db.rollback()
    return mandate


def test_rule_10_grant_accept_revoke_a_mandate(client, db, clock):
    owner, _afnemer, message = build(db, _with_post)
    (helper,) = build(db, lambda s: (f.person(s),))
    owner_visit = digid(client, owner)
    _grant_form(owner_visit, helper, _service_of(db, message))
    mandate = _mandate_of(db, owner["id"])
    assert _readable(db, clock, helper["id"], owner["id"]) == []  # not before acceptance

    rep = digid(client, helper)
    rep.open("/portal/representing")
    rep.choose(f"/portal/mandates/{mandate}/accept", back="representing")
    assert _readable(db, clock, helper["id"], owner["id"]) == [message]

    owner_visit = digid(client, owner)
    owner_visit.open("/portal/mandates")
    owner_visit.choose(f"/portal/mandates/{mandate}/revoke")
    assert _readable(db, clock, helper["id"], owner["id"]) == []


def test_rule_10_request_a_mandate_approve_it(client, db, clock):
    owner, _afnemer, message = build(db, _with_post)
    (helper,) = build(db, lambda s: (f.person(s),))
    rep = digid(client, helper)
    rep.open("/portal/representing/request")
    rep.choose(
        "/portal/representing/request",
        bsn=owner["bsn"],
        birth_date="1970-01-01",
        scope=[f"{_service_of(db, message)}:read"],
        valid_from="2026-11-23",
        valid_until="2027-11-22",
    )
    mandate = _mandate_of(db, owner["id"])
    me = digid(client, owner)
    assert "Wacht op antwoord" in me.open("/portal/mandates")
    me.choose(f"/portal/mandates/{mandate}/accept")
    assert _readable(db, clock, helper["id"], owner["id"]) == [message]


def test_rule_10_act_for_someone(client, db, clock):
    def world(s):
        owner, _afnemer, message = _with_post(s)
        helper = f.person(s)
        service = s.get(Message, message.id).service_id
        f.mandate(s, owner, person=helper, scope=[(s.get(Service, service), MandateAction.READ)])
        return owner, helper, message

    owner, helper, message = build(db, world)
    rep = digid(client, helper)
    rep.open("/portal")
    rep.choose("/auth/acting-for", person_id=str(owner["id"]))
    inbox = rep.open("/portal/inbox")
    assert "U handelt namens" in inbox and f"/portal/messages/{message}" in inbox


def _office_world(s):
    office = f.office(s)
    admin = f.staff(s, office, is_admin=True)
    employee = f.staff(s, office)
    tax = f.service(s, f.afnemer(s, name="Belastingdienst"), ServiceCategory.FINANCIAL)
    clients = [f.person(s), f.person(s)]
    for client in clients:
        f.measure(s, client, MeasureKind.BESCHERMINGSBEWIND, office=office)
        f.message(s, client, tax)
    return office.kvk_number, admin, employee, clients[0], clients[1]


def _staff_login(client, kvk, member):
    return Visitor(client).login(
        "eherkenning", kvk=kvk, employee_id=member["employee_id"], name=member["name"], acr="EH3"
    )


def _clients_of(db, clock, member_id):
    db.expire_all()
    try:
        member = db.get_one(OfficeStaff, member_id)
        actor = staff_actor(db, member, clock.now(), loa="EH3")
        return {p.id for p in db.scalars(get_authorizer().select(actor, "act_for", Person))}
    finally:
        db.rollback()


def test_rule_11_the_office_divides_its_clients(client, db, clock):
    kvk, admin, employee, first, second = build(db, _office_world)
    assert _clients_of(db, clock, employee["id"]) == {first["id"], second["id"]}
    office = _staff_login(client, kvk, admin)
    office.open("/portal/office")
    office.choose("/portal/office/assign", staff_id=str(employee["id"]), person_id=str(first["id"]))
    assert _clients_of(db, clock, employee["id"]) == {first["id"]}  # only the assigned one now
    assert _clients_of(db, clock, admin["id"]) == {first["id"], second["id"]}


def test_rule_11_grant_again_after_a_measure_ended(client, db, clock):
    def world(s):
        owner, _afnemer, message = _with_post(s)
        helper = f.person(s)
        service = s.get(Service, s.get(Message, message.id).service_id)
        measure = f.measure(
            s, owner, MeasureKind.CURATELE, person=f.person(s), ends_at=f.T0 - timedelta(days=1)
        )
        mandate = f.mandate(
            s,
            owner,
            person=helper,
            scope=[(service, MandateAction.READ)],
            status=MandateStatus.LAPSED,
        )
        mandate.end_reason = LAPSED_BY_LEGAL_MEASURE
        for scope in s.scalars(select(MandateScope).where(MandateScope.mandate_id == mandate.id)):
            scope.lapsed_by_measure_id = measure.id
        return owner, helper, message, mandate

    owner, helper, message, lapsed = build(db, world)
    me = digid(client, owner)
    assert "Vervallen door een maatregel van de rechter" in me.open("/portal/mandates")
    me.choose(f"/portal/mandates/{lapsed}/grant-again")
    renewed = _mandate_of(db, owner["id"])
    rep = digid(client, helper)
    rep.open("/portal/representing")
    rep.choose(f"/portal/mandates/{renewed}/accept", back="representing")
    assert _readable(db, clock, helper["id"], owner["id"]) == [message]


def test_rule_12_representatives_notified(client, db, clock):
    owner, _afnemer, message = build(db, _with_post)

    def with_address(s):
        helper = f.person(s)
        s.get(Account, helper.id).email = "helper@example.nl"
        return (helper,)

    (helper,) = build(db, with_address)
    service = _service_of(db, message)
    _grant_form(
        digid(client, owner), helper, service, more_scope=[f"{service}:receive_notifications"]
    )
    rep = digid(client, helper)
    rep.open("/portal/representing")
    rep.choose(f"/portal/mandates/{_mandate_of(db, owner['id'])}/accept", back="representing")

    def notify(ctx):
        return sorted(
            n.email for n in on_message_delivered(ctx, ctx.session.get_one(Message, message))
        )

    assert check(db, clock, person_actor(owner["id"]), notify) == ["helper@example.nl"]


def test_rule_12_office_staff_notified(client, db, clock):
    kvk, _admin, employee, first, _second = build(db, _office_world)

    def notify(ctx):
        someone = ctx.session.scalars(
            select(Message.id).where(Message.person_id == first["id"])
        ).one()
        return [n.email for n in on_message_delivered(ctx, ctx.session.get_one(Message, someone))]

    assert check(db, clock, person_actor(first["id"]), notify) == []
    me = _staff_login(client, kvk, employee)
    me.open("/portal/staff/email")
    me.choose("/portal/staff/email", email="sara@kantoor.example.nl")
    assert check(db, clock, person_actor(first["id"]), notify) == ["sara@kantoor.example.nl"]


def test_rule_13_personal_data_in_a_mandate(client, db, clock):
    owner, _afnemer, message = build(db, _with_post)
    (helper,) = build(db, lambda s: (f.person(s),))

    def may_see_personal_data(ctx):
        return ctx.is_allowed("read_personal_data", ctx.session.get_one(Person, owner["id"]))

    _grant_form(digid(client, owner), helper, _service_of(db, message))
    first = _mandate_of(db, owner["id"])
    clock.advance(timedelta(minutes=1))
    _grant_form(digid(client, owner), helper, _service_of(db, message), personal_data="yes")
    second = _mandate_of(db, owner["id"])
    rep = digid(client, helper)
    rep.open("/portal/representing")
    rep.choose(f"/portal/mandates/{first}/accept", back="representing")
    assert check(db, clock, person_actor(helper["id"]), may_see_personal_data) is False
    rep.open("/portal/representing")
    rep.choose(f"/portal/mandates/{second}/accept", back="representing")
    assert check(db, clock, person_actor(helper["id"]), may_see_personal_data) is True


def test_rule_15_reading_and_exporting_the_trail(client, db, clock):
    owner, _afnemer, _message = build(db, _with_post)
    me = digid(client, owner)
    me.open("/portal/settings")
    me.choose("/portal/settings/paper", paper_only="yes")
    trail = me.open("/portal/activity")
    assert "Wat is er gebeurd op mijn account?" in trail and "papier" in trail
    export = client.get("/portal/activity/export.json")
    assert export.status_code == 200 and "account.paper_switch" in export.text


def test_rule_letters_in_the_persons_language(client, db, clock):
    (owner,) = build(db, lambda s: (f.person(s),))
    me = digid(client, owner)
    me.open("/portal/settings?lang=en")

    def language(ctx):
        return correspondence_language(ctx.session, ctx.session.get_one(Person, owner["id"]))

    assert check(db, clock, person_actor(owner["id"]), language) == "en"
    me.open("/portal?lang=nl")
    assert check(db, clock, person_actor(owner["id"]), language) == "nl"
