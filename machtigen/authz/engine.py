"""The one Oso instance: every policy file loaded once, every model registered with relations."""

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from uuid import UUID

from oso import Oso, Relation, Variable
from sqlalchemy import Select
from sqlalchemy.orm import Session

from machtigen.accounts.models import Account, Folder
from machtigen.afnemers.models import Afnemer, Service
from machtigen.authz import actors
from machtigen.authz.adapter import SqlAdapter, bound_session
from machtigen.authz.prepared import PreparedFilters
from machtigen.authz.resources import RepresentationQuery
from machtigen.authz.templates import Prepared, QueryTemplates
from machtigen.consents.models import Consent
from machtigen.errors import Forbidden, NotFound
from machtigen.identity.models import (
    EidasIdentity,
    Office,
    OfficeStaff,
    Person,
    StaffAssignment,
)
from machtigen.mandates.models import LegalMeasure, Mandate, MandateScope
from machtigen.messages.models import Message

_SOURCE_POLICIES = Path(__file__).resolve().parents[2] / "policies"
_BUNDLED_POLICIES = Path(__file__).resolve().parents[1] / "_bundled" / "policies"
POLICY_DIR = _SOURCE_POLICIES if _SOURCE_POLICIES.is_dir() else _BUNDLED_POLICIES
"""The source tree's ``policies/``; in an installed wheel, the copy it carries."""


def _many(other: str, my_field: str, other_field: str) -> Relation:
    return Relation(kind="many", other_type=other, my_field=my_field, other_field=other_field)


def _one(other: str, my_field: str, other_field: str = "id") -> Relation:
    return Relation(kind="one", other_type=other, my_field=my_field, other_field=other_field)


def _subject_relations(person_field: str) -> dict[str, Relation]:
    """Every resource that belongs to a person reaches that person's mandate scopes, measures
    and the office staff the person is assigned to."""
    return {
        "mandate_scopes": _many("MandateScope", person_field, "represented_person_id"),
        "measures": _many("LegalMeasure", person_field, "subject_person_id"),
        **_assignment_relation(person_field),
    }


def _assignment_relation(person_field: str) -> dict[str, Relation]:
    return {"staff_assignments": _many("StaffAssignment", person_field, "client_person_id")}


_FIELDS: dict[type, dict[str, Any]] = {
    Person: {"id": UUID, **_subject_relations("id")},
    EidasIdentity: {"id": UUID, "person_id": UUID},
    Account: {"person_id": UUID, "state": str, **_subject_relations("person_id")},
    Folder: {"id": UUID, "person_id": UUID, **_subject_relations("person_id")},
    Afnemer: {"id": UUID, "read_state_legal_basis": bool},
    Service: {"id": UUID, "afnemer_id": UUID, "category": str},
    Consent: {
        "id": UUID,
        "person_id": UUID,
        "afnemer_id": UUID,
        "afnemer_services": _many("Service", "afnemer_id", "afnemer_id"),
        **_subject_relations("person_id"),
    },
    Message: {
        "id": UUID,
        "person_id": UUID,
        "afnemer_id": UUID,
        "service_id": UUID,
        "channel": str,
        "service": _one("Service", "service_id"),
        "afnemer": _one("Afnemer", "afnemer_id"),
        "consents": _many("Consent", "person_id", "person_id"),
        **_subject_relations("person_id"),
    },
    Mandate: {
        "id": UUID,
        "represented_person_id": UUID,
        "representative_person_id": UUID,
        "representative_office_id": UUID,
        "status": str,
        "initiated_by": str,
        "valid_from": datetime,
        "valid_until": datetime,
        "scopes": _many("MandateScope", "id", "mandate_id"),
        "subject_measures": _many("LegalMeasure", "represented_person_id", "subject_person_id"),
        **_assignment_relation("represented_person_id"),
    },
    MandateScope: {
        "id": UUID,
        "mandate_id": UUID,
        "represented_person_id": UUID,
        "service_id": UUID,
        "action": str,
        "lapsed_by_measure_id": UUID,
        "mandate": _one("Mandate", "mandate_id"),
        "service": _one("Service", "service_id"),
    },
    RepresentationQuery: {
        "person_id": UUID,
        "service_id": UUID,
        "afnemer_id": UUID,
        "category": str,
        "action": str,
        **_subject_relations("person_id"),
    },
    LegalMeasure: {
        "id": UUID,
        "subject_person_id": UUID,
        "kind": str,
        "representative_person_id": UUID,
        "representative_office_id": UUID,
        "starts_at": datetime,
        "ends_at": datetime,
        **_assignment_relation("subject_person_id"),
    },
    Office: {"id": UUID},
    OfficeStaff: {"id": UUID, "office_id": UUID},
    StaffAssignment: {"id": UUID, "staff_id": UUID, "client_person_id": UUID},
}

_ACTOR_CLASSES = (
    actors.PersonActor,
    actors.StaffActor,
    actors.UnmatchedEidasActor,
    actors.AfnemerActor,
    actors.RegisterActor,
    actors.OperatorActor,
    actors.CourtRegister,
    actors.AfnemerRegistry,
)


def build_oso(policy_dir: Path = POLICY_DIR) -> Oso:
    oso = Oso()
    oso.set_data_filtering_adapter(SqlAdapter())
    oso.register_class(UUID)
    for cls in _ACTOR_CLASSES:
        oso.register_class(cls)
    for model, fields in _FIELDS.items():
        oso.register_class(model, fields=fields)
    oso.load_files(sorted(str(path) for path in policy_dir.glob("*.polar")))
    return oso


class Authorizer:
    """Asks the policy. 404 when the actor may not even see the object, 403 when it may see it."""

    def __init__(self, oso: Oso) -> None:
        self.oso = oso
        self._queries = QueryTemplates(oso.authorized_query)
        self.rules = PreparedFilters(oso)
        """Filters of rules other than ``allow``, compiled once per shape (the mandate check)."""

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

        Compiled once per kind of actor and bound to this actor's values (authz/templates.py).
        """
        return self._queries.select(actor, action, model)

    def prepared(self, actor: Any, action: str, model: type[Any]) -> Prepared:
        """The same filter as ``select``, as a shared statement plus the actor's parameters:
        for hot paths that build on it and execute with ``statement, params``."""
        return self._queries.prepared(actor, action, model)

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
