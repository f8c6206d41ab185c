"""Building blocks for test worlds: valid BSNs, people, afnemers, offices, mandates, measures."""

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from sqlalchemy.orm import Session

from machtigen.accounts.models import Account, AccountState
from machtigen.afnemers.models import Afnemer, Service, ServiceCategory
from machtigen.consents.models import Channel, DeliveryReason
from machtigen.identity.models import Office, OfficeStaff, Person, StaffAssignment
from machtigen.mandates.models import (
    Initiator,
    LegalMeasure,
    Mandate,
    MandateAction,
    MandateScope,
    MandateStatus,
    MeasureKind,
)
from machtigen.messages.models import Message

__all__ = ["MandateScope", "Message"]

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
_counter = itertools.count(1)


def make_bsn(seed: int) -> str:
    """The n-th valid BSN of a deterministic sequence (elfproef holds)."""
    rng = random.Random(seed)
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        check = total % 11
        if check < 10 and total - check != 0:
            return "".join(map(str, digits)) + str(check)


def person(
    session: Session,
    *,
    born: date = date(1970, 1, 1),
    state: AccountState | None = AccountState.ACTIVATED,
    non_resident: bool = False,
    name: str | None = None,
    family_name: str | None = None,
) -> Person:
    n = next(_counter)
    p = Person(
        bsn=make_bsn(n * 7919),
        given_name=name or f"Person{n}",
        family_name=family_name or f"Family{n}",
        date_of_birth=born,
        non_resident=non_resident,
        created_at=T0 - timedelta(days=3650),
    )
    session.add(p)
    session.flush()
    if state is not None:
        session.add(
            Account(
                person_id=p.id,
                state=state,
                created_at=p.created_at,
                activated_at=T0 - timedelta(days=10) if state == AccountState.ACTIVATED else None,
            )
        )
        session.flush()
    return p


def afnemer(
    session: Session,
    *,
    name: str | None = None,
    legally_required: bool = False,
    read_state_legal_basis: bool = False,
    joined_at: datetime = T0 - timedelta(days=3650),
) -> Afnemer:
    n = next(_counter)
    a = Afnemer(
        oin=f"{n:020d}",
        name=name or f"Afnemer{n}",
        legally_required_digital=legally_required,
        read_state_legal_basis=read_state_legal_basis,
        joined_at=joined_at,
    )
    session.add(a)
    session.flush()
    return a


def service(
    session: Session, owner: Afnemer, category: ServiceCategory, code: str | None = None
) -> Service:
    n = next(_counter)
    s = Service(afnemer_id=owner.id, code=code or f"svc{n}", name=f"Service {n}", category=category)
    session.add(s)
    session.flush()
    return s


def office(session: Session) -> Office:
    n = next(_counter)
    o = Office(kvk_number=f"{n % 10**8:08d}", name=f"Office{n}", created_at=T0)
    session.add(o)
    session.flush()
    return o


def staff(session: Session, at: Office, *, is_admin: bool = False) -> OfficeStaff:
    n = next(_counter)
    s = OfficeStaff(
        office_id=at.id, employee_id=f"emp-{n}", name=f"Staff{n}", is_admin=is_admin, created_at=T0
    )
    session.add(s)
    session.flush()
    return s


def assign(session: Session, member: OfficeStaff, client: Person) -> StaffAssignment:
    """Assign a client to an employee; the office divides its clients from then on."""
    assignment = StaffAssignment(staff_id=member.id, client_person_id=client.id, assigned_at=T0)
    session.add(assignment)
    office_row = session.get_one(Office, member.office_id)
    office_row.assigns_clients = True
    session.flush()
    return assignment


def mandate(
    session: Session,
    represented: Person,
    *,
    person: Person | None = None,
    office: Office | None = None,
    scope: list[tuple[Service | None, MandateAction]],
    status: MandateStatus = MandateStatus.ACTIVE,
    valid_from: datetime = T0 - timedelta(days=30),
    valid_until: datetime = T0 + timedelta(days=365),
    initiated_by: Initiator = Initiator.REPRESENTED,
) -> Mandate:
    m = Mandate(
        represented_person_id=represented.id,
        representative_person_id=person.id if person else None,
        representative_office_id=office.id if office else None,
        status=status,
        initiated_by=initiated_by,
        valid_from=valid_from,
        valid_until=valid_until,
        created_at=valid_from,
    )
    session.add(m)
    session.flush()
    for svc, action in scope:
        session.add(
            MandateScope(
                mandate_id=m.id,
                represented_person_id=represented.id,
                service_id=svc.id if svc else None,
                action=action,
            )
        )
    session.flush()
    return m


def measure(
    session: Session,
    subject: Person,
    kind: MeasureKind,
    *,
    person: Person | None = None,
    office: Office | None = None,
    starts_at: datetime = T0 - timedelta(days=100),
    ends_at: datetime | None = None,
) -> LegalMeasure:
    n = next(_counter)
    m = LegalMeasure(
        register_id=f"CCBR-{n}",
        subject_person_id=subject.id,
        kind=kind,
        representative_person_id=person.id if person else None,
        representative_office_id=office.id if office else None,
        starts_at=starts_at,
        ends_at=ends_at,
        recorded_at=starts_at,
    )
    session.add(m)
    session.flush()
    return m


def message(
    session: Session,
    to: Person,
    via: Service,
    *,
    channel: Channel = Channel.DIGITAL,
    received_at: datetime = T0 - timedelta(days=1),
    deadline: date | None = None,
    archived_at: datetime | None = None,
) -> Message:
    m = Message(
        person_id=to.id,
        afnemer_id=via.afnemer_id,
        service_id=via.id,
        subject="Subject",
        body="Body",
        action_text="Act" if deadline else None,
        deadline=deadline,
        received_at=received_at,
        channel=channel,
        channel_reason=DeliveryReason.OPTED_IN,
        archived_at=archived_at,
    )
    session.add(m)
    session.flush()
    return m


def ids(rows) -> set[UUID]:
    return {getattr(row, "id", None) or row.person_id for row in rows}
