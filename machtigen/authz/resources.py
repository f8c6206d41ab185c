"""Resources that are questions rather than rows, asked of the policy as a per-object check."""

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class RepresentationQuery:
    """ "May the actor act for this person at this service, for this action?" (DOMAIN.md rule 14).

    The moment is the actor's ``at``. The policy reaches the person's mandate scopes and legal
    measures through relations registered in authz/registry.py (``mandate_scopes``, ``measures``).
    """

    person_id: UUID
    service_id: UUID
    afnemer_id: UUID
    category: str
    action: str
