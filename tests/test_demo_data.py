"""The demo data tells the sources' stories, and the policy reads them the way the stories say."""

from sqlalchemy import select

from machtigen import demo
from machtigen.accounts import service as accounts
from machtigen.accounts.models import Account, AccountState
from machtigen.afnemers.models import Afnemer
from machtigen.authz.actors import PersonActor
from machtigen.caseload.service import CaseloadFilter, caseload
from machtigen.identity.bsn import is_valid_bsn
from machtigen.identity.correspondence import correspondence_language, login_means
from machtigen.identity.models import EidasIdentity, Office, OfficeStaff, Person
from machtigen.identity.service import staff_actor
from machtigen.mandates import service as mandates
from machtigen.messages import service as messages


def person(session, bsn):
    return session.scalars(select(Person).where(Person.bsn == bsn)).one()


def load(session, authz, clock):
    assert demo.load_demo_data(session, authz, clock.now())
    assert not demo.load_demo_data(session, authz, clock.now())


def test_all_demo_bsns_pass_the_elfproef():
    bsns = [
        demo.KOEN_BSN,
        demo.CORRY_BSN,
        demo.PIET_BSN,
        demo.MONIQUE_BSN,
        demo.SANNE_BSN,
        demo.CHRISTINA_BSN,
        demo.LISA_BSN,
        *demo.PIET_CLIENT_BSNS,
    ]
    assert all(is_valid_bsn(bsn) for bsn in bsns)
    assert len(set(bsns)) == len(bsns)


def test_the_stories(session, authz, clock, ctx_for):
    load(session, authz, clock)
    koen = person(session, demo.KOEN_BSN)
    koen_account = session.get(Account, koen.id)
    assert (koen_account.state, koen_account.email) == (AccountState.ACTIVATED, None)
    koen_ctx = ctx_for(PersonActor(koen.id, clock.now(), loa="midden"))
    [apk] = messages.readable_messages(koen_ctx)
    assert "APK" in apk.subject and apk.deadline is not None
    assert not messages.is_read_by_owner(koen_ctx, apk)

    office = session.scalars(select(Office).where(Office.kvk_number == demo.PIET_OFFICE_KVK)).one()
    piet_staff = session.scalars(
        select(OfficeStaff).where(OfficeStaff.employee_id == demo.PIET_EMPLOYEE_ID)
    ).one()
    assert (piet_staff.office_id, piet_staff.is_admin) == (office.id, True)
    piet_ctx = ctx_for(staff_actor(session, piet_staff, clock.now(), loa="EH3"))
    clients = mandates.clients_of_actor(piet_ctx)
    assert len(clients) == 10
    first_client = person(session, demo.PIET_CLIENT_BSNS[0])
    client_post = messages.readable_messages(piet_ctx, person_id=first_client.id)
    tax = session.scalars(select(Afnemer).where(Afnemer.name == "Belastingdienst")).one()
    assert [m.afnemer_id for m in client_post] == [tax.id]
    own_view = messages.readable_messages(
        ctx_for(PersonActor(first_client.id, clock.now(), loa="midden"))
    )
    assert len(own_view) == 2  # her care post exists, Piet just cannot see it

    # The caseload: Piet (administrator) all ten, one unread tax message each; Eva her three.
    page = caseload(piet_ctx, CaseloadFilter())
    assert page.total == 10
    assert {(row.basis_kind, row.unread) for row in page.rows} == {("beschermingsbewind", 1)}
    assert page.rows[0].person_id == first_client.id  # the earliest deadline first
    eva = session.scalars(
        select(OfficeStaff).where(OfficeStaff.employee_id == demo.EVA_EMPLOYEE_ID)
    ).one()
    eva_page = caseload(
        ctx_for(staff_actor(session, eva, clock.now(), loa="EH3")), CaseloadFilter()
    )
    assert eva_page.total == demo.EVA_CLIENTS
    assert first_client.id in {row.person_id for row in eva_page.rows}

    monique = person(session, demo.MONIQUE_BSN)
    sanne = person(session, demo.SANNE_BSN)
    monique_ctx = ctx_for(PersonActor(monique.id, clock.now(), loa="midden"))
    assert [c.id for c in mandates.clients_of_actor(monique_ctx)] == [sanne.id]
    assert messages.readable_messages(monique_ctx, person_id=sanne.id)

    christina = person(session, demo.CHRISTINA_BSN)
    identity = session.scalars(
        select(EidasIdentity).where(EidasIdentity.person_identifier == demo.CHRISTINA_EIDAS)
    ).one()
    assert identity.person_id == christina.id and christina.non_resident

    # Christina reads her post (and letters) in English and logs in with her eID, not DigiD.
    assert correspondence_language(session, christina) == "en"
    assert login_means(session, christina) == ["eidas"]

    lisa = person(session, demo.LISA_BSN)
    assert session.get(Account, lisa.id).email == "lisa.hendriks@example.org"

    staff_addresses = {
        member.employee_id: member.email
        for member in session.scalars(select(OfficeStaff).where(OfficeStaff.office_id == office.id))
    }
    assert staff_addresses == {
        demo.PIET_EMPLOYEE_ID: demo.PIET_STAFF_EMAIL,
        demo.EVA_EMPLOYEE_ID: demo.EVA_STAFF_EMAIL,
        demo.SARA_EMPLOYEE_ID: None,
    }


def test_only_organisations_that_joined_later_and_can_concern_someone_are_new(
    session, authz, clock, ctx_for
):
    """Issue 15: Koen is asked about CAK only; Christina in Madrid about nothing local;
    Monique (mailbox off) about nothing; Corry neither once she switched off."""
    load(session, authz, clock)

    def asked(bsn):
        someone = person(session, bsn)
        ctx = ctx_for(PersonActor(someone.id, clock.now(), loa="midden"))
        return [a.name for a in accounts.afnemers_to_ask_about(ctx, someone.id)]

    assert asked(demo.KOEN_BSN) == ["CAK"]
    assert asked(demo.CHRISTINA_BSN) == ["CAK"]
    assert asked(demo.MONIQUE_BSN) == []
    corry = person(session, demo.CORRY_BSN)
    accounts.deactivate(ctx_for(PersonActor(corry.id, clock.now(), loa="midden")), corry.id)
    assert asked(demo.CORRY_BSN) == []


def test_every_account_was_created_before_anything_happened_on_it(session, authz, clock):
    load(session, authz, clock)
    for account in session.scalars(select(Account)):
        assert account.activated_at is None or account.created_at < account.activated_at
