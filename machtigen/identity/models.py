"""People, EU citizens' eIDAS identities, and representative offices with their staff."""

from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from machtigen.models_base import enum_field, foreign_key, id_field, moment


class Person(SQLModel, table=True):
    """A natural person. ``bsn`` is empty only for an EU citizen not yet matched."""

    id: UUID = id_field()
    bsn: str | None = Field(default=None, max_length=9, unique=True)
    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    date_of_birth: date
    non_resident: bool = False
    """Registered in the RNI (registratie niet-ingezetenen): an exempted group (Regeling EBV)."""
    postal_address: str = Field(default="", max_length=500)
    municipality_code: str | None = Field(default=None, max_length=4)
    """The municipality the person lives in (CBS code from the BRP, e.g. 0344 Utrecht); empty
    for someone who lives abroad (RNI). Decides which local afnemers can concern them."""
    preferred_language: str = Field(default="nl", max_length=2)
    language_chosen_at: datetime | None = moment(nullable=True)
    """When the person last chose the portal's language (then ``preferred_language`` is theirs);
    None: never chosen, and post to someone who came in through eIDAS is in English."""
    created_at: datetime = moment()

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class EidasMatch(StrEnum):
    MATCHED = "matched"
    NEEDS_CONFIRMATION = "needs_confirmation"
    UNMATCHED = "unmatched"


class EidasIdentity(SQLModel, table=True):
    """A notified eID from another member state; linked to a person once matched, never merged."""

    __tablename__ = "eidas_identity"

    id: UUID = id_field()
    person_identifier: str = Field(max_length=256, unique=True)
    first_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    date_of_birth: date
    person_id: UUID | None = foreign_key("person.id", nullable=True)
    candidate_person_id: UUID | None = foreign_key("person.id", nullable=True, index=False)
    """Name and date of birth matched this person: linked only after confirmation."""
    match: EidasMatch = enum_field(32, default=EidasMatch.UNMATCHED)
    created_at: datetime = moment()


class Office(SQLModel, table=True):
    """A professional representative organisation (bewindvoerderskantoor), known by KvK number."""

    id: UUID = id_field()
    kvk_number: str = Field(max_length=8, unique=True)
    name: str = Field(max_length=200)
    assigns_clients: bool = False
    """True while at least one client is assigned to an employee: from then on an employee acts
    only for the clients assigned to them, an administrator for all (policies/00_representation).
    Kept by machtigen.identity.assignments so that the policy needs no negation."""
    created_at: datetime = moment()


class OfficeStaff(SQLModel, table=True):
    """An employee who logs in with eHerkenning and acts for the office."""

    __tablename__ = "office_staff"
    __table_args__ = (UniqueConstraint("office_id", "employee_id"),)

    id: UUID = id_field()
    office_id: UUID = foreign_key("office.id")
    employee_id: str = Field(max_length=128)
    """The pseudonymous employee id eHerkenning issues."""
    name: str = Field(max_length=200)
    is_admin: bool = False
    active: bool = True
    email: str | None = Field(default=None, max_length=320)
    """Where this employee gets notifications for the office's clients (rule 12)."""
    email_confirmed_at: datetime | None = moment(nullable=True)
    """Set or last confirmed "still current" by the employee; asked again after six months."""
    created_at: datetime = moment()


class StaffAssignment(SQLModel, table=True):
    """A client of the office assigned to one employee by an office administrator."""

    __tablename__ = "staff_assignment"
    __table_args__ = (
        UniqueConstraint("client_person_id", "staff_id", name="uq_staff_assignment_client_staff"),
    )

    id: UUID = id_field()
    staff_id: UUID = foreign_key("office_staff.id")
    client_person_id: UUID = foreign_key("person.id", index=False)
    """Indexed by the unique constraint: the policy joins from the client's rows to here."""
    assigned_at: datetime = moment()
    assigned_by_staff_id: UUID | None = foreign_key("office_staff.id", nullable=True, index=False)


class PortalSession(SQLModel, table=True):
    """A server-side portal session. The cookie holds a random token; only its hash is stored."""

    __tablename__ = "portal_session"

    id: UUID = id_field()
    token_hash: str = Field(max_length=64, unique=True)
    actor_kind: str = Field(max_length=16)
    person_id: UUID | None = foreign_key("person.id", nullable=True)
    staff_id: UUID | None = foreign_key("office_staff.id", nullable=True)
    eidas_identity_id: UUID | None = foreign_key("eidas_identity.id", nullable=True, index=False)
    acting_for_person_id: UUID | None = foreign_key("person.id", nullable=True, index=False)
    means: str = Field(max_length=16)
    loa: str = Field(max_length=64)
    csrf_token: str = Field(max_length=64)
    language: str = Field(default="nl", max_length=2)
    created_at: datetime = moment()
    last_seen_at: datetime = moment()
    expires_at: datetime = moment(index=True)
    ended_at: datetime | None = moment(nullable=True)
    ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=300)
    id_token_hint: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """The broker's id_token, kept only while the session lives: the hint its
    end_session_endpoint asks for at log-out (RP-Initiated Logout)."""


class LoginFlow(SQLModel, table=True):
    """One login on its way through a broker: what the callback must see again.

    In the database, not in memory, so that the callback may land on any worker or host; the
    browser holds the state in a signed cookie, which binds the flow to the browser that
    started it. Used once: the callback marks it used before anything else.
    """

    __tablename__ = "login_flow"

    id: UUID = id_field()
    state_hash: str = Field(max_length=64, unique=True)
    """SHA-256 of the ``state`` sent to the broker (the state itself travels in URLs)."""
    means: str = Field(max_length=16)
    nonce: str = Field(max_length=128)
    code_verifier: str = Field(max_length=128)
    created_at: datetime = moment()
    expires_at: datetime = moment(index=True)
    used_at: datetime | None = moment(nullable=True)


class LoginFailureTally(SQLModel, table=True):
    """Identical failed logins from one source within a window: the first is audited at once,
    the repeats are counted here and audited as one event with their count (issue 12 §5)."""

    __tablename__ = "login_failure_tally"

    key: str = Field(primary_key=True, max_length=64)
    """SHA-256 of source address, means and reason."""
    means: str = Field(max_length=16)
    reason: str = Field(max_length=64)
    ip: str | None = Field(default=None, max_length=45)
    window_started_at: datetime = moment()
    last_at: datetime = moment(index=True)
    repeats: int = 0
    """Failures after the first in this window, not yet in the audit log."""
