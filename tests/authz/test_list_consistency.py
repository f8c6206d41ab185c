"""For every actor, the list filtered in SQL equals the objects the per-object check allows.

Worlds are generated: people, offices, services of each category, voluntary mandates in
every status with validity periods on the edges of the decision moment, lapsed scopes,
legal measures of every kind starting and ending on those edges, messages on every channel.
"""

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from machtigen.accounts.models import Folder
from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import AfnemerActor, PersonActor
from machtigen.consents.models import Channel
from machtigen.identity.models import Person
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import Mandate, MandateAction, MandateStatus, MeasureKind
from machtigen.messages.models import Message
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
    st.tuples(st.integers(0, PEOPLE - 1), st.integers(0, 2), st.sampled_from(list(Channel))),
    max_size=10,
)


def _build(session, mandate_specs, measure_specs, message_specs):
    tax = f.afnemer(session)
    rdw = f.afnemer(session)
    services = [
        f.service(session, tax, ServiceCategory.FINANCIAL),
        f.service(session, rdw, ServiceCategory.OTHER),
        f.service(session, rdw, ServiceCategory.PERSONAL_CARE),
    ]
    people = [f.person(session) for _ in range(PEOPLE)]
    offices = [f.office(session) for _ in range(OFFICES)]
    staff = [f.staff(session, office) for office in offices]
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
    for person_index, service_index, channel in message_specs:
        f.message(session, people[person_index], services[service_index], channel=channel)
    session.flush()
    actors = (
        [PersonActor(p.id, T0) for p in people]
        + [staff_actor(session, s, T0) for s in staff]
        + [AfnemerActor(tax.id, T0), AfnemerActor(rdw.id, T0)]
    )
    return actors


LISTS = [
    (Message, "read"),
    (Message, "receive_notifications"),
    (Message, "view_status"),
    (Person, "act_for"),
    (Person, "read_personal_data"),
    (Mandate, "read"),
    (Folder, "manage"),
]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mandate_specs=mandates, measure_specs=measures, message_specs=messages)
def test_sql_list_equals_per_object_check(
    session, authz, mandate_specs, measure_specs, message_specs
):
    savepoint = session.begin_nested()
    try:
        actors = _build(session, mandate_specs, measure_specs, message_specs)
        for model, action in LISTS:
            every_row = session.query(model).all()
            for actor in actors:
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
    return row.id


def test_generated_worlds_do_grant_something(session, authz):
    """Guards the test above against vacuity: an edge-valid mandate and measure do list rows."""
    actors = _build(
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
        [(0, 0, Channel.DIGITAL), (2, 1, Channel.BOTH)],
    )
    rep, staff = actors[1], actors[PEOPLE]
    assert len(session.scalars(authz.select(rep, "read", Message)).all()) == 1
    assert len(session.scalars(authz.select(staff, "read", Message)).all()) == 1
    assert len(session.scalars(authz.select(staff, "act_for", Person)).all()) == 1
