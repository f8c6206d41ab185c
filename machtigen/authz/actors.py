"""Who is asking. Each actor carries ``at``: the moment the decision is made for."""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class PersonActor:
    """A natural person logged in with DigiD, or with eIDAS once matched to a BSN."""

    person_id: UUID
    at: datetime
    means: str = "digid"
    loa: str | None = None
    name: str = ""

    @property
    def kind(self) -> str:
        return "person"

    @property
    def key(self) -> UUID:
        return self.person_id


@dataclass(frozen=True)
class StaffActor:
    """An office employee (eHerkenning) acting for the office."""

    staff_id: UUID
    office_id: UUID
    at: datetime
    means: str = "eherkenning"
    loa: str | None = None
    name: str = ""
    is_admin: bool = False
    """An office administrator: assigns clients to staff and acts for all of the office's."""
    office_divides_clients: bool = True
    """The office assigns its clients to staff (``Office.assigns_clients``): then a non-admin
    acts only for the clients assigned to them. Build the actor with
    ``machtigen.identity.service.staff_actor``; these defaults are the narrowest."""

    @property
    def kind(self) -> str:
        return "staff"

    @property
    def key(self) -> UUID:
        return self.staff_id


@dataclass(frozen=True)
class UnmatchedEidasActor:
    """An EU citizen whose eID is not (yet) linked to a BSN: may see nothing of anyone."""

    identity_id: UUID
    at: datetime
    means: str = "eidas"
    loa: str | None = None
    name: str = ""

    @property
    def kind(self) -> str:
        return "eidas"

    @property
    def key(self) -> UUID:
        return self.identity_id


@dataclass(frozen=True)
class AfnemerActor:
    afnemer_id: UUID
    at: datetime
    means: str = "client_credentials"
    loa: str | None = None
    name: str = ""

    @property
    def kind(self) -> str:
        return "afnemer"

    @property
    def key(self) -> UUID:
        return self.afnemer_id


@dataclass(frozen=True)
class RegisterActor:
    """The machine client that feeds court measures from the register (CCBR)."""

    client_id: str
    at: datetime
    means: str = "client_credentials"
    loa: str | None = None
    name: str = "court register"

    @property
    def kind(self) -> str:
        return "register"

    @property
    def key(self) -> str:
        return self.client_id


@dataclass(frozen=True)
class OperatorActor:
    """Staff of the service (beheerder): configures afnemers, never reads mail."""

    operator_id: str
    at: datetime
    means: str = "staff_login"
    loa: str | None = None
    name: str = "operator"

    @property
    def kind(self) -> str:
        return "operator"

    @property
    def key(self) -> str:
        return self.operator_id


@dataclass(frozen=True)
class SystemActor:
    """The service itself (jobs, demo data loading): audited, but never in a policy."""

    at: datetime
    job: str = "system"
    means: str | None = None
    loa: str | None = None
    name: str = field(default="machtigen")

    @property
    def kind(self) -> str:
        return "system"

    @property
    def key(self) -> str:
        return self.job


@dataclass(frozen=True)
class AnonymousActor:
    """Someone whose login did not (yet) succeed: audited by the token's issuer and subject."""

    subject: str
    at: datetime
    means: str | None = None
    loa: str | None = None
    name: str = ""

    @property
    def kind(self) -> str:
        return "anonymous"

    @property
    def key(self) -> str:
        return self.subject


Actor = (
    PersonActor
    | StaffActor
    | UnmatchedEidasActor
    | AfnemerActor
    | RegisterActor
    | OperatorActor
    | SystemActor
    | AnonymousActor
)


@dataclass(frozen=True)
class CourtRegister:
    """The register feed as a resource: only the register client may post to it."""


@dataclass(frozen=True)
class AfnemerRegistry:
    """The list of afnemers and services as a resource: only operators configure it."""
