"""For every actor, the list filtered in SQL equals the objects the per-object check allows.

Worlds are generated: people, offices, services of each category, voluntary mandates in
every status with validity periods on the edges of the decision moment, lapsed scopes,
legal measures of every kind starting and ending on those edges, messages on every channel
(with deadlines around today, some archived, some read by a representative), and offices
that divide their clients among their staff (an administrator and an employee per office).
The caseload is held to the same standard: its clients, unread counts, next deadlines and
bases are what the per-object checks allow.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from machtigen.accounts.models import Account, Folder
from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import AfnemerActor, PersonActor
from machtigen.caseload.service import CaseloadFilter, caseload
from machtigen.consents.models import Channel
from machtigen.identity.models import Person
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import (
    LegalMeasure,
    Mandate,
    MandateAction,
    MandateStatus,
    MeasureKind,
)
from machtigen.messages.models import Message, MessageRead
from tests import factories as f

T0 = f.T0
EDGE = timedelta(microseconds=1)
MOMENTS = [T0 - timedelta(days=30), T0 - EDGE, T0, T0 + EDGE, T0 + timedelta(days=30)]
PEOPLE, OFFICES = 4, 2

moment = st.sampled_from(MOMENTS)
representative = st.one_of(
    st.tuples(st.just("person"), st.integers(0, PEOPLE - 1)),
    st.tuples(st.just("office"), st.integers(0, OFFICES - 1)),
)
scope_item = st.tuples(
    st.one_of(st.none(), st.integers(0, 2)), st.sampled_from(list(MandateAction))
)
mandates = st.lists(
    st.fixed_dictionaries(
        {
            "represented": st.integers(0, PEOPLE - 1),
            "rep": representative,
            "status": st.sampled_from(list(MandateStatus)),
            "period": st.tuples(moment, moment).filter(lambda p: p[0] < p[1]),
            "scope": st.lists(scope_item, min_size=1, max_size=4, unique=True),
            "lapsed": st.booleans(),
        }
    ),
    max_size=6,
)
measures = st.lists(
    st.fixed_dictionaries(
        {
            "subject": st.integers(0, PEOPLE - 1),
            "rep": representative,
            "kind": st.sampled_from(list(MeasureKind)),
            "starts": moment,
            "ends": st.one_of(st.none(), moment),
        }
    ).filter(lambda m: m["ends"] is None or m["starts"] < m["ends"]),
    max_size=4,
)
messages = st.lists(
    st.tuples(
        st.integers(0, PEOPLE - 1),
        st.integers(0, 2),
        st.sampled_from(list(Channel)),
        st.sampled_from([None, -1, 0, 3]),
        st.booleans(),
    ),
    max_size=10,
)
# (office, person): the person is assigned to the office's employee; the office divides.
assignments = st.lists(
    st.tuples(st.integers(0, OFFICES - 1), st.integers(0, PEOPLE - 1)), max_size=3, unique=True
)
# (message, representative): that representative (a person or a staff member) opened it.
reads = st.lists(st.tuples(st.integers(0, 9), st.integers(0, PEOPLE + 2 * OFFICES - 1)))
TODAY = T0.date()


@dataclass
class World:
    actors: list
    representatives: list
    people: list
    messages: list


def _build(
    session, mandate_specs, measure_specs, message_specs, assignment_specs=(), read_specs=()
):
    tax = f.afnemer(session)
    rdw = f.afnemer(session)
    services = [
        f.service(session, tax, ServiceCategory.FINANCIAL),
        f.service(session, rdw, ServiceCategory.OTHER),
        f.service(session, rdw, ServiceCategory.PERSONAL_CARE),
    ]
    people = [f.person(session) for _ in range(PEOPLE)]
    offices = [f.office(session) for _ in range(OFFICES)]
    staff = [
        f.staff(session, office, is_admin=admin) for office in offices for admin in (False, True)
    ]
    for person in people:
        session.add(Folder(person_id=person.id, name="Archief", created_at=T0))

    def rep_kwargs(rep):
        kind, index = rep
        return {"person": people[index]} if kind == "person" else {"office": offices[index]}

    lapsing = f.measure(
        session,
        people[0],
        MeasureKind.WSNP,
        person=people[1],
        starts_at=T0 - timedelta(days=90),
        ends_at=T0 - timedelta(days=60),
    )
    for spec in mandate_specs:
        valid_scope = [
            (services[svc] if action != MandateAction.READ_PERSONAL_DATA else None, action)
            for svc, action in spec["scope"]
            if (svc is None) == (action == MandateAction.READ_PERSONAL_DATA)
        ] or [(None, MandateAction.READ_PERSONAL_DATA)]
        mandate = f.mandate(
            session,
            people[spec["represented"]],
            scope=valid_scope,
            status=spec["status"],
            valid_from=spec["period"][0],
            valid_until=spec["period"][1],
            **rep_kwargs(spec["rep"]),
        )
        if spec["lapsed"]:
            first = session.query(f.MandateScope).filter_by(mandate_id=mandate.id).first()
            first.lapsed_by_measure_id = lapsing.id
    for spec in measure_specs:
        f.measure(
            session,
            people[spec["subject"]],
            spec["kind"],
            starts_at=spec["starts"],
            ends_at=spec["ends"],
            **rep_kwargs(spec["rep"]),
        )
    posted = [
        f.message(
            session,
            people[person_index],
            services[service_index],
            channel=channel,
            deadline=None if days is None else TODAY + timedelta(days=days),
            archived_at=T0 - timedelta(hours=1) if archived else None,
        )
        for person_index, service_index, channel, days, archived in message_specs
    ]
    for office_index, person_index in assignment_specs:
        f.assign(session, staff[2 * office_index], people[person_index])
    session.flush()
    representatives = [PersonActor(p.id, T0, loa="midden") for p in people] + [
        staff_actor(session, s, T0, loa="EH3") for s in staff
    ]
    for message_index, reader_index in set(read_specs):
        if message_index < len(posted):
            reader = representatives[reader_index]
            session.add(
                MessageRead(
                    message_id=posted[message_index].id,
                    reader_kind=reader.kind,
                    reader_id=reader.key,
                    read_at=T0,
                )
            )
    session.flush()
    actors = [*representatives, AfnemerActor(tax.id, T0), AfnemerActor(rdw.id, T0)]
    return World(actors, representatives, people, posted)


LISTS = [
    (Message, "read"),
    (Message, "receive_notifications"),
    (Message, "view_status"),
    (Person, "act_for"),
    (Person, "read_personal_data"),
    (Mandate, "read"),
    (Mandate, "act_under"),
    (LegalMeasure, "act_under"),
    (Account, "read"),
    (Folder, "manage"),
]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mandate_specs=mandates,
    measure_specs=measures,
    message_specs=messages,
    assignment_specs=assignments,
)
def test_sql_list_equals_per_object_check(
    session, authz, mandate_specs, measure_specs, message_specs, assignment_specs
):
    savepoint = session.begin_nested()
    try:
        world = _build(session, mandate_specs, measure_specs, message_specs, assignment_specs)
        for model, action in LISTS:
            every_row = session.query(model).all()
            for actor in world.actors:
                listed = {
                    row_key(row) for row in session.scalars(authz.select(actor, action, model))
                }
                checked = {
                    row_key(row)
                    for row in every_row
                    if authz.is_allowed(session, actor, action, row)
                }
                assert listed == checked, f"{type(actor).__name__} {action} {model.__name__}"
    finally:
        savepoint.rollback()


def row_key(row):
    return getattr(row, "id", None) or row.person_id


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mandate_specs=mandates,
    measure_specs=measures,
    message_specs=messages,
    assignment_specs=assignments,
    read_specs=reads,
)
def test_caseload_equals_per_object_checks(
    session, ctx_for, mandate_specs, measure_specs, message_specs, assignment_specs, read_specs
):
    savepoint = session.begin_nested()
    try:
        world = _build(
            session, mandate_specs, measure_specs, message_specs, assignment_specs, read_specs
        )
        for actor in world.representatives:
            ctx = ctx_for(actor)
            listed = {
                row.person_id: (row.unread, row.next_deadline, row.basis)
                for row in caseload(ctx, CaseloadFilter(page_size=200)).rows
            }
            assert listed == _expected_caseload(ctx, world), actor
    finally:
        savepoint.rollback()


def _expected_caseload(ctx, world):
    """The caseload from per-object checks only: act_for, read, act_under, one by one."""
    expected = {}
    measures = ctx.session.query(LegalMeasure).all()
    for person in world.people:
        if not ctx.is_allowed("act_for", person):
            continue
        readable = [
            message
            for message in world.messages
            if message.person_id == person.id
            and message.archived_at is None
            and ctx.is_allowed("read", message)
        ]
        unread = sum(1 for message in readable if not _read_by(ctx, message))
        deadlines = [m.deadline for m in readable if m.deadline and m.deadline >= TODAY]
        next_deadline = datetime.combine(min(deadlines), time(), UTC) if deadlines else None
        under_measure = any(
            m.subject_person_id == person.id and ctx.is_allowed("act_under", m) for m in measures
        )
        basis = "legal_measure" if under_measure else "voluntary_mandate"
        expected[person.id] = (unread, next_deadline, basis)
    return expected


def _read_by(ctx, message):
    return (
        ctx.session.query(MessageRead)
        .filter_by(message_id=message.id, reader_kind=ctx.actor.kind, reader_id=ctx.actor.key)
        .first()
        is not None
    )


def test_generated_worlds_do_grant_something(session, authz, ctx_for):
    """Guards the test above against vacuity: an edge-valid mandate and measure do list rows."""
    world = _build(
        session,
        [
            {
                "represented": 0,
                "rep": ("person", 1),
                "status": MandateStatus.ACTIVE,
                "period": (T0, T0 + EDGE),
                "scope": [(0, MandateAction.READ)],
                "lapsed": False,
            }
        ],
        [
            {
                "subject": 2,
                "rep": ("office", 0),
                "kind": MeasureKind.CURATELE,
                "starts": T0,
                "ends": T0 + EDGE,
            }
        ],
        [(0, 0, Channel.DIGITAL, 3, False), (2, 1, Channel.BOTH, None, False)],
        [(0, 2)],
    )
    rep, staff = world.actors[1], world.actors[PEOPLE]
    assert staff.office_divides_clients and not staff.is_admin
    assert len(session.scalars(authz.select(rep, "read", Message)).all()) == 1
    assert len(session.scalars(authz.select(staff, "read", Message)).all()) == 1
    assert len(session.scalars(authz.select(staff, "act_for", Person)).all()) == 1
    [row] = caseload(ctx_for(rep), CaseloadFilter()).rows
    assert (row.person_id, row.unread, row.basis) == (world.people[0].id, 1, "voluntary_mandate")
    assert row.next_deadline is not None
    assert row.next_deadline.date() == TODAY + timedelta(days=3)
    [row] = caseload(ctx_for(staff), CaseloadFilter()).rows
    assert (row.person_id, row.unread, row.basis) == (world.people[2].id, 1, "legal_measure")
