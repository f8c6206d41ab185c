"""What every domain service is handed: the unit of work, who asks, the clock and the policy."""

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from machtigen.authz.actors import Actor
from machtigen.authz.engine import Authorizer
from machtigen.clock import Clock


@dataclass(frozen=True)
class Origin:
    """Where a request came from, for the audit trail."""

    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True)
class Ctx:
    session: Session
    actor: Actor
    clock: Clock
    authz: Authorizer
    origin: Origin = Origin()

    @property
    def now(self) -> datetime:
        return self.actor.at

    def as_actor(self, actor: Actor) -> "Ctx":
        return replace(self, actor=actor)

    def authorize(self, action: str, resource: object) -> None:
        self.authz.authorize(self.session, self.actor, action, resource)

    def is_allowed(self, action: str, resource: object) -> bool:
        return self.authz.is_allowed(self.session, self.actor, action, resource)
