"""Who represents a person now, as an afnemer may see it (its own services only)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from machtigen.afnemers.models import Service
from machtigen.audit.service import record
from machtigen.context import Ctx
from machtigen.identity.models import Office, Person
from machtigen.identity.service import find_person_by_bsn
from machtigen.mandates.check import _afnemer_id
from machtigen.mandates.models import (
    SERVICE_ACTIONS,
    LegalMeasure,
    Mandate,
    MandateScope,
    MandateStatus,
)


@dataclass(frozen=True)
class RepresentativeEntry:
    basis: str
    representative_kind: str
    representative_bsn: str | None
    representative_kvk_number: str | None
    representative_name: str
    service_codes: tuple[str, ...]
    actions: tuple[str, ...] = field(default=())
    mandate_id: UUID | None = None
    measure_kind: str | None = None
    measure_register_id: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def representatives_of(
    ctx: Ctx, person_bsn: str, *, offset: int = 0, limit: int = 50
) -> tuple[list[RepresentativeEntry], bool]:
    """Who represents this person now, for this afnemer's own services only (and whether
    there are more after this page). Mandates come from the policy's list of mandates the
    afnemer may read; scope rows of other afnemers' services are never shown."""
    afnemer_id = _afnemer_id(ctx)
    at = ctx.now
    person = find_person_by_bsn(ctx, person_bsn)
    if person is None:
        return [], False
    own_services = ctx.session.scalars(
        select(Service).where(col(Service.afnemer_id) == afnemer_id)
    ).all()
    entries = _mandate_entries(ctx, person, afnemer_id, at) + _measure_entries(
        ctx, person, own_services, at
    )
    record(
        ctx,
        "representatives.listed",
        subject_person_id=person.id,
        object_type="person",
        object_id=person.id,
        count=len(entries),
    )
    return entries[offset : offset + limit], len(entries) > offset + limit


def _mandate_entries(
    ctx: Ctx, person: Person, afnemer_id: UUID, at: datetime
) -> list[RepresentativeEntry]:
    """The mandates the policy lets this afnemer read, with their scope rows at its own
    services and their representatives' names: one query for them all."""
    # Aliases: the policy's filter (in its own subquery) names the plain tables.
    mandate, scope, service = aliased(Mandate), aliased(MandateScope), aliased(Service)
    person_rep, office_rep = aliased(Person), aliased(Office)
    readable = (
        ctx.authz.select(ctx.actor, "read", Mandate)
        .where(col(Mandate.represented_person_id) == person.id)
        .with_only_columns(col(Mandate.id))
    )
    statement = (
        select(
            col(mandate.id),
            col(mandate.valid_from),
            col(mandate.valid_until),
            col(service.code),
            col(scope.action),
            col(person_rep.bsn),
            col(person_rep.given_name),
            col(person_rep.family_name),
            col(office_rep.kvk_number),
            col(office_rep.name),
        )
        .join(scope, col(scope.mandate_id) == col(mandate.id))
        .join(service, col(service.id) == col(scope.service_id))
        .outerjoin(person_rep, col(person_rep.id) == col(mandate.representative_person_id))
        .outerjoin(office_rep, col(office_rep.id) == col(mandate.representative_office_id))
        .where(
            col(mandate.id).in_(readable),
            col(mandate.represented_person_id) == person.id,
            col(mandate.status) == MandateStatus.ACTIVE,
            col(mandate.valid_from) <= at,
            col(mandate.valid_until) > at,
            col(scope.lapsed_by_measure_id).is_(None),
            col(service.afnemer_id) == afnemer_id,
        )
        .order_by(col(mandate.valid_from), col(mandate.id), col(service.code), col(scope.action))
    )
    grouped: dict[UUID, list[Any]] = {}
    for row in ctx.session.execute(statement).all():
        grouped.setdefault(row[0], []).append(row)
    entries = []
    for mandate_id, rows in grouped.items():
        first = rows[0]
        who: _Who
        if first.bsn is not None:
            who = {
                "representative_kind": "person",
                "representative_bsn": first.bsn,
                "representative_kvk_number": None,
                "representative_name": f"{first.given_name} {first.family_name}",
            }
        else:
            who = {
                "representative_kind": "office",
                "representative_bsn": None,
                "representative_kvk_number": first.kvk_number,
                "representative_name": first.name,
            }
        entries.append(
            RepresentativeEntry(
                basis="voluntary_mandate",
                **who,
                service_codes=tuple(dict.fromkeys(row.code for row in rows)),
                actions=tuple(dict.fromkeys(str(row.action) for row in rows)),
                mandate_id=mandate_id,
                valid_from=first.valid_from,
                valid_until=first.valid_until,
            )
        )
    return entries


def _measure_entries(
    ctx: Ctx, person: Person, own_services: Sequence[Service], at: datetime
) -> list[RepresentativeEntry]:
    statement = (
        ctx.authz.select(ctx.actor, "read", LegalMeasure)
        .where(
            col(LegalMeasure.subject_person_id) == person.id,
            col(LegalMeasure.starts_at) <= at,
            or_(col(LegalMeasure.ends_at).is_(None), col(LegalMeasure.ends_at) > at),
        )
        .order_by(col(LegalMeasure.starts_at), col(LegalMeasure.id))
    )
    entries = []
    for measure in ctx.session.scalars(statement).all():
        covered = tuple(
            service.code
            for service in own_services
            if ctx.authz.holds("measure_covers", str(measure.kind), str(service.category))
        )
        if not covered:
            continue
        entries.append(
            RepresentativeEntry(
                basis="legal_measure",
                **_who(ctx, measure.representative_person_id, measure.representative_office_id),
                service_codes=covered,
                actions=tuple(sorted(SERVICE_ACTIONS)),
                measure_kind=str(measure.kind),
                measure_register_id=measure.register_id,
                valid_from=measure.starts_at,
                valid_until=measure.ends_at,
            )
        )
    return entries


class _Who(TypedDict):
    representative_kind: str
    representative_bsn: str | None
    representative_kvk_number: str | None
    representative_name: str


def _who(ctx: Ctx, person_id: UUID | None, office_id: UUID | None) -> _Who:
    if person_id is not None:
        person = ctx.session.get_one(Person, person_id)
        return {
            "representative_kind": "person",
            "representative_bsn": person.bsn,
            "representative_kvk_number": None,
            "representative_name": person.full_name,
        }
    assert office_id is not None
    office = ctx.session.get_one(Office, office_id)
    return {
        "representative_kind": "office",
        "representative_bsn": None,
        "representative_kvk_number": office.kvk_number,
        "representative_name": office.name,
    }
