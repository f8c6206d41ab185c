"""The mandate check's compiled SQL gives exactly the bases the per-object policy check finds.

``representation_bases`` runs the policy's ``representation_basis`` rules compiled once to SQL
with parameters (machtigen/authz/prepared.py). On generated worlds (the list-consistency
worlds: mandates in every status on the edges of the moment asked, lapsed scopes, measures of
every kind), for every representative, represented person, service, action and moment, the
compiled answer must name the same mandates and measures as asking the policy row by row.
"""

from hypothesis import HealthCheck, given, settings

from machtigen.afnemers.models import Service
from machtigen.authz.actors import PersonActor, StaffActor
from machtigen.authz.adapter import bound_session
from machtigen.authz.prepared import Params
from machtigen.authz.resources import RepresentationQuery
from machtigen.identity.models import Office, Person
from machtigen.mandates.check import representation_bases
from machtigen.mandates.models import LegalMeasure, Mandate, MandateScope
from tests.authz.test_list_consistency import MOMENTS, _build, mandates, measures

ACTIONS = ("read", "manage_consents", "read_personal_data")
"""Two service actions, and one the basis rules never allow (it is not per service)."""


def _per_object(session, authz, actor, query, scopes, measures):
    """The bases found by asking the policy about each of the person's rows in turn."""
    found = set()
    with bound_session(session):
        for scope in scopes:
            if authz.holds("representation_basis", actor, query, scope):
                found.add(("voluntary_mandate", scope.mandate_id))
        for measure in measures:
            if authz.holds("representation_basis", actor, query, measure):
                found.add(("legal_measure", measure.register_id))
    return found


def _compiled(ctx, kind, representative_id, query, at):
    rows = representation_bases(
        ctx,
        kind,
        representative_id,
        query.person_id,
        query.service_id,
        query.category,
        query.action,
        at,
    )
    return {(row.basis, row.mandate_id or row.measure_register_id) for row in rows}


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mandate_specs=mandates, measure_specs=measures)
def test_compiled_bases_equal_the_per_object_policy(
    session, authz, ctx_for, operator_ctx, mandate_specs, measure_specs
):
    savepoint = session.begin_nested()
    try:
        _build(session, mandate_specs, measure_specs, [])
        representatives = [(PersonActor, p.id) for p in session.query(Person)] + [
            (StaffActor, o.id) for o in session.query(Office)
        ]
        subjects = {m.represented_person_id for m in session.query(Mandate)} | {
            m.subject_person_id for m in session.query(LegalMeasure)
        }
        services = session.query(Service).all()
        for kind, representative_id in representatives:
            for person_id in subjects:
                scopes = session.query(MandateScope).filter_by(represented_person_id=person_id)
                scopes = scopes.all()
                measures_of = session.query(LegalMeasure).filter_by(subject_person_id=person_id)
                measures_of = measures_of.all()
                for service in services:
                    for action in ACTIONS:
                        for at in MOMENTS:
                            actor = (
                                PersonActor(representative_id, at)
                                if kind is PersonActor
                                else StaffActor(representative_id, representative_id, at)
                            )
                            query = RepresentationQuery(
                                person_id,
                                service.id,
                                service.afnemer_id,
                                str(service.category),
                                action,
                            )
                            compiled = _compiled(operator_ctx, kind, representative_id, query, at)
                            per_object = _per_object(
                                session, authz, actor, query, scopes, measures_of
                            )
                            assert compiled == per_object, (
                                kind.__name__,
                                action,
                                at,
                            )
                            assert bool(compiled) == authz.is_allowed(session, actor, "act", query)
    finally:
        savepoint.rollback()


def test_a_rule_that_looks_at_an_unused_value_is_refused(authz):
    """The stand-in guard: a shape must name every value its rule compares."""
    params = Params()
    actor = PersonActor(params.uuid("representative_id"), params.moment("at"))
    query = RepresentationQuery(
        params.uuid("person_id"),
        params.unused_uuid("service_id"),
        params.unused_uuid("afnemer_id"),
        "financial",
        "read",
    )
    try:
        authz.rules.rule_filter(
            "representation_basis", actor, query, result=MandateScope, params=params
        )
    except ValueError as error:
        assert "service_id" in str(error)
    else:
        raise AssertionError("a rule comparing an unused stand-in must not compile")


def test_a_parameter_the_rule_never_compares_is_refused(authz):
    params = Params()
    actor = PersonActor(params.uuid("representative_id"), params.moment("at"))
    query = RepresentationQuery(
        params.uuid("person_id"),
        params.uuid("service_id"),
        params.unused_uuid("afnemer_id"),
        "financial",
        "read",
    )
    try:
        authz.rules.rule_filter(
            "representation_basis", actor, query, result=LegalMeasure, params=params
        )
    except ValueError as error:
        assert "never compares" in str(error) and "service_id" in str(error)
    else:
        raise AssertionError("a parameter the rule ignores must be reported")
