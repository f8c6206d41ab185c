"""The filter compiler: compiled once per shape, the values travel as parameters, and a
filter that the values change (compiled twice with different stand-ins) is never reused."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from machtigen.authz.actors import StaffActor
from machtigen.authz.prepared import FilterCompiler, Params, Unsound
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

    def __call__(self, rule, args, model):
        assert rule == "allow"
        actor, _action = args
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
    templates = FilterCompiler(compiler)
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
    templates = FilterCompiler(compiler)
    assert ids(session, templates.select(Asker(person.id, T0, is_admin=1), "read", Person)) == {
        person.id
    }
    # 1 == True in Python, but the policy (like Polar) tells them apart.
    everyone = ids(session, templates.select(Asker(person.id, T0, is_admin=True), "read", Person))
    assert {person.id, other.id} <= everyone


def test_a_query_whose_shape_follows_the_actors_values_is_compiled_every_time(session):
    person = f.person(session)
    compiler = Compiler(shape_follows_moment=True)
    templates = FilterCompiler(compiler)
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


def _asker_rule(where):
    """A compiler for a made-up rule over one Asker: ``where(asker)`` is its filter."""

    def compile_rule(rule, args, model):
        (asker,) = args
        return select(Person).where(*where(asker))

    return compile_rule


def test_explicit_parameters_are_bound_by_their_names(session):
    person = f.person(session)
    rule = _asker_rule(lambda a: (Person.id == a.person_id, Person.created_at <= a.at))
    params = Params()
    asker = Asker(params.uuid("who"), params.moment("when"))
    statement = FilterCompiler(rule).rule_filter("r", asker, result=Person, params=params)
    assert ids(session, statement, {"who": person.id, "when": person.created_at}) == {person.id}
    earlier = person.created_at - timedelta(seconds=1)
    assert ids(session, statement, {"who": person.id, "when": earlier}) == set()


def test_a_rule_that_decides_on_a_parameter_is_refused():
    """Compared with a constant instead of a column: the second compilation (another
    century) gives other SQL, so no stand-in may be trusted."""
    rule = _asker_rule(
        lambda a: (Person.id == a.person_id, Person.non_resident == (a.at.year > 2000))
    )
    params = Params()
    asker = Asker(params.uuid("who"), params.unused_moment("when"))
    with pytest.raises(Unsound, match="changes with the values"):
        FilterCompiler(rule).rule_filter("r", asker, result=Person, params=params)


def test_a_parameter_inside_a_list_is_refused_and_the_listing_compiled_per_call(session):
    person = f.person(session)
    in_list = _asker_rule(lambda a: (Person.id.in_([a.person_id]),))
    params = Params()
    asker = Asker(params.uuid("who"), params.unused_moment("when"))
    with pytest.raises(Unsound, match="list"):
        FilterCompiler(in_list).rule_filter("r", asker, result=Person, params=params)

    def allow(rule, args, model):
        return in_list(rule, args[:1], model)

    compiler = FilterCompiler(allow)
    prepared = compiler.prepared(Asker(person.id, T0), "read", Person)
    assert not prepared.reusable
    assert ids(session, prepared.statement, prepared.params) == {person.id}


def test_oso_is_touched_only_inside_authz():
    """The fewer places use oso 0.27.3 (the last release of a deprecated library), the easier
    a move off it: its package only in the engine, the class registry and the filter
    compiler; polar's data-filtering types only in the adapter and the compiler; its private
    internals only in the compiler."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    allowed = {
        "oso": {"machtigen/authz/engine.py", "machtigen/authz/registry.py", PREPARED},
        "polar": {"machtigen/authz/adapter.py", PREPARED},
    }
    internals = ("build_data_filter", "TypeConstraint", "serialize_types", "ffi_polar")
    found: dict[str, set[str]] = {"oso": set(), "polar": set()}
    for package in ("machtigen", "api"):
        for path in (root / package).rglob("*.py"):
            name = path.relative_to(root).as_posix()
            source = path.read_text(encoding="utf-8")
            for node in ast.walk(ast.parse(source)):
                modules = []
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules = [node.module]
                for module in modules:
                    top = module.split(".")[0]
                    if top in found:
                        found[top].add(name)
            if name != PREPARED:
                assert not [word for word in internals if word in source], name
    assert found["oso"] <= allowed["oso"], found["oso"] - allowed["oso"]
    assert found["polar"] <= allowed["polar"], found["polar"] - allowed["polar"]
    assert PREPARED in found["polar"]


PREPARED = "machtigen/authz/prepared.py"


def test_a_shape_is_built_once_when_callers_ask_at_the_same_time():
    import threading
    import time

    builds = []

    def build():
        builds.append(1)
        time.sleep(0.05)
        return "built"

    compiler = FilterCompiler(Compiler())
    answers = []
    threads = [
        threading.Thread(target=lambda: answers.append(compiler.get(("shape",), build)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == ["built"] * 4
    assert len(builds) == 1
