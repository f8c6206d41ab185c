"""The one Oso instance (every policy file loaded once, every class registered by
machtigen/authz/registry.py) and the ``Authorizer`` that asks it."""

from functools import lru_cache
from pathlib import Path
from typing import Any

from oso import Oso, Variable
from sqlalchemy import Select
from sqlalchemy.orm import Session

from machtigen.authz.adapter import SqlAdapter, bound_session
from machtigen.authz.prepared import FilterCompiler, Prepared
from machtigen.authz.registry import register_classes
from machtigen.errors import Forbidden, NotFound

_SOURCE_POLICIES = Path(__file__).resolve().parents[2] / "policies"
_BUNDLED_POLICIES = Path(__file__).resolve().parents[1] / "_bundled" / "policies"
POLICY_DIR = _SOURCE_POLICIES if _SOURCE_POLICIES.is_dir() else _BUNDLED_POLICIES
"""The source tree's ``policies/``; in an installed wheel, the copy it carries."""


def build_oso(policy_dir: Path = POLICY_DIR) -> Oso:
    oso = Oso()
    oso.set_data_filtering_adapter(SqlAdapter())
    register_classes(oso)
    oso.load_files(sorted(str(path) for path in policy_dir.glob("*.polar")))
    return oso


class Authorizer:
    """Asks the policy. 404 when the actor may not even see the object, 403 when it may see it."""

    def __init__(self, oso: Oso) -> None:
        self.oso = oso
        self.rules = FilterCompiler.for_oso(oso)
        """The filter compiler (authz/prepared.py): ``allow`` filters for ``select`` and
        ``prepared``, and any other rule's, compiled once per shape (the mandate check)."""

    def is_allowed(self, session: Session, actor: Any, action: str, resource: Any) -> bool:
        with bound_session(session):
            return bool(self.oso.is_allowed(actor, action, resource))

    def authorize(self, session: Session, actor: Any, action: str, resource: Any) -> None:
        if self.is_allowed(session, actor, action, resource):
            return
        if action != "see" and self.is_allowed(session, actor, "see", resource):
            raise Forbidden(f"You may not {action.replace('_', ' ')} this.")
        raise NotFound("Not found.")

    def select(self, actor: Any, action: str, model: type[Any]) -> Select[Any]:
        """A SELECT of every ``model`` row the actor may ``action``, filtered in SQL.

        Compiled once per kind of actor and bound to this actor's values (authz/prepared.py).
        """
        return self.rules.select(actor, action, model)

    def prepared(self, actor: Any, action: str, model: type[Any]) -> Prepared:
        """The same filter as ``select``, as a shared statement plus the actor's parameters:
        for hot paths that build on it and execute with ``statement, params``."""
        return self.rules.prepared(actor, action, model)

    def holds(self, rule: str, *args: object) -> bool:
        """Whether a plain Polar fact or rule holds, e.g. which categories a measure covers."""
        return bool(self.oso.query_rule_once(rule, *args))

    def rule_holds(self, session: Session, rule: str, *args: object) -> bool:
        """Whether a policy rule holds for these objects, following their relations."""
        with bound_session(session):
            return bool(self.oso.query_rule_once(rule, *args))

    def bindings(self, session: Session, rule: str, *args: object) -> list[Any]:
        """Every value the last argument of ``rule`` takes (e.g. the basis that allows an act)."""
        found = Variable("found")
        with bound_session(session):
            return [
                result["bindings"]["found"] for result in self.oso.query_rule(rule, *args, found)
            ]

    def allowed_actions(self, session: Session, actor: Any, resource: Any) -> set[str]:
        with bound_session(session):
            return set(self.oso.authorized_actions(actor, resource))


@lru_cache
def get_authorizer() -> Authorizer:
    return Authorizer(build_oso())
