"""Who represents a person, as an afnemer sees it: its own services only, one entry per
mandate with every service and action of its scope there, and the measures covering them."""

from datetime import timedelta

from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import AfnemerActor
from machtigen.mandates.models import MandateAction, MandateStatus, MeasureKind
from machtigen.mandates.representatives import representatives_of
from tests import factories
from tests.factories import T0


def test_the_listing_shows_own_services_names_and_actions(session, ctx_for, clock):
    mine = factories.afnemer(session)
    fin = factories.service(session, mine, ServiceCategory.FINANCIAL, code="b-fin")
    care = factories.service(session, mine, ServiceCategory.PERSONAL_CARE, code="a-care")
    theirs = factories.afnemer(session)
    foreign = factories.service(session, theirs, ServiceCategory.FINANCIAL, code="theirs")
    p, r, other = (factories.person(session) for _ in range(3))
    office = factories.office(session)
    first = factories.mandate(
        session,
        p,
        person=r,
        scope=[
            (fin, MandateAction.READ),
            (care, MandateAction.MANAGE_FOLDERS),
            (care, MandateAction.READ),
            (foreign, MandateAction.READ),
        ],
        valid_from=T0 - timedelta(days=40),
    )
    second = factories.mandate(session, p, office=office, scope=[(care, MandateAction.READ)])
    factories.mandate(session, p, person=other, scope=[(foreign, MandateAction.READ)])
    factories.mandate(
        session, p, person=other, scope=[(fin, MandateAction.READ)], status=MandateStatus.REVOKED
    )
    measure = factories.measure(session, p, MeasureKind.MENTORSCHAP, person=other)
    ctx = ctx_for(AfnemerActor(mine.id, clock.now(), name=mine.name))

    entries, more = representatives_of(ctx, p.bsn)

    assert not more
    assert [(e.basis, e.mandate_id or e.measure_register_id) for e in entries] == [
        ("voluntary_mandate", first.id),
        ("voluntary_mandate", second.id),
        ("legal_measure", measure.register_id),
    ]
    assert entries[0].representative_kind == "person"
    assert entries[0].representative_bsn == r.bsn
    assert entries[0].representative_name == r.full_name
    assert entries[0].service_codes == ("a-care", "b-fin")
    assert entries[0].actions == ("manage_folders", "read")
    assert entries[1].representative_kind == "office"
    assert entries[1].representative_kvk_number == office.kvk_number
    assert entries[1].representative_name == office.name
    assert entries[1].service_codes == ("a-care",)
    assert entries[2].service_codes == ("a-care",)
    page, more = representatives_of(ctx, p.bsn, offset=1, limit=1)
    assert [e.mandate_id for e in page] == [second.id] and more
