"""An office administrator divides the office's clients among its staff."""

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import AfnemerActor, PersonActor, StaffActor
from machtigen.clients.keys import ApiTokenConfig
from machtigen.errors import Conflict, Forbidden, NotFound
from machtigen.identity import assignments
from machtigen.identity.acting_tokens import issue, read
from machtigen.identity.errors import ClientNotFound, OfficeNotFound, StaffNotFound
from machtigen.identity.loa import StepUpRequired
from machtigen.identity.models import Office, StaffAssignment
from machtigen.identity.service import staff_actor
from machtigen.keys import SigningKey
from machtigen.mandates.models import MandateAction, MeasureKind
from machtigen.messages import service as messages
from machtigen.notifications.models import Notification
from tests import factories as f

T0 = f.T0


@pytest.fixture
def office(session):
    return f.office(session)


@pytest.fixture
def admin(session, office):
    return f.staff(session, office, is_admin=True)


@pytest.fixture
def employee(session, office):
    return f.staff(session, office)


@pytest.fixture
def colleague(session, office):
    return f.staff(session, office)


@pytest.fixture
def clients(session, office):
    """Two clients under bewind of the office, one by a voluntary mandate."""
    tax = f.service(session, f.afnemer(session), ServiceCategory.FINANCIAL)
    bewind = [f.person(session, family_name=name) for name in ("de Boer", "Bakker")]
    for client in bewind:
        f.measure(session, client, MeasureKind.BESCHERMINGSBEWIND, office=office)
    mandated = f.person(session, family_name="Visser")
    f.mandate(session, mandated, office=office, scope=[(tax, MandateAction.READ)])
    return [*bewind, mandated]


def as_staff(ctx_for, session, member, loa="EH3"):
    return ctx_for(staff_actor(session, member, T0, loa=loa))


def acts_for(ctx_for, session, member, client) -> bool:
    return as_staff(ctx_for, session, member).is_allowed("act_for", client)


def events(session, action):
    return session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    ).all()


def test_the_first_assignment_divides_the_office(
    session, ctx_for, office, admin, employee, colleague, clients
):
    first, second, third = clients
    assert all(acts_for(ctx_for, session, colleague, client) for client in clients)

    assignments.assign_client(as_staff(ctx_for, session, admin), employee.id, first.id)

    assert session.get(Office, office.id).assigns_clients
    assert acts_for(ctx_for, session, employee, first)
    assert not acts_for(ctx_for, session, employee, second)
    assert not any(acts_for(ctx_for, session, colleague, client) for client in clients)
    assert all(acts_for(ctx_for, session, admin, client) for client in clients)
    [assigned] = events(session, "office.client_assigned")
    assert (assigned.subject_person_id, assigned.actor_id) == (first.id, str(admin.id))
    assert assigned.detail["staff_id"] == str(employee.id)
    assert assigned.ip == "192.0.2.10"
    [started] = events(session, "office.assignments_started")
    assert started.object_id == str(office.id)

    # The same assignment again changes nothing and records nothing.
    assignments.assign_client(as_staff(ctx_for, session, admin), employee.id, first.id)
    assignments.assign_client(as_staff(ctx_for, session, admin), employee.id, third.id)
    assert len(events(session, "office.client_assigned")) == 2
    assert len(events(session, "office.assignments_started")) == 1
    assert acts_for(ctx_for, session, employee, third)


def test_removing_the_last_assignment_opens_the_office_again(
    session, ctx_for, office, admin, employee, colleague, clients
):
    first = clients[0]
    admin_ctx = as_staff(ctx_for, session, admin)
    assignments.assign_client(admin_ctx, employee.id, first.id)
    assignments.assign_client(admin_ctx, colleague.id, first.id)

    assignments.unassign_client(admin_ctx, colleague.id, first.id)
    assert session.get(Office, office.id).assigns_clients
    assert not acts_for(ctx_for, session, colleague, first)
    assignments.unassign_client(admin_ctx, employee.id, first.id)
    assert not session.get(Office, office.id).assigns_clients
    assert acts_for(ctx_for, session, colleague, first)
    removed = events(session, "office.client_unassigned")
    assert [(e.subject_person_id, e.detail["staff_id"]) for e in removed] == [
        (first.id, str(colleague.id)),
        (first.id, str(employee.id)),
    ]
    assert len(events(session, "office.assignments_ended")) == 1
    # Removing what is not there changes nothing.
    assignments.unassign_client(admin_ctx, employee.id, first.id)
    assert len(events(session, "office.client_unassigned")) == 2


def test_the_overview_of_assignments(session, ctx_for, admin, employee, colleague, clients):
    admin_ctx = as_staff(ctx_for, session, admin)
    for member, client in [(employee, clients[2]), (employee, clients[0]), (colleague, clients[1])]:
        assignments.assign_client(admin_ctx, member.id, client.id)
    overview = assignments.assignments_of_office(admin_ctx, admin.office_id)
    # Dutch order of the clients' names: Bakker, de Boer, Visser.
    assert [(a.client_person_id, a.staff_id) for a in overview] == [
        (clients[1].id, colleague.id),
        (clients[0].id, employee.id),
        (clients[2].id, employee.id),
    ]
    assert overview[0].staff_name == colleague.name
    assert overview[0].client_name == clients[1].full_name
    assert overview[0].assigned_at == T0
    staff = assignments.staff_of_office(admin_ctx, admin.office_id)
    assert {member.id for member in staff} == {admin.id, employee.id, colleague.id}


def test_only_an_administrator_of_the_office_assigns(
    session, ctx_for, office, admin, employee, colleague, clients
):
    client = clients[0]
    colleague_ctx = as_staff(ctx_for, session, colleague)
    for attempt in (
        lambda: assignments.assign_client(colleague_ctx, employee.id, client.id),
        lambda: assignments.unassign_client(colleague_ctx, employee.id, client.id),
        lambda: assignments.assignments_of_office(colleague_ctx, office.id),
        lambda: assignments.staff_of_office(colleague_ctx, office.id),
    ):
        with pytest.raises(Forbidden) as refused:
            attempt()
        assert refused.value.status_code == 403

    other_office = f.office(session)
    other_admin = as_staff(ctx_for, session, f.staff(session, other_office, is_admin=True))
    with pytest.raises(StaffNotFound):
        assignments.assign_client(other_admin, employee.id, client.id)
    with pytest.raises(OfficeNotFound):
        assignments.assignments_of_office(other_admin, office.id)
    person_ctx = ctx_for(PersonActor(client.id, T0, loa="substantieel"))
    with pytest.raises(StaffNotFound):
        assignments.assign_client(person_ctx, employee.id, client.id)
    with pytest.raises(NotFound):
        assignments.assign_client(
            as_staff(ctx_for, session, admin), f.office(session).id, client.id
        )
    assert session.scalars(select(StaffAssignment)).all() == []
    assert events(session, "office.client_assigned") == []


def test_only_clients_of_the_office_and_active_staff_are_assigned(
    session, ctx_for, office, admin, employee, clients
):
    admin_ctx = as_staff(ctx_for, session, admin)
    stranger = f.person(session)
    former = f.person(session)
    f.measure(session, former, MeasureKind.BESCHERMINGSBEWIND, office=office, ends_at=T0)
    other_offices_client = f.person(session)
    f.measure(session, other_offices_client, MeasureKind.CURATELE, office=f.office(session))
    for person_id in (stranger.id, former.id, other_offices_client.id, f.office(session).id):
        with pytest.raises(ClientNotFound):
            assignments.assign_client(admin_ctx, employee.id, person_id)
    employee.active = False
    session.flush()
    with pytest.raises(Conflict):
        assignments.assign_client(admin_ctx, employee.id, clients[0].id)


def test_assigning_needs_eherkenning_level_three(session, ctx_for, admin, employee, clients):
    with pytest.raises(StepUpRequired):
        assignments.assign_client(
            as_staff(ctx_for, session, admin, loa="EH2+"), employee.id, clients[0].id
        )


def test_notifications_go_to_the_assigned_employee(
    session, ctx_for, clock, office, admin, employee, colleague, clients
):
    for member, address in [(admin, "admin"), (employee, "jan"), (colleague, "els")]:
        member.email = f"{address}@bewind.example.nl"
    assigned, unassigned = clients[0], clients[1]
    assignments.assign_client(as_staff(ctx_for, session, admin), employee.id, assigned.id)
    tax = f.afnemer(session, name="Belastingdienst", legally_required=True)
    income_tax = f.service(session, tax, ServiceCategory.FINANCIAL)
    afnemer_ctx = ctx_for(AfnemerActor(tax.id, T0))

    def notified(client, key):
        delivered = messages.deliver(
            afnemer_ctx,
            messages.NewMessage(
                bsn=client.bsn, service_id=income_tax.id, subject="Aanslag", body="..."
            ),
            idempotency_key=key,
        ).message
        return {
            n.email
            for n in session.scalars(
                select(Notification).where(Notification.message_id == delivered.id)
            )
            if n.email.endswith("bewind.example.nl")
        }

    assert notified(assigned, "a") == {"jan@bewind.example.nl"}
    # Nobody is assigned to this client: the administrators hear of it, so nobody is blind.
    assert notified(unassigned, "b") == {"admin@bewind.example.nl"}
    employee.email = None
    session.flush()
    assert notified(assigned, "c") == {"admin@bewind.example.nl"}


def test_the_actor_carries_what_the_policy_needs(session, office, admin, employee, clients):
    assert staff_actor(session, admin, T0).is_admin
    assert not staff_actor(session, employee, T0).office_divides_clients
    f.assign(session, employee, clients[0])
    assert staff_actor(session, employee, T0).office_divides_clients
    # An actor built without the database is the narrowest: a non-admin of a dividing office.
    bare = StaffActor(employee.id, office.id, T0)
    assert (bare.is_admin, bare.office_divides_clients) == (False, True)


def test_an_acting_token_keeps_the_staff_facts(session, admin, clients):
    config = ApiTokenConfig.for_public_url(
        "https://machtigen.example.nl",
        SigningKey.from_private_key(ec.generate_private_key(ec.SECP256R1())),
    )
    actor = staff_actor(session, admin, T0, loa="EH3")
    token = issue(config, actor, clients[0].id, T0)
    back = read(config, token, T0 + timedelta(seconds=1)).actor
    assert isinstance(back, StaffActor)
    assert (back.is_admin, back.office_divides_clients) == (True, False)
