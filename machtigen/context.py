"""What every domain service is handed: the unit of work, who asks, the clock and the policy."""

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from machtigen.audit.denials import Asked, record_denial
from machtigen.authz.actors import Actor
from machtigen.authz.engine import Authorizer
from machtigen.clock import Clock
from machtigen.errors import Forbidden, NotFound

Refusal = TypeVar("Refusal", bound=Exception)
Row = TypeVar("Row")


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
        """Ask the policy; a refusal is audited (surviving the rollback), then raised."""
        try:
            self.authz.authorize(self.session, self.actor, action, resource)
        except (NotFound, Forbidden) as denied:
            outcome = "not_found" if isinstance(denied, NotFound) else "forbidden"
            record_denial(self._asked(), action, resource, outcome)
            raise

    def load(self, model: type[Row], key: object, action: str, missing: type[Exception]) -> Row:
        """The ``model`` row with this key, once the policy lets the actor ``action`` on it
        (``authorize``); ``missing()`` raised when there is none."""
        found = self.session.get(model, key)
        if found is None:
            raise missing()
        self.authorize(action, found)
        return found

    def deny(self, action: str, resource: object, error: Refusal) -> Refusal:
        """Audit a refusal decided outside ``authorize`` (a policy asked with ``is_allowed``,
        a login too weak for the purpose); returns the error to raise."""
        name = type(error).__name__
        outcome = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        record_denial(self._asked(), action, resource, outcome)
        return error

    def _asked(self) -> Asked:
        return Asked(self.session, self.actor, self.clock, self.origin.ip, self.origin.user_agent)

    def is_allowed(self, action: str, resource: object) -> bool:
        return self.authz.is_allowed(self.session, self.actor, action, resource)
