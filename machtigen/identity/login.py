"""From a verified broker token to an identity: DigiD, eIDAS and eHerkenning, one model.

Logging in never activates an account (rule 1). Every login and failed login is audited
with means, level of assurance, address and user agent; the BSN never enters a log line.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlmodel import col

from machtigen.accounts.models import Account
from machtigen.audit.service import record
from machtigen.authz.actors import (
    PersonActor,
    StaffActor,
    UnmatchedEidasActor,
)
from machtigen.context import Ctx
from machtigen.errors import Conflict, MachtigenError, NotFound
from machtigen.identity import failures
from machtigen.identity.brokers import BrokerConfig
from machtigen.identity.bsn import is_valid_bsn
from machtigen.identity.formats import is_eidas_identifier, is_kvk_number
from machtigen.identity.models import EidasIdentity, EidasMatch, Office, OfficeStaff, Person
from machtigen.identity.service import record_eidas, record_eidas_link, staff_actor
from machtigen.identity.tokens import InvalidToken

DIGID_LOA = ("basis", "midden", "substantieel", "hoog")
EIDAS_LOA = tuple(f"http://eidas.europa.eu/LoA/{level}" for level in ("low", "substantial", "high"))
EHERKENNING_LOA = ("EH2+", "EH3", "EH4")
LEVELS = {"digid": DIGID_LOA, "eidas": EIDAS_LOA, "eherkenning": EHERKENNING_LOA}
"""The levels policies/05_assurance.polar knows; a broker's mapping must land on one."""


class LoginRefused(MachtigenError):
    """The token was genuine, but nobody it names may log in here; the page says why."""

    status_code = 403
    title = "Login not possible"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class DigidAssertion:
    subject: str
    loa: str
    bsn: str


@dataclass(frozen=True)
class EidasAssertion:
    subject: str
    loa: str
    person_identifier: str
    first_name: str
    family_name: str
    date_of_birth: date


@dataclass(frozen=True)
class EherkenningAssertion:
    subject: str
    loa: str
    kvk_number: str
    employee_id: str
    name: str


Assertion = DigidAssertion | EidasAssertion | EherkenningAssertion


@dataclass(frozen=True)
class LoginResult:
    actor: PersonActor | StaffActor | UnmatchedEidasActor
    eidas_match: EidasMatch | None = None
    display_name: str = ""


def assertion_from_claims(config: BrokerConfig, issuer: str, claims: dict[str, Any]) -> Assertion:
    """Read a broker's verified claims through its mapping; anything missing or malformed is
    a 401. People are identified by BSN, KvK number and employee, or PersonIdentifier — never
    by ``sub``, which at some brokers is the same for everyone."""
    means = config.means
    subject = issuer[:64]
    loa = config.level(_text(claims, config.claim("loa")))
    if loa not in LEVELS[means]:
        raise InvalidToken("The broker's level of assurance is not one we know.")
    if means == "digid":
        bsn = _text(claims, config.claim("bsn"))
        if not is_valid_bsn(bsn):
            raise InvalidToken("The DigiD answer has no valid BSN.")
        return DigidAssertion(subject, loa, bsn)
    if means == "eidas":
        identifier = _text(claims, config.claim("person_identifier"))
        if not is_eidas_identifier(identifier):
            raise InvalidToken("The eIDAS answer has no valid PersonIdentifier.")
        try:
            born = date.fromisoformat(_text(claims, config.claim("birthdate")))
        except ValueError as error:
            raise InvalidToken("The eIDAS answer has no valid date of birth.") from error
        return EidasAssertion(
            subject,
            loa,
            identifier,
            _text(claims, config.claim("given_name")),
            _text(claims, config.claim("family_name")),
            born,
        )
    kvk = _text(claims, config.claim("kvk_number"))
    if not is_kvk_number(kvk):
        raise InvalidToken("The eHerkenning answer has no valid KvK number.")
    employee = _text(claims, config.claim("employee_id"))
    name = claims.get(config.claim("name"))
    name = name[:200] if isinstance(name, str) else ""
    return EherkenningAssertion(subject, loa, kvk, employee, name)


def login(
    ctx: Ctx,
    means: str,
    assertion: Assertion,
    failure_window_seconds: int = failures.DEFAULT_WINDOW_SECONDS,
) -> LoginResult:
    """Resolve who logged in, audit it, and record the visit (never an activation)."""
    try:
        if isinstance(assertion, DigidAssertion):
            result = _digid(ctx, assertion)
        elif isinstance(assertion, EidasAssertion):
            result = _eidas(ctx, assertion)
        else:
            result = _eherkenning(ctx, assertion)
    except LoginRefused as refused:
        failed(ctx, means, assertion.loa, assertion.subject, refused.reason, failure_window_seconds)
        raise
    failures.flush_ended(ctx, timedelta(seconds=failure_window_seconds))
    subject_person = getattr(result.actor, "person_id", None)
    record(
        ctx.as_actor(result.actor),
        "login",
        subject_person_id=subject_person,
        token_subject=assertion.subject,
        eidas_match=result.eidas_match,
    )
    if subject_person is not None:
        account = ctx.session.get(Account, subject_person)
        if account is not None:
            account.last_visit_at = ctx.now
    return result


def failed(
    ctx: Ctx,
    means: str | None,
    loa: str | None,
    subject: str,
    reason: str,
    window_seconds: int = failures.DEFAULT_WINDOW_SECONDS,
) -> None:
    """A refused login, audited under the broker's name (never a BSN); repeats of the same
    failure from the same address within the window become one event with their count."""
    failures.record_failure(ctx, means, loa, subject, reason, window_seconds)


def _digid(ctx: Ctx, assertion: DigidAssertion) -> LoginResult:
    person = ctx.session.scalars(
        select(Person).where(col(Person.bsn) == assertion.bsn)
    ).one_or_none()
    if person is None or ctx.session.get(Account, person.id) is None:
        raise LoginRefused(
            "no_account",
            "There is no mailbox for this BSN. Accounts exist for everyone aged 14 or older"
            " who is registered in the BRP or the RNI.",
        )
    actor = PersonActor(person.id, ctx.now, means="digid", loa=assertion.loa, name=person.full_name)
    return LoginResult(actor, display_name=person.full_name)


def _eidas(ctx: Ctx, assertion: EidasAssertion) -> LoginResult:
    identity = match_eidas(ctx, assertion)
    name = f"{assertion.first_name} {assertion.family_name}"
    if identity.match == EidasMatch.MATCHED and identity.person_id is not None:
        actor = PersonActor(
            identity.person_id, ctx.now, means="eidas", loa=assertion.loa, name=name
        )
        return LoginResult(actor, EidasMatch.MATCHED, name)
    unmatched = UnmatchedEidasActor(
        identity.id, ctx.now, means="eidas", loa=assertion.loa, name=name
    )
    return LoginResult(unmatched, EidasMatch(identity.match), name)


def _eherkenning(ctx: Ctx, assertion: EherkenningAssertion) -> LoginResult:
    office = ctx.session.scalars(
        select(Office).where(col(Office.kvk_number) == assertion.kvk_number)
    ).one_or_none()
    if office is None:
        raise LoginRefused(
            "office_unknown", "This organisation is not registered as a representative office."
        )
    staff = ctx.session.scalars(
        select(OfficeStaff).where(
            col(OfficeStaff.office_id) == office.id,
            col(OfficeStaff.employee_id) == assertion.employee_id,
        )
    ).one_or_none()
    if staff is None:
        staff = OfficeStaff(
            office_id=office.id,
            employee_id=assertion.employee_id,
            name=assertion.name or "",
            created_at=ctx.now,
        )
        ctx.session.add(staff)
        ctx.session.flush()
    if not staff.active:
        raise LoginRefused("staff_inactive", "This employee may no longer act for the office.")
    actor = staff_actor(ctx.session, staff, ctx.now, loa=assertion.loa)
    return LoginResult(actor, display_name=f"{staff.name} ({office.name})")


def match_eidas(ctx: Ctx, assertion: EidasAssertion) -> EidasIdentity:
    """PersonIdentifier first; else name and birth date give a candidate to confirm (no merge)."""
    identity = ctx.session.scalars(
        select(EidasIdentity).where(
            col(EidasIdentity.person_identifier) == assertion.person_identifier
        )
    ).one_or_none()
    if identity is not None:
        return identity
    candidates = _same_name_and_birth(ctx, assertion)
    identity = EidasIdentity(
        person_identifier=assertion.person_identifier,
        first_name=assertion.first_name,
        family_name=assertion.family_name,
        date_of_birth=assertion.date_of_birth,
        candidate_person_id=candidates[0].id if len(candidates) == 1 else None,
        match=EidasMatch.NEEDS_CONFIRMATION if candidates else EidasMatch.UNMATCHED,
        created_at=ctx.now,
    )
    ctx.session.add(identity)
    ctx.session.flush()
    record_eidas(
        ctx,
        "eidas.registered",
        identity,
        identity.candidate_person_id,
        match=identity.match,
        candidates=len(candidates),
    )
    return identity


def confirm_eidas_match(ctx: Ctx, identity_id: UUID, person_id: UUID) -> EidasIdentity:
    """An operator, after checking documents, links an eID to a person; one eID per person."""
    identity = ctx.session.get(EidasIdentity, identity_id)
    if identity is None:
        raise NotFound("No such eIDAS identity.")
    ctx.authorize("confirm_match", identity)
    if ctx.session.get(Person, person_id) is None:
        raise NotFound("No such person.")
    claimed = ctx.session.scalars(
        select(EidasIdentity).where(
            col(EidasIdentity.person_id) == person_id,
            col(EidasIdentity.match) == EidasMatch.MATCHED,
            col(EidasIdentity.id) != identity_id,
        )
    ).first()
    if claimed is not None:
        raise Conflict(
            "Another eIDAS identity is already linked to this person; resolve that first."
        )
    identity.person_id = person_id
    identity.candidate_person_id = None
    identity.match = EidasMatch.MATCHED
    record_eidas_link(ctx, identity, person_id)
    return identity


def _same_name_and_birth(ctx: Ctx, assertion: EidasAssertion) -> list[Person]:
    same_birth = ctx.session.scalars(
        select(Person).where(col(Person.date_of_birth) == assertion.date_of_birth).limit(5000)
    ).all()
    wanted = (_fold(assertion.first_name), _fold(assertion.family_name))
    return [p for p in same_birth if (_fold(p.given_name), _fold(p.family_name)) == wanted]


def _fold(name: str) -> str:
    """Compare names without case, accents or spacing differences (García López = GARCIA LOPEZ)."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(letters.casefold().split())


def _text(claims: dict[str, Any], name: str) -> str:
    value = claims.get(name)
    if not isinstance(value, str) or not value or len(value) > 256:
        raise InvalidToken(f"The token lacks the claim {name}.")
    return value
