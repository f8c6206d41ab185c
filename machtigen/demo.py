"""Demo data that tells the sources' stories (DOMAIN.md): loaded through the domain services.

Koen (activated, no e-mail, an unread RDW APK reminder), Corry (activated by accident
in 2015, wants out), Piet (bewindvoerder and office administrator at an office with ten
clients under beschermingsbewind; his colleague Eva handles three of them, and Sara none
yet; Piet and Eva gave their e-mail address for notifications, Sara not yet), Monique
(curator of her daughter Sanne), Christina (Spanish, eIDAS, former NL worker with pension
post), Lisa (abroad, e-mail set).
All BSNs are test numbers in the 9999xxxxx range that pass the elfproef.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.accounts import service as accounts
from machtigen.afnemers import service as afnemers
from machtigen.afnemers.models import Afnemer, Service, ServiceCategory
from machtigen.authz.actors import (
    Actor,
    AfnemerActor,
    OperatorActor,
    PersonActor,
    RegisterActor,
)
from machtigen.authz.engine import Authorizer
from machtigen.clock import FrozenClock
from machtigen.consents import service as consents
from machtigen.context import Ctx, Origin
from machtigen.identity import assignments, staff_email
from machtigen.identity import service as identity
from machtigen.identity.models import Person
from machtigen.identity.service import staff_actor
from machtigen.mandates import service as mandates
from machtigen.mandates.models import MeasureKind
from machtigen.messages import service as messages

KOEN_BSN = "999993653"
CORRY_BSN = "999990019"
PIET_BSN = "999990020"
MONIQUE_BSN = "999990032"
SANNE_BSN = "999990044"
CHRISTINA_BSN = "999990056"
LISA_BSN = "999990068"
PIET_CLIENT_BSNS = (
    "999990081",
    "999990093",
    "999990111",
    "999990123",
    "999990135",
    "999990147",
    "999990159",
    "999990160",
    "999990172",
    "999990184",
)
CLIENT_NAMES = (
    ("Anna", "Bakker"),
    ("Bram", "Visser"),
    ("Cor", "Smit"),
    ("Dirk", "Meijer"),
    ("Els", "de Boer"),
    ("Fatima", "El Amrani"),
    ("Gerrit", "Mulder"),
    ("Hanneke", "de Groot"),
    ("Ilse", "Bos"),
    ("Jan", "Vos"),
)

PIET_OFFICE_KVK = "12345678"
PIET_EMPLOYEE_ID = "eh-piet-0001"
EVA_EMPLOYEE_ID = "eh-eva-0002"
"""Eva de Wit works at Piet's office; Piet (an administrator) assigned three clients to her."""
EVA_CLIENTS = 3
SARA_EMPLOYEE_ID = "eh-sara-0002"
"""Sara de Wit, a colleague with no clients yet: the administrator (Piet) assigns them."""
CHRISTINA_EIDAS = "ES/NL/12345678Z"
PIET_STAFF_EMAIL = "piet@bewindvoering-vandijk.example"
EVA_STAFF_EMAIL = "eva@bewindvoering-vandijk.example"


@dataclass
class _Story:
    session: Session
    authz: Authorizer
    now: datetime

    def ctx(self, actor: Actor) -> Ctx:
        return Ctx(
            session=self.session,
            actor=actor,
            clock=FrozenClock(actor.at),
            authz=self.authz,
            origin=Origin(ip="192.0.2.1", user_agent="machtigen demo-data"),
        )

    def operator(self, moment: datetime) -> Ctx:
        return self.ctx(OperatorActor("demo-data", moment))

    def register(self, moment: datetime) -> Ctx:
        return self.ctx(RegisterActor("ccbr-demo", moment))

    def afnemer(self, afnemer_id: UUID, moment: datetime) -> Ctx:
        return self.ctx(AfnemerActor(afnemer_id, moment))

    def person(self, person: Person, moment: datetime) -> Ctx:
        return self.ctx(
            PersonActor(person.id, moment, means="digid", loa="midden", name=person.full_name)
        )


def load_demo_data(session: Session, authz: Authorizer, now: datetime) -> bool:
    """Load the stories once; False when they are already there."""
    if session.scalars(select(Person).where(col(Person.bsn) == KOEN_BSN)).first() is not None:
        return False
    story = _Story(session, authz, now)
    services = _afnemers(story)
    _koen(story, services)
    _corry(story, services)
    _piet(story, services)
    _monique(story, services)
    _christina(story, services)
    _lisa(story, services)
    return True


def _afnemers(story: _Story) -> dict[str, Service]:
    joined = datetime(2012, 1, 1, tzinfo=UTC)
    ops = story.operator(joined)
    utrecht_area = ("0344",)
    water_board_area = ("0344", "0353", "0356", "0321", "0312", "0335")
    catalogue: list[
        tuple[str, str, bool, list[tuple[str, str, ServiceCategory]], tuple[str, ...]]
    ] = [
        (
            "00000001003214345000",
            "Belastingdienst",
            True,
            [
                ("inkomstenbelasting", "Inkomstenbelasting", ServiceCategory.FINANCIAL),
                ("toeslagen", "Toeslagen", ServiceCategory.FINANCIAL),
            ],
            (),
        ),
        (
            "00000001804770694000",
            "RDW",
            False,
            [("apk", "APK-herinnering", ServiceCategory.OTHER)],
            (),
        ),
        (
            "00000001810220350000",
            "UWV",
            False,
            [("ww", "WW-uitkering", ServiceCategory.FINANCIAL)],
            (),
        ),
        ("00000001834208653000", "SVB", False, [("aow", "AOW", ServiceCategory.FINANCIAL)], ()),
        (
            "00000001002220647000",
            "Gemeente Utrecht",
            False,
            [
                ("belastingen", "Gemeentelijke belastingen", ServiceCategory.FINANCIAL),
                ("wmo", "Wmo-ondersteuning", ServiceCategory.PERSONAL_CARE),
            ],
            utrecht_area,
        ),
        (
            "00000001821002193000",
            "Hoogheemraadschap De Stichtse Rijnlanden",
            False,
            [
                ("waterschapsbelasting", "Waterschapsbelasting", ServiceCategory.FINANCIAL),
            ],
            water_board_area,
        ),
        (
            "00000001820849184000",
            "Pensioenfonds ABP",
            False,
            [("pensioen", "Pensioen", ServiceCategory.FINANCIAL)],
            (),
        ),
    ]
    services: dict[str, Service] = {}
    for oin, name, legally_required, offered, area in catalogue:
        afnemer = afnemers.register_afnemer(
            ops,
            oin=oin,
            name=name,
            legally_required_digital=legally_required,
            municipalities=area,
        )
        for code, service_name, category in offered:
            services[f"{name}:{code}"] = afnemers.add_service(
                ops, afnemer_id=afnemer.id, code=code, name=service_name, category=category
            )
    late = story.operator(story.now - timedelta(days=14))
    cak = afnemers.register_afnemer(late, oin="00000001832179024000", name="CAK")
    services["CAK:eigen-bijdrage"] = afnemers.add_service(
        late,
        afnemer_id=cak.id,
        code="eigen-bijdrage",
        name="Eigen bijdrage Wmo",
        category=ServiceCategory.PERSONAL_CARE,
    )
    return services


REGISTERED = datetime(2012, 1, 2, tzinfo=UTC)
"""When the demo's people were registered (their casco accounts made): before every story."""


def _person(
    story: _Story,
    bsn: str,
    given: str,
    family: str,
    born: date,
    registered: datetime = REGISTERED,
    **extra: object,
) -> Person:
    ctx = story.operator(registered)
    return identity.register_person(
        ctx,
        bsn=bsn,
        given_name=given,
        family_name=family,
        date_of_birth=born,
        **extra,  # type: ignore[arg-type]
    )


def _deliver(
    story: _Story,
    service: Service,
    to: Person,
    subject: str,
    moment: datetime,
    action_text: str | None = None,
    deadline: date | None = None,
) -> None:
    ctx = story.afnemer(service.afnemer_id, moment)
    new = messages.NewMessage(
        bsn=to.bsn or "",
        service_id=service.id,
        subject=subject,
        body=_body(subject),
        action_text=action_text,
        deadline=deadline,
    )
    messages.deliver(ctx, new, idempotency_key=f"demo-{to.bsn}-{service.code}-{moment:%Y%m%d}")


def _body(subject: str) -> str:
    return f"{subject}\n\nDit is een voorbeeldbericht uit de demonstratiegegevens van machtigen."


def _afnemer_id(story: _Story, name: str) -> UUID:
    return story.session.scalars(select(col(Afnemer.id)).where(col(Afnemer.name) == name)).one()


def _activate(story: _Story, person: Person, moment: datetime) -> None:
    """The person switches the mailbox on, having read what that means."""
    accounts.activate(story.person(person, moment), person.id, explanation_confirmed=True)


def _opt_in(story: _Story, person: Person, moment: datetime, *afnemer_names: str) -> None:
    """The person chooses digital post from these afnemers."""
    ctx = story.person(person, moment)
    for name in afnemer_names:
        consents.set_opt_in(ctx, person.id, _afnemer_id(story, name), True)


def _koen(story: _Story, services: dict[str, Service]) -> None:
    koen = _person(
        story,
        KOEN_BSN,
        "Koen",
        "de Vries",
        date(1968, 4, 12),
        postal_address="Dorpsstraat 1, 3511 AA Utrecht",
        municipality_code="0344",
    )
    activated = datetime(2019, 3, 4, 19, 30, tzinfo=UTC)
    _activate(story, koen, activated)
    _opt_in(story, koen, activated, "RDW")
    _deliver(
        story,
        services["RDW:apk"],
        koen,
        "Uw auto moet binnenkort APK-gekeurd worden",
        story.now - timedelta(days=9),
        action_text="Laat uw auto keuren",
        deadline=(story.now + timedelta(days=20)).date(),
    )


def _corry(story: _Story, services: dict[str, Service]) -> None:
    corry = _person(
        story,
        CORRY_BSN,
        "Corry",
        "Jansen",
        date(1951, 9, 30),
        postal_address="Kerkweg 12, 3581 BB Utrecht",
        municipality_code="0344",
    )
    clicked = datetime(2015, 11, 15, 14, 2, tzinfo=UTC)
    _activate(story, corry, clicked)
    _opt_in(story, corry, clicked, "RDW", "UWV", "SVB", "Gemeente Utrecht", "Pensioenfonds ABP")
    _deliver(story, services["SVB:aow"], corry, "Jaaropgave AOW", story.now - timedelta(days=60))


def _piet(story: _Story, services: dict[str, Service]) -> None:
    piet = _person(story, PIET_BSN, "Piet", "van Dijk", date(1975, 2, 2))
    office = identity.register_office(
        story.operator(story.now), kvk_number=PIET_OFFICE_KVK, name="Bewindvoering Van Dijk"
    )
    piet_staff = identity.add_staff(
        story.operator(story.now),
        office_id=office.id,
        employee_id=PIET_EMPLOYEE_ID,
        name=piet.full_name,
        is_admin=True,
    )
    eva = identity.add_staff(
        story.operator(story.now),
        office_id=office.id,
        employee_id=EVA_EMPLOYEE_ID,
        name="Eva de Wit",
    )
    identity.add_staff(
        story.operator(story.now),
        office_id=office.id,
        employee_id=SARA_EMPLOYEE_ID,
        name="Sara de Wit",
    )
    clients = []
    register = story.register(story.now - timedelta(days=400))
    for index, (bsn, (given, family)) in enumerate(
        zip(PIET_CLIENT_BSNS, CLIENT_NAMES, strict=True)
    ):
        client = _person(
            story,
            bsn,
            given,
            family,
            date(1950 + index * 3, 1 + index, 10),
            postal_address=f"Laan {index + 1}, Utrecht",
            municipality_code="0344",
        )
        clients.append(client)
        _activate(story, client, datetime(2018, 5, 1, tzinfo=UTC))
        mandates.record_measure(
            register,
            mandates.MeasureRecord(
                register_id=f"CCBR-BEWIND-{index + 1:04d}",
                subject_person_id=client.id,
                kind=MeasureKind.BESCHERMINGSBEWIND,
                representative=mandates.Representative(office_id=office.id),
                starts_at=story.now - timedelta(days=400 - index),
            ),
        )
        _deliver(
            story,
            services["Belastingdienst:inkomstenbelasting"],
            client,
            "Voorlopige aanslag inkomstenbelasting",
            story.now - timedelta(days=3 + index),
            action_text="Controleer de aanslag",
            deadline=(story.now + timedelta(days=10 + index)).date(),
        )
        if index == 0:
            _opt_in(story, client, story.now - timedelta(days=30), "Gemeente Utrecht")
            _deliver(
                story,
                services["Gemeente Utrecht:wmo"],
                client,
                "Besluit Wmo-ondersteuning",
                story.now - timedelta(days=2),
            )
    piet_ctx = story.ctx(staff_actor(story.session, piet_staff, story.now, loa="EH3"))
    for client in clients[:EVA_CLIENTS]:
        assignments.assign_client(piet_ctx, eva.id, client.id)
    # Piet and Eva get e-mail about their clients' new post; Sara has not given an address yet.
    for member, address in ((piet_staff, PIET_STAFF_EMAIL), (eva, EVA_STAFF_EMAIL)):
        member_ctx = story.ctx(staff_actor(story.session, member, story.now, loa="EH3"))
        staff_email.set_staff_email(member_ctx, member.id, address)


def _monique(story: _Story, services: dict[str, Service]) -> None:
    monique = _person(
        story,
        MONIQUE_BSN,
        "Monique",
        "Peters",
        date(1970, 6, 1),
        postal_address="Stationsplein 3, 3818 LE Amersfoort",
        municipality_code="0307",
    )
    sanne = _person(
        story,
        SANNE_BSN,
        "Sanne",
        "Peters",
        date(2002, 8, 15),
        registered=datetime(2016, 8, 15, tzinfo=UTC),  # her fourteenth birthday
        postal_address="Stationsplein 3, 3818 LE Amersfoort",
        municipality_code="0307",
    )
    _activate(story, sanne, datetime(2021, 1, 1, tzinfo=UTC))
    mandates.record_measure(
        story.register(datetime(2021, 2, 1, tzinfo=UTC)),
        mandates.MeasureRecord(
            register_id="CCBR-CURATELE-0001",
            subject_person_id=sanne.id,
            kind=MeasureKind.CURATELE,
            representative=mandates.Representative(person_id=monique.id),
            starts_at=datetime(2021, 2, 1, tzinfo=UTC),
        ),
    )
    _deliver(
        story,
        services["Belastingdienst:toeslagen"],
        sanne,
        "Beschikking zorgtoeslag",
        story.now - timedelta(days=5),
    )


def _christina(story: _Story, services: dict[str, Service]) -> None:
    christina = _person(
        story,
        CHRISTINA_BSN,
        "Christina",
        "García López",
        date(1955, 3, 21),
        non_resident=True,
        postal_address="Calle Mayor 5, 28013 Madrid, España",
    )
    identity.register_eidas_identity(
        story.operator(story.now),
        person_identifier=CHRISTINA_EIDAS,
        first_name="Christina",
        family_name="García López",
        date_of_birth=date(1955, 3, 21),
        person_id=christina.id,
    )
    _activate(story, christina, datetime(2023, 6, 1, tzinfo=UTC))
    _opt_in(story, christina, datetime(2023, 6, 1, tzinfo=UTC), "Pensioenfonds ABP")
    _deliver(
        story,
        services["Pensioenfonds ABP:pensioen"],
        christina,
        "Uw pensioenoverzicht",
        story.now - timedelta(days=12),
    )


def _lisa(story: _Story, services: dict[str, Service]) -> None:
    lisa = _person(
        story,
        LISA_BSN,
        "Lisa",
        "Hendriks",
        date(1990, 11, 5),
        non_resident=True,
        postal_address="Rue de la Loi 10, 1000 Bruxelles, Belgique",
    )
    moment = datetime(2024, 1, 10, tzinfo=UTC)
    _activate(story, lisa, moment)
    accounts.set_email(story.person(lisa, moment), lisa.id, "lisa.hendriks@example.org")
    _deliver(
        story,
        services["Belastingdienst:inkomstenbelasting"],
        lisa,
        "Aangifte inkomstenbelasting buitenlands belastingplichtige",
        story.now - timedelta(days=20),
    )
