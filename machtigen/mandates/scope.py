"""What a representative may do for one client, to show on every page where they act for them.

The bases are the ones the policy lets the actor act under today (``act_under``); what a
court measure covers comes from the policy's own facts (``measure_covers``,
``measure_is_full``, ``measure_covers_personal_data``), what a mandate covers from its scope
rows that did not lapse. Nothing here decides: it describes what the policy allows.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlmodel import col

from machtigen.afnemers.models import Afnemer, Service
from machtigen.context import Ctx
from machtigen.mandates.models import LegalMeasure, Mandate, MandateAction, MandateScope

CATEGORY_ORDER = ("financial", "personal_care", "other")
ACTION_ORDER = tuple(MandateAction)


@dataclass(frozen=True)
class MeasureBasis:
    kind: str
    categories: tuple[str, ...]
    """The service categories the measure covers, in a fixed order."""
    full: bool
    """Full representation (curatele): the whole account, settings included."""
    personal_data: bool
    ends_at: datetime | None


@dataclass(frozen=True)
class ServiceGrant:
    afnemer: str
    service: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class MandateBasis:
    grants: tuple[ServiceGrant, ...]
    personal_data: bool
    valid_until: datetime


@dataclass(frozen=True)
class Representation:
    measures: tuple[MeasureBasis, ...]
    mandates: tuple[MandateBasis, ...]


def representation_of(ctx: Ctx, person_id: UUID) -> Representation:
    """The bases on which the actor acts for the person today, with what each covers."""
    return Representation(_measures(ctx, person_id), _mandates(ctx, person_id))


def _acting_under(ctx: Ctx, model: type[Any], person: Any, person_id: UUID) -> Select[Any]:
    """The ``model`` rows about the person under which the policy lets the actor act."""
    return ctx.authz.select(ctx.actor, "act_under", model).where(col(person) == person_id)


def _measures(ctx: Ctx, person_id: UUID) -> tuple[MeasureBasis, ...]:
    measures = _acting_under(ctx, LegalMeasure, LegalMeasure.subject_person_id, person_id)
    bases = []
    for measure in ctx.session.scalars(measures.order_by(col(LegalMeasure.starts_at))):
        kind = str(measure.kind)
        covered = set(ctx.authz.bindings(ctx.session, "measure_covers", kind))
        bases.append(
            MeasureBasis(
                kind=kind,
                categories=tuple(c for c in CATEGORY_ORDER if c in covered),
                full=ctx.authz.holds("measure_is_full", kind),
                personal_data=ctx.authz.holds("measure_covers_personal_data", kind),
                ends_at=measure.ends_at,
            )
        )
    return tuple(bases)


def _mandates(ctx: Ctx, person_id: UUID) -> tuple[MandateBasis, ...]:
    mandates = _acting_under(ctx, Mandate, Mandate.represented_person_id, person_id)
    bases = []
    for mandate in ctx.session.scalars(mandates.order_by(col(Mandate.valid_from))):
        rows = ctx.session.execute(
            select(col(MandateScope.action), col(Afnemer.name), col(Service.name))
            .select_from(MandateScope)
            .outerjoin(Service, col(Service.id) == col(MandateScope.service_id))
            .outerjoin(Afnemer, col(Afnemer.id) == col(Service.afnemer_id))
            .where(
                col(MandateScope.mandate_id) == mandate.id,
                col(MandateScope.lapsed_by_measure_id).is_(None),
            )
        ).all()
        actions: dict[tuple[str, str], set[str]] = {}
        for action, afnemer, service in rows:
            if afnemer is not None and service is not None:
                actions.setdefault((afnemer, service), set()).add(str(action))
        grants = tuple(
            ServiceGrant(afnemer, service, tuple(a for a in ACTION_ORDER if a in done))
            for (afnemer, service), done in sorted(actions.items())
        )
        personal = any(action == MandateAction.READ_PERSONAL_DATA for action, _, _ in rows)
        bases.append(MandateBasis(grants, personal, mandate.valid_until))
    return tuple(bases)


__all__ = ["MandateBasis", "MeasureBasis", "Representation", "ServiceGrant", "representation_of"]
