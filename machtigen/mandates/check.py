"""The afnemer's questions about representation (DOMAIN.md rule 14).

"May R act for P at service S (action A) at moment T?" is answered by the policy: the
representative's actor at T is asked for ``act`` on a RepresentationQuery, and the rule
``representation_basis`` names the mandate scope or measure that allows it. Only when the
policy says no does this module look at the rows again, to say *why* (a diagnosis for the
afnemer, never a decision).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypedDict
from uuid import UUID

from sqlalchemy import or_, select
from sqlmodel import col

from machtigen.afnemers.models import Service
from machtigen.afnemers.service import service_by_code
from machtigen.audit.service import record
from machtigen.authz.actors import AfnemerActor, PersonActor, StaffActor
from machtigen.authz.resources import RepresentationQuery
from machtigen.context import Ctx
from machtigen.errors import Forbidden, InvalidInput
from machtigen.identity.models import Office, Person
from machtigen.identity.service import find_person_by_bsn
from machtigen.mandates.models import (
    SERVICE_ACTIONS,
    LegalMeasure,
    Mandate,
    MandateScope,
    MandateStatus,
)

NOBODY = UUID(int=0)
"""The staff id of an office's actor when the question is about the office itself."""


@dataclass(frozen=True)
class RepresentativeRef:
    """A person by BSN, or an office by KvK number."""

    bsn: str | None = None
    kvk_number: str | None = None

    def __post_init__(self) -> None:
        if (self.bsn is None) == (self.kvk_number is None):
            raise InvalidInput("A representative is a person (BSN) or an office (KvK number).")


@dataclass(frozen=True)
class CheckQuestion:
    representative: RepresentativeRef
    person_bsn: str
    service_code: str
    action: str = "read"
    at: datetime | None = None


@dataclass(frozen=True)
class CheckAnswer:
    allowed: bool
    at: datetime
    basis: str | None = None
    """``voluntary_mandate`` or ``legal_measure`` when allowed."""
    mandate_id: UUID | None = None
    measure_kind: str | None = None
    measure_register_id: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    reason: str | None = None
    """Why not, when denied (one of DenialReason)."""


DenialReason = Literal[
    "person_unknown",
    "representative_unknown",
    "no_representation",
    "outside_scope",
    "mandate_not_accepted",
    "mandate_revoked",
    "mandate_expired",
    "mandate_not_yet_valid",
    "superseded_by_legal_measure",
    "measure_does_not_cover_service",
    "measure_not_yet_in_force",
    "measure_ended",
]
"""Why a check is denied; the API publishes exactly these."""


def check_representation(ctx: Ctx, question: CheckQuestion) -> CheckAnswer:
    """One check, asked by an afnemer about one of its own services; audited for the person."""
    afnemer_id = _afnemer_id(ctx)
    service = service_by_code(ctx, afnemer_id, question.service_code)
    ctx.authorize("check_representation", service)
    if question.action not in SERVICE_ACTIONS:
        raise InvalidInput(f"Unknown action {question.action!r}.")
    at = question.at or ctx.now
    person = find_person_by_bsn(ctx, question.person_bsn)
    representative = _representative_actor(ctx, question.representative, at)
    if person is None:
        answer = CheckAnswer(allowed=False, at=at, reason="person_unknown")
    elif representative is None:
        answer = CheckAnswer(allowed=False, at=at, reason="representative_unknown")
    else:
        answer = _answer(ctx, representative, person, service, question.action, at)
    record(
        ctx,
        "mandate.checked",
        subject_person_id=person.id if person is not None else None,
        object_type="service",
        object_id=service.id,
        service=service.code,
        asked_action=question.action,
        at=at.isoformat(),
        allowed=answer.allowed,
        basis=answer.basis,
        mandate=answer.mandate_id,
        measure=answer.measure_register_id,
        reason=answer.reason,
    )
    return answer


def check_many(ctx: Ctx, questions: Sequence[CheckQuestion], *, limit: int) -> list[CheckAnswer]:
    if len(questions) > limit:
        raise InvalidInput(f"At most {limit} checks in one call.")
    return [check_representation(ctx, question) for question in questions]


def _afnemer_id(ctx: Ctx) -> UUID:
    if not isinstance(ctx.actor, AfnemerActor):
        raise Forbidden("Only an afnemer asks about its own services.")
    return ctx.actor.afnemer_id


def _representative_actor(
    ctx: Ctx, ref: RepresentativeRef, at: datetime
) -> PersonActor | StaffActor | None:
    if ref.bsn is not None:
        person = find_person_by_bsn(ctx, ref.bsn)
        return None if person is None else PersonActor(person.id, at, means="afnemer_check")
    office = ctx.session.scalars(
        select(Office).where(col(Office.kvk_number) == ref.kvk_number)
    ).first()
    return None if office is None else StaffActor(NOBODY, office.id, at, means="afnemer_check")


def _answer(
    ctx: Ctx,
    representative: PersonActor | StaffActor,
    person: Person,
    service: Service,
    action: str,
    at: datetime,
) -> CheckAnswer:
    query = RepresentationQuery(
        person_id=person.id,
        service_id=service.id,
        afnemer_id=service.afnemer_id,
        category=str(service.category),
        action=action,
    )
    bases = ctx.authz.bindings(ctx.session, "representation_basis", representative, query)
    answers = [_allowed_by(ctx, basis, at) for basis in bases]
    if not answers:
        reason = _why_not(ctx, representative, person, service, action, at)
        return CheckAnswer(allowed=False, at=at, reason=reason)
    # The basis that lasts longest (an open-ended measure first), then the lowest id: stable.
    return max(
        answers,
        key=lambda a: (
            a.valid_until is None,
            a.valid_until or at,
            str(a.mandate_id or a.measure_register_id),
        ),
    )


def _allowed_by(ctx: Ctx, basis: object, at: datetime) -> CheckAnswer:
    if isinstance(basis, MandateScope):
        mandate = ctx.session.get_one(Mandate, basis.mandate_id)
        return CheckAnswer(
            allowed=True,
            at=at,
            basis="voluntary_mandate",
            mandate_id=mandate.id,
            valid_from=mandate.valid_from,
            valid_until=mandate.valid_until,
        )
    assert isinstance(basis, LegalMeasure)
    return CheckAnswer(
        allowed=True,
        at=at,
        basis="legal_measure",
        measure_kind=str(basis.kind),
        measure_register_id=basis.register_id,
        valid_from=basis.starts_at,
        valid_until=basis.ends_at,
    )


def _why_not(
    ctx: Ctx,
    representative: PersonActor | StaffActor,
    person: Person,
    service: Service,
    action: str,
    at: datetime,
) -> str:
    """The most specific reason the policy said no, from the rows between these two."""
    reasons: list[str] = []
    mandates = ctx.session.scalars(
        select(Mandate).where(
            col(Mandate.represented_person_id) == person.id,
            _represented_by(Mandate, representative),
        )
    ).all()
    for mandate in mandates:
        scopes = ctx.session.scalars(
            select(MandateScope).where(
                col(MandateScope.mandate_id) == mandate.id,
                col(MandateScope.service_id) == service.id,
                col(MandateScope.action) == action,
            )
        ).all()
        for scope in scopes:
            reasons.append(_mandate_reason(mandate, scope, at))
    measures = ctx.session.scalars(
        select(LegalMeasure).where(
            col(LegalMeasure.subject_person_id) == person.id,
            _represented_by(LegalMeasure, representative),
        )
    ).all()
    for measure in measures:
        if measure.starts_at > at:
            reasons.append("measure_not_yet_in_force")
        elif measure.ends_at is not None and measure.ends_at <= at:
            reasons.append("measure_ended")
        elif not ctx.authz.holds("measure_covers", str(measure.kind), str(service.category)):
            reasons.append("measure_does_not_cover_service")
    if mandates:
        reasons.append("outside_scope")
    reasons.append("no_representation")
    return min(reasons, key=_PRIORITY.index)


_PRIORITY = (
    "superseded_by_legal_measure",
    "mandate_revoked",
    "mandate_expired",
    "mandate_not_yet_valid",
    "mandate_not_accepted",
    "measure_ended",
    "measure_not_yet_in_force",
    "measure_does_not_cover_service",
    "outside_scope",
    "no_representation",
)


def _mandate_reason(mandate: Mandate, scope: MandateScope, at: datetime) -> str:
    if scope.lapsed_by_measure_id is not None:
        return "superseded_by_legal_measure"
    if mandate.status in (MandateStatus.REVOKED, MandateStatus.DECLINED):
        return "mandate_revoked"
    if mandate.status == MandateStatus.EXPIRED or at >= mandate.valid_until:
        return "mandate_expired"
    if at < mandate.valid_from:
        return "mandate_not_yet_valid"
    if mandate.status == MandateStatus.REQUESTED:
        return "mandate_not_accepted"
    return "no_representation"


def _represented_by(model: type[Mandate] | type[LegalMeasure], actor: PersonActor | StaffActor):
    if isinstance(actor, PersonActor):
        return col(model.representative_person_id) == actor.person_id
    return col(model.representative_office_id) == actor.office_id


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
    statement = (
        ctx.authz.select(ctx.actor, "read", Mandate)
        .where(
            col(Mandate.represented_person_id) == person.id,
            col(Mandate.status) == MandateStatus.ACTIVE,
            col(Mandate.valid_from) <= at,
            col(Mandate.valid_until) > at,
        )
        .order_by(col(Mandate.valid_from), col(Mandate.id))
    )
    entries = []
    for mandate in ctx.session.scalars(statement).all():
        rows = ctx.session.execute(
            select(col(Service.code), col(MandateScope.action))
            .join(Service, col(Service.id) == col(MandateScope.service_id))
            .where(
                col(MandateScope.mandate_id) == mandate.id,
                col(MandateScope.lapsed_by_measure_id).is_(None),
                col(Service.afnemer_id) == afnemer_id,
            )
            .order_by(col(Service.code), col(MandateScope.action))
        ).all()
        if not rows:
            continue
        entries.append(
            RepresentativeEntry(
                basis="voluntary_mandate",
                **_who(ctx, mandate.representative_person_id, mandate.representative_office_id),
                service_codes=tuple(dict.fromkeys(code for code, _ in rows)),
                actions=tuple(dict.fromkeys(str(action) for _, action in rows)),
                mandate_id=mandate.id,
                valid_from=mandate.valid_from,
                valid_until=mandate.valid_until,
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
