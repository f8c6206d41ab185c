"""The whole authorization model at a glance: every actor kind × action × resource kind.

One person (the owner) has three messages: a financial one (Belastingdienst income tax),
a personal-care one (Wmo) and an "other" one (RDW APK). Around the owner stand voluntary
representatives in every state, a legal representative for every measure, office staff,
EU citizens, afnemers, a stranger and an operator. ``Y`` allows, ``.`` denies.

Columns
  fin:read  fin:notify  fin:folders  fin:status   the financial message: read, be notified, file, delivery status
  care:read  other:read                          the personal-care and the "other" message
  act_for  personal                              the owner as a client: act for, read the personal-data section
  acct:read  acct:activate  acct:audit           the owner's account
  mandate:read  mandate:revoke                   the voluntary mandate held by vol_in
  consent:change                                 the owner's opt-in for RDW
  consent:town                                   the owner's opt-in for the municipality, which
                                                 sends financial and personal-care post: only
                                                 whoever covers both services may change it
  office:assign                                  assign clients of the office that divides them

The login levels have a matrix of their own (``LOGIN_MATRIX``): every means and level × every
purpose the policy sets a minimum for, so a rule moved out of a router and into the policy
stays guarded here.
"""

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from polar import Variable

from machtigen.accounts.models import Account
from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import (
    AfnemerActor,
    OperatorActor,
    PersonActor,
    RegisterActor,
    StaffActor,
    UnmatchedEidasActor,
)
from machtigen.consents.models import Consent
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import MandateAction, MandateStatus, MeasureKind
from tests import factories as f

MATRIX = """
actor              fin:read fin:notify fin:folders fin:status care:read other:read act_for personal acct:read acct:activate acct:audit mandate:read mandate:revoke consent:change office:assign consent:town
owner              Y        Y          Y           .          Y         Y          .       Y        Y         Y             Y          Y            Y              Y              .             Y
eidas_matched      Y        Y          Y           .          Y         Y          .       Y        Y         Y             Y          Y            Y              Y              .             Y
eidas_unmatched    .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
vol_in             Y        Y          .           .          .         .          Y       .        Y         .             .          Y            Y              Y              .             .
vol_personal_data  .        .          .           .          .         .          Y       Y        Y         .             .          .            .              .              .             .
vol_expired        .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
vol_not_yet_valid  .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
vol_revoked        .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
vol_requested      .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
vol_lapsed         .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
vol_town_half      .        .          .           .          .         .          Y       .        Y         .             .          .            .              .              .             .
vol_town_all       .        .          .           .          .         .          Y       .        Y         .             .          .            .              .              .             Y
curatele           Y        Y          Y           .          Y         Y          Y       Y        Y         Y             Y          .            .              Y              .             Y
beschermingsbewind Y        Y          Y           .          .         .          Y       .        Y         .             .          .            .              .              .             .
mentorschap        .        .          .           .          Y         .          Y       Y        Y         .             .          .            .              .              .             .
faillissement      Y        Y          Y           .          .         .          Y       .        Y         .             .          .            .              .              .             .
wsnp               Y        Y          Y           .          .         .          Y       .        Y         .             .          .            .              .              .             .
bewind_ended       .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
bewind_future      .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
office_staff       Y        Y          Y           .          .         .          Y       .        Y         .             .          .            .              .              .             .
other_office_staff .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
divided_admin      Y        Y          Y           .          .         .          Y       .        Y         .             .          .            .              .              Y             .
divided_assigned   Y        Y          Y           .          .         .          Y       .        Y         .             .          .            .              .              .             .
divided_unassigned .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
stranger           .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
afnemer_own        .        .          .           Y          .         .          .       .        .         .             .          Y            .              .              .             .
afnemer_foreign    .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
court_register     .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
operator           .        .          .           .          .         .          .       .        .         .             .          .            .              .              .             .
"""

_ACTION = {
    "fin:read": ("fin", "read"),
    "fin:notify": ("fin", "receive_notifications"),
    "fin:folders": ("fin", "manage_folders"),
    "fin:status": ("fin", "view_status"),
    "care:read": ("care", "read"),
    "other:read": ("other", "read"),
    "act_for": ("person", "act_for"),
    "personal": ("person", "read_personal_data"),
    "acct:read": ("account", "read"),
    "acct:activate": ("account", "activate"),
    "acct:audit": ("account", "read_audit"),
    "mandate:read": ("mandate", "read"),
    "mandate:revoke": ("mandate", "revoke"),
    "consent:change": ("consent", "change"),
    "consent:town": ("town_consent", "change"),
    "office:assign": ("office", "manage_assignments"),
}


def _table() -> list[tuple[str, str, bool]]:
    header, *rows = [line.split() for line in MATRIX.strip().splitlines()]
    cells = []
    for actor, *marks in rows:
        assert len(marks) == len(header) - 1, f"row {actor} has {len(marks)} cells"
        cells.extend(
            (actor, column, mark == "Y") for column, mark in zip(header[1:], marks, strict=True)
        )
    return cells


@dataclass
class World:
    actors: dict[str, object]
    resources: dict[str, object]


@pytest.fixture
def world(session) -> World:
    T0 = f.T0
    tax = f.afnemer(session, name="Belastingdienst", legally_required=True)
    rdw = f.afnemer(session, name="RDW")
    gemeente = f.afnemer(session, name="Gemeente")
    income_tax = f.service(session, tax, ServiceCategory.FINANCIAL)
    apk = f.service(session, rdw, ServiceCategory.OTHER)
    wmo = f.service(session, gemeente, ServiceCategory.PERSONAL_CARE)
    town_tax = f.service(session, gemeente, ServiceCategory.FINANCIAL)
    owner = f.person(session)
    messages = {
        "fin": f.message(session, owner, income_tax),
        "care": f.message(session, owner, wmo),
        "other": f.message(session, owner, apk),
    }
    actors: dict[str, object] = {
        "owner": PersonActor(owner.id, T0),
        "eidas_matched": PersonActor(
            owner.id, T0, means="eidas", loa="http://eidas.europa.eu/LoA/substantial"
        ),
        "eidas_unmatched": UnmatchedEidasActor(owner.id, T0),
        "stranger": PersonActor(f.person(session).id, T0),
        "afnemer_own": AfnemerActor(tax.id, T0),
        "afnemer_foreign": AfnemerActor(gemeente.id, T0),
        "court_register": RegisterActor("ccbr", T0),
        "operator": OperatorActor("op", T0),
    }

    def voluntary(name: str, scope, **kwargs):
        rep = f.person(session)
        actors[name] = PersonActor(rep.id, T0)
        return f.mandate(session, owner, person=rep, scope=scope, **kwargs)

    held = voluntary(
        "vol_in",
        [
            (income_tax, MandateAction.READ),
            (income_tax, MandateAction.RECEIVE_NOTIFICATIONS),
            (apk, MandateAction.MANAGE_CONSENTS),
        ],
    )
    voluntary("vol_personal_data", [(None, MandateAction.READ_PERSONAL_DATA)])
    voluntary("vol_town_half", [(town_tax, MandateAction.MANAGE_CONSENTS)])
    voluntary(
        "vol_town_all",
        [(town_tax, MandateAction.MANAGE_CONSENTS), (wmo, MandateAction.MANAGE_CONSENTS)],
    )
    full = [(income_tax, MandateAction.READ), (wmo, MandateAction.READ), (apk, MandateAction.READ)]
    voluntary("vol_expired", full, valid_until=T0 - timedelta(seconds=1))
    voluntary("vol_not_yet_valid", full, valid_from=T0 + timedelta(seconds=1))
    voluntary("vol_revoked", full, status=MandateStatus.REVOKED)
    voluntary("vol_requested", full, status=MandateStatus.REQUESTED)
    lapsed = voluntary("vol_lapsed", [(income_tax, MandateAction.READ)])
    lapsing_measure = f.measure(
        session,
        owner,
        MeasureKind.BESCHERMINGSBEWIND,
        person=f.person(session),
        ends_at=T0 - timedelta(days=1),
    )
    for scope in session.query(f.MandateScope).filter_by(mandate_id=lapsed.id):
        scope.lapsed_by_measure_id = lapsing_measure.id
    session.flush()

    for kind in MeasureKind:
        rep = f.person(session)
        actors[kind.value] = PersonActor(rep.id, T0)
        f.measure(session, owner, kind, person=rep)
    ended = f.person(session)
    actors["bewind_ended"] = PersonActor(ended.id, T0)
    f.measure(session, owner, MeasureKind.BESCHERMINGSBEWIND, person=ended, ends_at=T0)
    future = f.person(session)
    actors["bewind_future"] = PersonActor(future.id, T0)
    f.measure(
        session,
        owner,
        MeasureKind.BESCHERMINGSBEWIND,
        person=future,
        starts_at=T0 + timedelta(days=1),
    )

    office = f.office(session)
    other_office = f.office(session)
    f.measure(session, owner, MeasureKind.BESCHERMINGSBEWIND, office=office)
    actors["office_staff"] = staff_actor(session, f.staff(session, office), T0)
    actors["other_office_staff"] = staff_actor(session, f.staff(session, other_office), T0)

    # An office that divides its clients: the admin and the assigned employee act, others not.
    divided = f.office(session)
    f.measure(session, owner, MeasureKind.BESCHERMINGSBEWIND, office=divided)
    assigned = f.staff(session, divided)
    f.assign(session, assigned, owner)
    for name, member in [
        ("divided_admin", f.staff(session, divided, is_admin=True)),
        ("divided_assigned", assigned),
        ("divided_unassigned", f.staff(session, divided)),
    ]:
        actors[name] = staff_actor(session, member, T0)

    consent = Consent(
        person_id=owner.id, afnemer_id=rdw.id, opted_in=True, changed_at=T0, effective_at=T0
    )
    town_consent = Consent(
        person_id=owner.id, afnemer_id=gemeente.id, opted_in=False, changed_at=T0, effective_at=T0
    )
    session.add_all([consent, town_consent])
    session.flush()
    resources = {
        **messages,
        "person": owner,
        "account": session.get(Account, owner.id),
        "mandate": held,
        "consent": consent,
        "town_consent": town_consent,
        "office": divided,
    }
    return World(actors, resources)


@pytest.mark.parametrize(("actor", "column", "expected"), _table())
def test_policy_matrix(
    world: World, authz, session, actor: str, column: str, expected: bool
) -> None:
    resource_name, action = _ACTION[column]
    allowed = authz.is_allowed(session, world.actors[actor], action, world.resources[resource_name])
    assert allowed == expected, (
        f"{actor} {action} {resource_name}: expected {'allow' if expected else 'deny'}"
    )


def test_every_row_names_an_actor_of_the_world(world: World) -> None:
    assert {actor for actor, _, _ in _table()} == set(world.actors)


LOGIN_MATRIX = """
actor               read_mailbox manage_account answer_mandate grant_mandate request_mandate find_party manage_office feed_register grants
digid_none          .            .              .              .             .               .          .             .             Y
digid_basis         .            .              .              .             .               .          .             .             Y
digid_midden        Y            Y              Y              .             .               .          .             .             Y
digid_substantieel  Y            Y              Y              Y             Y               Y          .             .             Y
digid_hoog          Y            Y              Y              Y             Y               Y          .             .             Y
eidas_low           .            .              .              .             .               .          .             .             Y
eidas_substantial   Y            Y              Y              Y             Y               Y          .             .             Y
eidas_high          Y            Y              Y              Y             Y               Y          .             .             Y
eidas_unmatched     .            .              .              .             .               .          .             .             .
eherkenning_EH2+    .            .              .              .             .               .          .             .             .
eherkenning_EH3     Y            Y              Y              .             Y               Y          Y             .             .
eherkenning_EH4     Y            Y              Y              .             Y               Y          Y             .             .
afnemer             .            .              .              .             .               .          .             .             .
court_register      .            .              .              .             .               .          .             Y             .
operator            .            .              .              .             .               .          .             .             .
"""
"""``loa_sufficient(actor, purpose)`` per column; ``grants`` is ``grants_mandates(actor)``: who
has the pages "who can act for me" and "grant a mandate" (a person, at any level: the form
asks for a step-up)."""

EIDAS = "http://eidas.europa.eu/LoA/"


def _login_actor(name: str) -> object:
    at = f.T0
    person, staff, office = uuid4(), uuid4(), uuid4()
    means, _, level = name.partition("_")
    if name == "eidas_unmatched":
        return UnmatchedEidasActor(person, at, loa=EIDAS + "substantial")
    if means == "digid":
        return PersonActor(person, at, means="digid", loa=None if level == "none" else level)
    if means == "eidas":
        return PersonActor(person, at, means="eidas", loa=EIDAS + level)
    if means == "eherkenning":
        return StaffActor(staff, office, at, loa=level, is_admin=True)
    return {
        "afnemer": AfnemerActor(uuid4(), at),
        "court_register": RegisterActor("ccbr", at),
        "operator": OperatorActor("op", at),
    }[name]


def _login_table() -> list[tuple[str, str, bool]]:
    header, *rows = [line.split() for line in LOGIN_MATRIX.strip().splitlines()]
    return [
        (actor, column, mark == "Y")
        for actor, *marks in rows
        for column, mark in zip(header[1:], marks, strict=True)
    ]


@pytest.mark.parametrize(("actor", "purpose", "expected"), _login_table())
def test_login_level_matrix(authz, actor: str, purpose: str, expected: bool) -> None:
    who = _login_actor(actor)
    if purpose == "grants":
        holds = authz.holds("grants_mandates", who)
    else:
        holds = authz.holds("loa_sufficient", who, purpose)
    assert holds == expected, f"{actor} {purpose}: expected {'allow' if expected else 'deny'}"


def test_the_login_matrix_covers_every_purpose_of_the_policy(authz) -> None:
    header = LOGIN_MATRIX.strip().splitlines()[0].split()
    found = authz.oso.query_rule("minimum_loa", Variable("purpose"), Variable("m"), Variable("n"))
    purposes = {str(result["bindings"]["purpose"]) for result in found}
    assert purposes | {"feed_register"} == set(header[1:]) - {"grants"}


def test_every_purpose_the_code_asks_is_one_the_policy_knows() -> None:
    """A purpose misspelt in ``require_loa`` or ``loa_sufficient`` would refuse everyone."""
    header = set(LOGIN_MATRIX.strip().splitlines()[0].split()[1:]) - {"grants"}
    root = Path(__file__).resolve().parents[2]
    asked = set()
    for folder in ("machtigen", "api"):
        for source in (root / folder).rglob("*.py"):
            text = source.read_text(encoding="utf-8")
            asked |= set(re.findall(r'(?:require_loa|loa_sufficient)\([^)"]*"(\w+)"', text))
            asked |= set(re.findall(r'(?:SubjectPage|PageAt)\("(\w+)"\)', text))
    assert asked, "no purpose found: the pattern no longer matches the code"
    assert asked <= header, asked - header
