"""A mandate that lapsed under a court measure says so to the afnemer once the measure ended:
``superseded_by_legal_measure`` while the measure is in force, ``mandate_lapsed`` after."""

from datetime import timedelta

from machtigen.mandates.models import MandateAction, MeasureKind
from machtigen.mandates.service import MeasureRecord, Representative, end_measure, record_measure
from tests import factories
from tests.api_v1.test_mandate_check import ask, world  # noqa: F401 - the fixture


def test_the_reason_follows_the_measure(api, session, world, register_ctx, clock):  # noqa: F811
    p, r, fin = world["p"], world["r"], world["fin"]
    factories.mandate(session, p, person=r, scope=[(fin, MandateAction.READ)])
    bewindvoerder = factories.person(session)
    record_measure(
        register_ctx,
        MeasureRecord(
            register_id="CCBR-lapse",
            subject_person_id=p.id,
            kind=MeasureKind.BESCHERMINGSBEWIND,
            representative=Representative(person_id=bewindvoerder.id),
            starts_at=clock.now() - timedelta(days=30),
        ),
    )
    answer = ask(api, world["headers"], r, p)
    assert (answer["allowed"], answer["reason"]) == (False, "superseded_by_legal_measure")

    end_measure(register_ctx, "CCBR-lapse", clock.now() - timedelta(days=1))
    session.flush()
    answer = ask(api, world["headers"], r, p)
    assert (answer["allowed"], answer["reason"]) == (False, "mandate_lapsed")
    # Asked about a moment while the measure was in force, the answer is as it was then.
    earlier = (clock.now() - timedelta(days=10)).isoformat()
    assert ask(api, world["headers"], r, p, at=earlier)["reason"] == "superseded_by_legal_measure"


def test_the_published_reasons_name_it(api):
    spec = api.get("/api/v1/openapi.json").json()
    assert "mandate_lapsed" in str(spec["components"]["schemas"])
