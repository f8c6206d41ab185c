"""The representative's caseload: who is on it, what counts, sorting, filters and paging."""

from datetime import date, timedelta

import pytest

from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import AfnemerActor, PersonActor
from machtigen.caseload import queries
from machtigen.caseload.service import CaseloadFilter, caseload
from machtigen.consents.models import Channel
from machtigen.errors import Forbidden, InvalidInput
from machtigen.identity.loa import StepUpRequired
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import MandateAction, MandateStatus, MeasureKind
from machtigen.messages import service as messages
from tests import factories as f

T0 = f.T0
TODAY = date(2026, 11, 23)


@pytest.fixture
def services(session):
    tax = f.afnemer(session, name="Belastingdienst")
    gemeente = f.afnemer(session, name="Gemeente")
    rdw = f.afnemer(session, name="RDW")
    return {
        "tax": f.service(session, tax, ServiceCategory.FINANCIAL),
        "care": f.service(session, gemeente, ServiceCategory.PERSONAL_CARE),
        "apk": f.service(session, rdw, ServiceCategory.OTHER),
    }


@pytest.fixture
def office(session):
    return f.office(session)


@pytest.fixture
def bewindvoerder(session, ctx_for, office):
    """Piet: an office administrator (the office does not divide its clients)."""
    return ctx_for(staff_actor(session, f.staff(session, office, is_admin=True), T0, loa="EH3"))


def person_ctx(ctx_for, person, loa="midden"):
    return ctx_for(PersonActor(person.id, T0, loa=loa))


def rows_by_name(page):
    return {row.name: row for row in page.rows}


def everything(**filters):
    return CaseloadFilter(page_size=200, **filters)


def test_a_bewindvoerder_counts_financial_post_only(session, services, office, bewindvoerder):
    client = f.person(session)
    f.measure(session, client, MeasureKind.BESCHERMINGSBEWIND, office=office)
    f.message(session, client, services["tax"], deadline=TODAY + timedelta(days=9))
    f.message(session, client, services["tax"])
    f.message(session, client, services["care"], deadline=TODAY + timedelta(days=2))
    f.message(session, client, services["apk"])

    [row] = caseload(bewindvoerder, everything()).rows
    assert (row.person_id, row.basis, row.basis_kind) == (
        client.id,
        "legal_measure",
        "beschermingsbewind",
    )
    assert row.unread == 2
    assert row.next_deadline is not None
    assert row.next_deadline.date() == TODAY + timedelta(days=9)
    assert row.representation_ends_at is None


def test_a_mentor_counts_care_post_only(session, ctx_for, services):
    mentor = f.person(session)
    client = f.person(session)
    f.measure(session, client, MeasureKind.MENTORSCHAP, person=mentor)
    f.message(session, client, services["tax"], deadline=TODAY + timedelta(days=1))
    f.message(session, client, services["care"], deadline=TODAY + timedelta(days=5))

    [row] = caseload(person_ctx(ctx_for, mentor), everything()).rows
    assert (row.basis_kind, row.unread) == ("mentorschap", 1)
    assert row.next_deadline is not None
    assert row.next_deadline.date() == TODAY + timedelta(days=5)


def test_a_voluntary_representative_counts_the_granted_services_only(session, ctx_for, services):
    representative = f.person(session)
    reader = f.person(session, name="Reader")
    notified_only = f.person(session, name="Notified")
    until = T0 + timedelta(days=40)
    f.mandate(
        session,
        reader,
        person=representative,
        scope=[(services["tax"], MandateAction.READ)],
        valid_until=until,
    )
    f.mandate(
        session,
        notified_only,
        person=representative,
        scope=[(services["tax"], MandateAction.RECEIVE_NOTIFICATIONS)],
    )
    for client in (reader, notified_only):
        f.message(session, client, services["tax"])
        f.message(session, client, services["apk"])

    by_name = rows_by_name(caseload(person_ctx(ctx_for, representative), everything()))
    assert {name.split()[0] for name in by_name} == {"Reader", "Notified"}
    row = next(r for r in by_name.values() if r.person_id == reader.id)
    assert (row.basis, row.basis_kind, row.unread) == ("voluntary_mandate", None, 1)
    assert row.representation_ends_at == until
    # Notifications only: a client, but no post to read.
    assert next(r for r in by_name.values() if r.person_id == notified_only.id).unread == 0


def test_expired_revoked_lapsed_and_ended_bases_drop_out(session, ctx_for, services):
    representative = f.person(session)
    scope = [(services["tax"], MandateAction.READ)]
    expired, revoked, lapsed, ended, future, current = (f.person(session) for _ in range(6))
    f.mandate(session, expired, person=representative, scope=scope, valid_until=T0)
    f.mandate(session, revoked, person=representative, scope=scope, status=MandateStatus.REVOKED)
    lapsing = f.mandate(session, lapsed, person=representative, scope=scope)
    replacing = f.measure(session, lapsed, MeasureKind.WSNP, person=f.person(session))
    for row in session.query(f.MandateScope).filter_by(mandate_id=lapsing.id):
        row.lapsed_by_measure_id = replacing.id
    f.measure(session, ended, MeasureKind.BESCHERMINGSBEWIND, person=representative, ends_at=T0)
    f.measure(
        session,
        future,
        MeasureKind.BESCHERMINGSBEWIND,
        person=representative,
        starts_at=T0 + timedelta(days=1),
    )
    f.measure(session, current, MeasureKind.CURATELE, person=representative)
    for client in (expired, revoked, lapsed, ended, future, current):
        f.message(session, client, services["tax"])
    session.flush()

    page = caseload(person_ctx(ctx_for, representative), everything())
    assert [row.person_id for row in page.rows] == [current.id]
    assert page.total == 1


def test_read_archived_and_paper_post_is_not_unread(session, ctx_for, services, office):
    client = f.person(session)
    f.measure(session, client, MeasureKind.CURATELE, office=office)
    opened = f.message(session, client, services["tax"])
    f.message(session, client, services["tax"], archived_at=T0 - timedelta(hours=1))
    f.message(session, client, services["tax"], channel=Channel.PAPER)
    f.message(session, client, services["care"], channel=Channel.BOTH)
    owner_read = f.message(session, client, services["apk"])
    messages.open_message(person_ctx(ctx_for, client), owner_read.id)
    piet = ctx_for(staff_actor(session, f.staff(session, office, is_admin=True), T0, loa="EH3"))
    jan = ctx_for(staff_actor(session, f.staff(session, office), T0, loa="EH3"))

    assert caseload(piet, everything()).rows[0].unread == 3
    messages.open_message(piet, opened.id)
    # Each reader has their own read state: Piet's reading leaves Jan's count alone.
    assert caseload(piet, everything()).rows[0].unread == 2
    assert caseload(jan, everything()).rows[0].unread == 3


def test_only_upcoming_deadlines_count_from_the_dutch_today(session, ctx_for, services):
    mentor = f.person(session)
    client = f.person(session)
    f.measure(session, client, MeasureKind.CURATELE, person=mentor)
    f.message(session, client, services["tax"], deadline=TODAY - timedelta(days=1))
    f.message(session, client, services["tax"], deadline=TODAY + timedelta(days=3))
    ctx = person_ctx(ctx_for, mentor)
    assert caseload(ctx, everything()).rows[0].next_deadline.date() == TODAY + timedelta(days=3)

    f.message(session, client, services["care"], deadline=TODAY)
    assert caseload(ctx, everything()).rows[0].next_deadline.date() == TODAY
    # 23:30 UTC on the 23rd is already the 24th in the Netherlands: the 23rd has passed.
    late = PersonActor(mentor.id, T0.replace(hour=23, minute=30), loa="midden")
    [row] = caseload(ctx_for(late), everything()).rows
    assert row.next_deadline.date() == TODAY + timedelta(days=3)


def test_the_basis_shown_is_the_widest_measure_and_its_end(session, ctx_for, services):
    rep = f.person(session)
    both = f.person(session, name="Both")
    ending = f.person(session, name="Ending")
    f.measure(session, both, MeasureKind.MENTORSCHAP, person=rep)
    f.measure(session, both, MeasureKind.BESCHERMINGSBEWIND, person=rep)
    f.mandate(session, both, person=rep, scope=[(services["apk"], MandateAction.READ)])
    soon, later = T0 + timedelta(days=20), T0 + timedelta(days=60)
    f.measure(session, ending, MeasureKind.WSNP, person=rep, ends_at=soon)
    f.measure(session, ending, MeasureKind.WSNP, person=rep, ends_at=later)

    rows = {row.person_id: row for row in caseload(person_ctx(ctx_for, rep), everything()).rows}
    assert (rows[both.id].basis, rows[both.id].basis_kind) == (
        "legal_measure",
        "beschermingsbewind",
    )
    assert rows[both.id].representation_ends_at is None
    assert rows[ending.id].representation_ends_at == later


@pytest.fixture
def five_clients(session, services, office):
    """Five office clients with different names, unread counts, deadlines and end dates."""
    specs = [
        # family name, unread, deadline in days, measure ends in days
        ("de Boer", 2, 30, None),
        ("Bakker", 0, None, 90),
        ("van Dijk", 5, 3, 10),
        ("Akkerman", 1, None, None),
        ("Visser", 3, 12, 200),
    ]
    clients = {}
    for family, unread, deadline, ends in specs:
        client = f.person(session, name="Client", family_name=family)
        f.measure(
            session,
            client,
            MeasureKind.BESCHERMINGSBEWIND,
            office=office,
            ends_at=None if ends is None else T0 + timedelta(days=ends),
        )
        for index in range(unread):
            f.message(
                session,
                client,
                services["tax"],
                deadline=TODAY + timedelta(days=deadline) if deadline and index == 0 else None,
            )
        clients[family] = client
    return clients


def families(page):
    return [row.name.removeprefix("Client ") for row in page.rows]


def test_sorting(bewindvoerder, five_clients):
    def order(**kwargs):
        return families(caseload(bewindvoerder, everything(**kwargs)))

    # Dutch order: "de Boer" under B, "van Dijk" under D.
    assert order(sort="name") == ["Akkerman", "Bakker", "de Boer", "van Dijk", "Visser"]
    assert order(sort="name", descending=True) == [
        "Visser",
        "van Dijk",
        "de Boer",
        "Bakker",
        "Akkerman",
    ]
    assert order(sort="unread", descending=True) == [
        "van Dijk",
        "Visser",
        "de Boer",
        "Akkerman",
        "Bakker",
    ]
    # Without a deadline or an end date last, in both directions, by name among themselves.
    assert order() == ["van Dijk", "Visser", "de Boer", "Akkerman", "Bakker"]
    assert order(sort="deadline", descending=True) == [
        "de Boer",
        "Visser",
        "van Dijk",
        "Akkerman",
        "Bakker",
    ]
    assert order(sort="ending") == ["van Dijk", "Bakker", "Visser", "Akkerman", "de Boer"]


def test_filters(bewindvoerder, five_clients):
    def found(**kwargs):
        return sorted(families(caseload(bewindvoerder, everything(**kwargs))))

    assert found(search="  DIJK ") == ["van Dijk"]
    assert found(search="client v") == ["Visser", "van Dijk"]
    assert found(search="   ") == found()
    assert found(only_unread=True) == ["Akkerman", "Visser", "de Boer", "van Dijk"]
    assert found(deadline_within_days=12) == ["Visser", "van Dijk"]
    assert found(deadline_within_days=0) == []
    assert found(ending_within_days=90) == ["Bakker", "van Dijk"]
    assert found(only_unread=True, ending_within_days=90) == ["van Dijk"]


def test_paging(bewindvoerder, five_clients):
    first = caseload(bewindvoerder, CaseloadFilter(sort="name", page_size=2))
    second = caseload(bewindvoerder, CaseloadFilter(sort="name", page_size=2, page=2))
    last = caseload(bewindvoerder, CaseloadFilter(sort="name", page_size=2, page=3))
    beyond = caseload(bewindvoerder, CaseloadFilter(sort="name", page_size=2, page=4))
    assert [families(p) for p in (first, second, last, beyond)] == [
        ["Akkerman", "Bakker"],
        ["de Boer", "van Dijk"],
        ["Visser"],
        [],
    ]
    assert {p.total for p in (first, second, last, beyond)} == {5}
    assert (second.page, second.page_size) == (2, 2)


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"page": 0}, "page"),
        ({"page": True}, "page"),
        ({"page": "2"}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 201}, "page_size"),
        ({"sort": "age"}, "sort"),
        ({"deadline_within_days": -1}, "deadline_within_days"),
        ({"ending_within_days": 1.5}, "ending_within_days"),
        ({"only_unread": "yes"}, "only_unread"),
        ({"descending": 1}, "descending"),
        ({"search": "x" * 101}, "search"),
        ({"search": 42}, "search"),
    ],
)
def test_a_bad_filter_value_is_refused_by_name(values, named):
    with pytest.raises(InvalidInput) as refused:
        CaseloadFilter(**values)
    assert named in refused.value.detail


def test_only_representatives_with_a_strong_enough_login_have_a_caseload(
    session, ctx_for, office, services
):
    client = f.person(session)
    f.measure(session, client, MeasureKind.CURATELE, office=office)
    with pytest.raises(Forbidden):
        caseload(ctx_for(AfnemerActor(services["tax"].afnemer_id, T0)), CaseloadFilter())
    weak = ctx_for(staff_actor(session, f.staff(session, office, is_admin=True), T0, loa="EH2+"))
    with pytest.raises(StepUpRequired):
        caseload(weak, CaseloadFilter())
    # A person without clients has an empty caseload, not an error.
    assert caseload(person_ctx(ctx_for, f.person(session)), CaseloadFilter()).total == 0


def test_an_office_that_divides_its_clients(session, ctx_for, services, office):
    mine, theirs = f.person(session), f.person(session)
    for client in (mine, theirs):
        f.measure(session, client, MeasureKind.BESCHERMINGSBEWIND, office=office)
        f.message(session, client, services["tax"])
    admin = f.staff(session, office, is_admin=True)
    employee = f.staff(session, office)
    f.assign(session, employee, mine)

    def clients_of(member):
        ctx = ctx_for(staff_actor(session, member, T0, loa="EH3"))
        return {row.person_id: row.unread for row in caseload(ctx, everything()).rows}

    assert clients_of(employee) == {mine.id: 1}
    assert clients_of(admin) == {mine.id: 1, theirs.id: 1}


def test_the_grouped_count_equals_the_count_per_message(session, ctx_for, services, office):
    """The policy decides once per (person, service, channel): the same as per message."""
    clients = [f.person(session) for _ in range(3)]
    f.measure(session, clients[0], MeasureKind.BESCHERMINGSBEWIND, office=office)
    f.measure(session, clients[1], MeasureKind.MENTORSCHAP, office=office)
    f.mandate(session, clients[2], office=office, scope=[(services["apk"], MandateAction.READ)])
    for index, client in enumerate(clients):
        for service in services.values():
            for channel in Channel:
                f.message(session, client, service, channel=channel, deadline=TODAY)
                f.message(session, client, service, deadline=TODAY + timedelta(days=index))
    ctx = ctx_for(staff_actor(session, f.staff(session, office, is_admin=True), T0, loa="EH3"))
    readable = ctx.authz.prepared(ctx.actor, "read", f.Message)
    params = {
        **readable.params,
        "caseload_person_ids": [c.id for c in clients],
        "caseload_today": TODAY,
        "caseload_reader_kind": ctx.actor.kind,
        "caseload_reader_id": ctx.actor.key,
    }
    grouped = queries._message_counts(readable.statement)
    per_message = queries._message_counts_per_message(readable.statement)
    assert "message_group" in str(grouped)
    assert sorted(session.execute(grouped, params).all()) == sorted(
        session.execute(per_message, params).all()
    )
    assert len(session.execute(grouped, params).all()) == 3


def test_clients_with_the_same_name_are_told_apart_by_date_of_birth(session, office, bewindvoerder):
    older = f.person(session, name="Jan", family_name="Vos", born=date(1948, 3, 1))
    younger = f.person(session, name="Jan", family_name="Vos", born=date(1991, 7, 9))
    other = f.person(session, name="Els", family_name="de Boer")
    for client in (older, younger, other):
        f.measure(session, client, MeasureKind.BESCHERMINGSBEWIND, office=office)
    rows = caseload(bewindvoerder, everything()).rows
    namesakes = {row.person_id: row for row in rows if row.namesake}
    assert set(namesakes) == {older.id, younger.id}
    assert namesakes[older.id].born == date(1948, 3, 1)
    only_one = caseload(bewindvoerder, everything(search="1948"))
    assert only_one.total == 0, "the search is on names; the birth date only tells them apart"
    filtered = caseload(bewindvoerder, everything(search="vos")).rows
    assert all(row.namesake for row in filtered), "a namesake stays one on a filtered page"
