"""Which classes the policy knows: every actor class, and every model with the fields and
relations that oso's data filtering follows (``has_relation`` in the policy)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from oso import Oso, Relation

from machtigen.accounts.models import Account, Folder
from machtigen.afnemers.models import Afnemer, Service
from machtigen.authz import actors
from machtigen.authz.resources import RepresentationQuery
from machtigen.consents.models import Consent
from machtigen.identity.models import (
    EidasIdentity,
    Office,
    OfficeStaff,
    Person,
    StaffAssignment,
)
from machtigen.mandates.models import LegalMeasure, Mandate, MandateScope
from machtigen.messages.models import Message


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


def register_classes(oso: Oso) -> None:
    """Register every actor class and every model (with its fields and relations) with oso."""
    oso.register_class(UUID)
    for cls in _ACTOR_CLASSES:
        oso.register_class(cls)
    for model, fields in _FIELDS.items():
        oso.register_class(model, fields=fields)
