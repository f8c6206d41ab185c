"""Policy queries compiled once per kind of actor: the actor's values travel as parameters."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import select

from machtigen.authz.actors import StaffActor
from machtigen.authz.templates import QueryTemplates
from machtigen.identity.models import Person
from machtigen.mandates.models import LegalMeasure, MeasureKind
from tests import factories as f

T0 = f.T0


@dataclass(frozen=True)
class Asker:
    person_id: UUID
    at: datetime
    is_admin: bool = False
    name: str = ""


class Compiler:
    """Stands in for oso: counts compilations, builds a filter from the actor's values."""

    def __init__(self, shape_follows_moment: bool = False) -> None:
        self.calls = 0
        self.shape_follows_moment = shape_follows_moment

    def __call__(self, actor, action, model):
        self.calls += 1
        statement = select(Person).where(Person.id == actor.person_id)
        if actor.is_admin is True:
            statement = select(Person)
        if self.shape_follows_moment and actor.at.year > 2000:
            statement = statement.where(Person.created_at < actor.at)
        return statement


def ids(session, statement, params=None):
    return {row.id for row in session.scalars(statement, params or {})}


def test_one_compilation_serves_every_actor_of_a_kind(session):
    first, second = f.person(session), f.person(session)
    compiler = Compiler()
    templates = QueryTemplates(compiler)
    for person in (first, second, first):
        asker = Asker(person.id, T0, name=person.full_name)
        assert ids(session, templates.select(asker, "read", Person)) == {person.id}
        prepared = templates.prepared(asker, "read", Person)
        assert prepared.reusable
        assert ids(session, prepared.statement, prepared.params) == {person.id}
    assert compiler.calls == 2  # two stand-in compilations, then none


def test_fields_the_policy_branches_on_are_part_of_the_key_with_their_type(session):
    person, other = f.person(session), f.person(session)
    compiler = Compiler()
    templates = QueryTemplates(compiler)
    assert ids(session, templates.select(Asker(person.id, T0, is_admin=1), "read", Person)) == {
        person.id
    }
    # 1 == True in Python, but the policy (like Polar) tells them apart.
    everyone = ids(session, templates.select(Asker(person.id, T0, is_admin=True), "read", Person))
    assert {person.id, other.id} <= everyone


def test_a_query_whose_shape_follows_the_actors_values_is_compiled_every_time(session):
    person = f.person(session)
    compiler = Compiler(shape_follows_moment=True)
    templates = QueryTemplates(compiler)
    before = Asker(person.id, person.created_at - timedelta(days=1))
    after = Asker(person.id, person.created_at + timedelta(days=1))
    last_century = Asker(person.id, datetime(1999, 1, 1, tzinfo=UTC))
    assert ids(session, templates.select(before, "read", Person)) == set()
    assert ids(session, templates.select(after, "read", Person)) == {person.id}
    assert ids(session, templates.select(last_century, "read", Person)) == {person.id}
    assert not templates.prepared(after, "read", Person).reusable


def test_the_real_policy_binds_the_actor_of_each_call(session, authz):
    """Two offices, one template: each employee sees the measures of their own office."""
    offices = [f.office(session), f.office(session)]
    measures = [
        f.measure(session, f.person(session), MeasureKind.BESCHERMINGSBEWIND, office=office)
        for office in offices
    ]
    for office, measure in zip(offices, measures, strict=True):
        actor = StaffActor(uuid4(), office.id, T0, office_divides_clients=False)
        listed = session.scalars(authz.select(actor, "act_under", LegalMeasure)).all()
        assert [row.id for row in listed] == [measure.id]
        prepared = authz.prepared(actor, "act_under", LegalMeasure)
        assert [row.id for row in session.scalars(prepared.statement, prepared.params)] == [
            measure.id
        ]
    # Before the measure started, the same template says no.
    actor = StaffActor(uuid4(), offices[0].id, datetime(2000, 1, 1, tzinfo=UTC))
    assert session.scalars(authz.select(actor, "act_under", LegalMeasure)).all() == []
