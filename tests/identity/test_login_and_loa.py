"""Login per means, eIDAS matching, and the minimum level of assurance per purpose."""

from datetime import date

import pytest
from sqlalchemy import select

from machtigen.accounts.models import Account, AccountState
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import (
    AnonymousActor,
    OperatorActor,
    PersonActor,
    RegisterActor,
    StaffActor,
    UnmatchedEidasActor,
)
from machtigen.errors import Conflict, NotFound
from machtigen.identity import login as logins
from machtigen.identity.brokers import BrokerConfig
from machtigen.identity.loa import StepUpRequired, require_loa
from machtigen.identity.models import EidasIdentity, EidasMatch, OfficeStaff
from machtigen.identity.tokens import InvalidToken
from tests import factories as f

SUBSTANTIAL = "http://eidas.europa.eu/LoA/substantial"


@pytest.fixture
def anonymous(ctx_for, clock):
    return ctx_for(AnonymousActor("test|subject", clock.now()))


def eidas(identifier="ES/NL/1Z", first="Christina", family="García López", born=date(1955, 3, 21)):
    return logins.EidasAssertion("iss|sub", SUBSTANTIAL, identifier, first, family, born)


def test_digid_login_records_a_visit_and_never_activates(session, anonymous, clock):
    person = f.person(session, state=AccountState.CASCO)
    result = logins.login(
        anonymous, "digid", logins.DigidAssertion("iss|sub", "midden", person.bsn)
    )
    assert isinstance(result.actor, PersonActor) and result.actor.person_id == person.id
    account = session.get(Account, person.id)
    assert (account.state, account.last_visit_at) == (AccountState.CASCO, clock.now())
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "login")).one()
    assert (event.subject_person_id, event.means, event.loa, event.ip) == (
        person.id,
        "digid",
        "midden",
        "192.0.2.10",
    )
    assert person.bsn not in str(event.detail)


def test_digid_login_without_an_account_is_refused_and_audited(session, anonymous):
    child = f.person(session, born=date(2018, 1, 1), state=None)
    with pytest.raises(logins.LoginRefused):
        logins.login(anonymous, "digid", logins.DigidAssertion("iss|sub", "midden", child.bsn))
    failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "login.failed")).one()
    assert failed.detail == {"reason": "no_account"}
    assert child.bsn not in str(failed.detail) + failed.actor_id


def test_eidas_exact_match_by_person_identifier(session, anonymous, ctx_for, clock):
    person = f.person(session, non_resident=True)
    session.add(
        EidasIdentity(
            person_identifier="ES/NL/1Z",
            first_name="C",
            family_name="G",
            date_of_birth=date(1955, 3, 21),
            person_id=person.id,
            match=EidasMatch.MATCHED,
            created_at=clock.now(),
        )
    )
    result = logins.login(anonymous, "eidas", eidas())
    assert result.eidas_match == EidasMatch.MATCHED
    assert result.actor.person_id == person.id


def test_eidas_name_and_birth_give_a_candidate_never_a_merge(session, anonymous):
    person = f.person(session, born=date(1955, 3, 21), name="Christina")
    person.family_name = "Garcia Lopez"
    result = logins.login(anonymous, "eidas", eidas())
    assert isinstance(result.actor, UnmatchedEidasActor)
    identity = session.get(EidasIdentity, result.actor.identity_id)
    assert (identity.match, identity.candidate_person_id, identity.person_id) == (
        EidasMatch.NEEDS_CONFIRMATION,
        person.id,
        None,
    )


def test_eidas_ambiguous_match_names_no_candidate(session, anonymous):
    for _ in range(2):
        twin = f.person(session, born=date(1955, 3, 21), name="Christina")
        twin.family_name = "García López"
    result = logins.login(anonymous, "eidas", eidas())
    identity = session.get(EidasIdentity, result.actor.identity_id)
    assert (identity.match, identity.candidate_person_id) == (EidasMatch.NEEDS_CONFIRMATION, None)


def test_eidas_no_match(session, anonymous):
    result = logins.login(anonymous, "eidas", eidas(first="Nobody"))
    assert result.eidas_match == EidasMatch.UNMATCHED
    assert isinstance(result.actor, UnmatchedEidasActor)


def test_two_eidas_identities_cannot_claim_one_bsn(session, anonymous, ctx_for, clock):
    person = f.person(session, born=date(1955, 3, 21), name="Christina")
    person.family_name = "García López"
    first = logins.login(anonymous, "eidas", eidas("ES/NL/1Z")).actor
    second = logins.login(anonymous, "eidas", eidas("PT/NL/2Z")).actor
    operator = ctx_for(OperatorActor("op", clock.now()))
    logins.confirm_eidas_match(operator, first.identity_id, person.id)
    with pytest.raises(Conflict):
        logins.confirm_eidas_match(operator, second.identity_id, person.id)
    with pytest.raises(NotFound):
        logins.confirm_eidas_match(
            ctx_for(PersonActor(person.id, clock.now())), second.identity_id, person.id
        )
    again = logins.login(anonymous, "eidas", eidas("ES/NL/1Z"))
    assert again.actor.person_id == person.id


def test_eherkenning_staff_of_a_registered_office(session, anonymous):
    office = f.office(session)
    result = logins.login(
        anonymous,
        "eherkenning",
        logins.EherkenningAssertion("iss|e1", "EH3", office.kvk_number, "e1", "Piet"),
    )
    assert isinstance(result.actor, StaffActor) and result.actor.office_id == office.id
    staff = session.get(OfficeStaff, result.actor.staff_id)
    staff.active = False
    with pytest.raises(logins.LoginRefused):
        logins.login(
            anonymous,
            "eherkenning",
            logins.EherkenningAssertion("iss|e1", "EH3", office.kvk_number, "e1", "Piet"),
        )
    with pytest.raises(logins.LoginRefused):
        logins.login(
            anonymous,
            "eherkenning",
            logins.EherkenningAssertion("iss|e2", "EH3", "99999999", "e2", "X"),
        )


def broker(means, **options):
    return BrokerConfig(
        means=means,
        issuer="https://broker.example",
        client_id="machtigen",
        client_key_file="k.pem",
        client_certificate_file="c.pem",
        **options,
    )


@pytest.mark.parametrize(
    ("means", "claims"),
    [
        ("digid", {"bsn": "123456789", "loa_authn": SUBSTANTIAL}),
        ("digid", {"bsn": "999993653", "loa_authn": "urn:weird"}),
        ("digid", {"bsn": "999993653"}),
        ("digid", {"sub": "999993653", "loa_authn": SUBSTANTIAL}),
        (
            "eidas",
            {
                "person_identifier": "not-an-identifier",
                "loa_authn": SUBSTANTIAL,
                "given_name": "a",
                "family_name": "b",
                "birthdate": "1955-03-21",
            },
        ),
        (
            "eidas",
            {
                "person_identifier": "ES/NL/1",
                "loa_authn": SUBSTANTIAL,
                "given_name": "a",
                "family_name": "b",
                "birthdate": "21-03-1955",
            },
        ),
        ("eherkenning", {"kvk_number": "1234", "employee_id": "e", "loa_authn": SUBSTANTIAL}),
        ("eherkenning", {"kvk_number": "12345678", "employee_id": "e", "loa_authn": "EH3"}),
        ("eherkenning", {"kvk_number": "12345678", "sub": "e", "loa_authn": SUBSTANTIAL}),
    ],
)
def test_malformed_claims_are_a_401(means, claims):
    with pytest.raises(InvalidToken):
        logins.assertion_from_claims(broker(means), "https://broker.example", claims)


def test_claims_are_read_through_the_brokers_mapping_never_by_sub():
    digid = logins.assertion_from_claims(
        broker("digid"),
        "https://broker.example",
        {"sub": "same-for-everyone", "bsn": "999993653", "loa_authn": SUBSTANTIAL},
    )
    assert (digid.bsn, digid.loa) == ("999993653", "substantieel")
    renamed = broker(
        "eherkenning",
        claims={"kvk_number": "urn:kvk", "employee_id": "acting_subject_id"},
        loa={"urn:level:3": "EH3"},
    )
    office = logins.assertion_from_claims(
        renamed,
        "https://broker.example",
        {"urn:kvk": "12345678", "acting_subject_id": "emp-7", "loa_authn": "urn:level:3"},
    )
    assert (office.kvk_number, office.employee_id, office.loa) == ("12345678", "emp-7", "EH3")
    with pytest.raises(InvalidToken):  # the default map no longer applies
        logins.assertion_from_claims(
            renamed,
            "https://broker.example",
            {"urn:kvk": "12345678", "acting_subject_id": "e", "loa_authn": SUBSTANTIAL},
        )


@pytest.mark.parametrize(
    ("means", "loa_authn", "level"),
    [
        ("digid", "http://eidas.europa.eu/LoA/NotNotified/low", "basis"),
        ("digid", "http://eidas.europa.eu/LoA/low", "midden"),
        ("digid", SUBSTANTIAL, "substantieel"),
        ("digid", "http://eidas.europa.eu/LoA/high", "hoog"),
        ("eherkenning", "urn:etoegang:core:assurance-class:loa2plus", "EH2+"),
        ("eherkenning", SUBSTANTIAL, "EH3"),
        ("eherkenning", "http://eidas.europa.eu/LoA/high", "EH4"),
        ("eherkenning", "http://eidas.europa.eu/LoA/low", None),
        ("eidas", SUBSTANTIAL, SUBSTANTIAL),
    ],
)
def test_the_default_loa_mapping_lands_on_the_policys_levels(means, loa_authn, level):
    assert broker(means).level(loa_authn) == level


def test_a_broker_configuration_may_not_identify_by_sub_or_allow_hmac():
    with pytest.raises(ValueError, match="sub"):
        broker("digid", claims={"bsn": "sub"})
    with pytest.raises(ValueError, match="algorithms"):
        broker("digid", id_token_algorithms=("HS256",))
    with pytest.raises(ValueError, match="issuer or discovery_url"):
        BrokerConfig(means="digid", client_id="c", client_key_file="k", client_certificate_file="c")


# means × LoA × purpose: "Y" suffices, "." asks to step up.
LOA_TABLE = """
means        loa                                     read_mailbox manage_account grant_mandate request_mandate
digid        basis                                   .            .              .             .
digid        midden                                  Y            Y              .             .
digid        substantieel                            Y            Y              Y             Y
digid        hoog                                    Y            Y              Y             Y
eidas        http://eidas.europa.eu/LoA/low          .            .              .             .
eidas        http://eidas.europa.eu/LoA/substantial  Y            Y              Y             Y
eidas        http://eidas.europa.eu/LoA/high         Y            Y              Y             Y
eherkenning  EH2+                                    .            .              .             .
eherkenning  EH3                                     Y            Y              .             Y
eherkenning  EH4                                     Y            Y              .             Y
"""


def _loa_cases():
    header, *rows = [line.split() for line in LOA_TABLE.strip().splitlines()]
    return [
        (means, loa, purpose, mark == "Y")
        for means, loa, *marks in rows
        for purpose, mark in zip(header[2:], marks)
    ]


@pytest.mark.parametrize(("means", "loa", "purpose", "enough"), _loa_cases())
def test_minimum_level_of_assurance(ctx_for, clock, session, means, loa, purpose, enough):
    from uuid import uuid4

    actor = (
        StaffActor(uuid4(), uuid4(), clock.now(), loa=loa)
        if means == "eherkenning"
        else PersonActor(uuid4(), clock.now(), means=means, loa=loa)
    )
    ctx = ctx_for(actor)
    if enough:
        require_loa(ctx, purpose)
    else:
        with pytest.raises(StepUpRequired) as step_up:
            require_loa(ctx, purpose)
        assert step_up.value.status_code == 403
        if step_up.value.needed is not None:
            assert f"level {step_up.value.needed}" in step_up.value.detail
        else:
            assert "not enough" in step_up.value.detail


def test_only_the_register_client_feeds_the_register(ctx_for, clock):
    from uuid import uuid4

    require_loa(ctx_for(RegisterActor("ccbr", clock.now())), "feed_register")
    with pytest.raises(StepUpRequired):
        require_loa(ctx_for(PersonActor(uuid4(), clock.now(), loa="hoog")), "feed_register")
