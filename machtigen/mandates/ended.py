"""Why a representative can no longer act for someone they were acting for.

The policy decides *whether* the actor may act for the person; when it says no to someone
who was acting for them, the portal says *why*, from the bases the actor may read (their own
mandates and measures for that person): revoked by the person or from their own side,
expired, lapsed through a court measure, the measure ended, or (office staff) the client is
no longer assigned to them. The newest ending counts.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlmodel import col

from machtigen.authz.actors import StaffActor
from machtigen.context import Ctx
from machtigen.mandates.models import LegalMeasure, Mandate, MandateStatus


class EndedBecause(StrEnum):
    REVOKED_BY_REPRESENTED = "revoked_by_represented"
    REVOKED_BY_REPRESENTATIVE = "revoked_by_representative"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    MEASURE_ENDED = "measure_ended"
    UNASSIGNED = "unassigned"
    UNKNOWN = "unknown"


_MANDATE_ENDINGS = {
    "by_represented": EndedBecause.REVOKED_BY_REPRESENTED,
    "by_representative": EndedBecause.REVOKED_BY_REPRESENTATIVE,
    "superseded_by_legal_measure": EndedBecause.SUPERSEDED,
    "validity_ended": EndedBecause.EXPIRED,
}


@dataclass(frozen=True)
class Ending:
    because: EndedBecause
    at: datetime | None


def why_acting_ended(ctx: Ctx, person_id: UUID) -> EndedBecause:
    """The reason the actor no longer acts for the person (call it once the policy said no)."""
    endings = [*_mandate_endings(ctx, person_id), *_measure_endings(ctx, person_id)]
    in_force = [ending for ending in endings if ending.at is None]
    if in_force and isinstance(ctx.actor, StaffActor):
        return EndedBecause.UNASSIGNED  # the office still represents them; not this employee
    ended = [ending for ending in endings if ending.at is not None]
    if not ended:
        return EndedBecause.UNKNOWN
    return max(ended, key=lambda ending: ending.at or ctx.now).because


def _mandate_endings(ctx: Ctx, person_id: UUID) -> list[Ending]:
    statement = ctx.authz.select(ctx.actor, "read", Mandate).where(
        col(Mandate.represented_person_id) == person_id,
        col(Mandate.status).in_(
            [MandateStatus.ACTIVE, MandateStatus.REVOKED, MandateStatus.EXPIRED]
        ),
    )
    endings = []
    for mandate in ctx.session.scalars(statement):
        if mandate.status == MandateStatus.ACTIVE and mandate.valid_until > ctx.now:
            if mandate.valid_from <= ctx.now:
                endings.append(Ending(EndedBecause.UNKNOWN, None))
            continue
        if mandate.status == MandateStatus.ACTIVE:
            endings.append(Ending(EndedBecause.EXPIRED, mandate.valid_until))
            continue
        because = _MANDATE_ENDINGS.get(mandate.end_reason or "", EndedBecause.UNKNOWN)
        endings.append(Ending(because, mandate.ended_at or mandate.valid_until))
    return endings


def _measure_endings(ctx: Ctx, person_id: UUID) -> list[Ending]:
    statement = ctx.authz.select(ctx.actor, "read", LegalMeasure).where(
        col(LegalMeasure.subject_person_id) == person_id,
        col(LegalMeasure.starts_at) <= ctx.now,
    )
    endings = []
    for measure in ctx.session.scalars(statement):
        if measure.ends_at is None or measure.ends_at > ctx.now:
            endings.append(Ending(EndedBecause.UNKNOWN, None))
        else:
            endings.append(Ending(EndedBecause.MEASURE_ENDED, measure.ends_at))
    return endings


__all__ = ["EndedBecause", "why_acting_ended"]
