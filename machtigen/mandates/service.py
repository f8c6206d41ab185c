"""Voluntary mandates (grant, request, accept, decline, revoke, expire) and court measures."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import or_, select
from sqlmodel import col

from machtigen.afnemers.models import Afnemer, Service
from machtigen.audit.service import record
from machtigen.authz.actors import CourtRegister, PersonActor, StaffActor
from machtigen.context import Ctx
from machtigen.errors import Forbidden
from machtigen.identity.bsn import is_valid_bsn
from machtigen.identity.errors import InvalidBsn, InvalidKvkNumber
from machtigen.identity.formats import is_kvk_number
from machtigen.identity.loa import require_loa
from machtigen.identity.models import Office, Person
from machtigen.mandates.errors import (
    InvalidMandate,
    InvalidMeasure,
    MandateNotFound,
    MeasureConflict,
    NothingToGrantAgain,
)
from machtigen.mandates.models import (
    LAPSED_BY_LEGAL_MEASURE,
    SERVICE_ACTIONS,
    Initiator,
    LegalMeasure,
    Mandate,
    MandateAction,
    MandateScope,
    MandateStatus,
    MeasureKind,
)
from machtigen.notifications.outbox import on_mandate_changed

MAX_SCOPES = 200


@dataclass(frozen=True)
class ScopeItem:
    action: MandateAction
    service_id: UUID | None = None


@dataclass(frozen=True)
class Representative:
    """Exactly one of the two: a person, or an office whose staff act for it."""

    person_id: UUID | None = None
    office_id: UUID | None = None

    def __post_init__(self) -> None:
        if (self.person_id is None) == (self.office_id is None):
            raise InvalidMandate("A representative is either a person or an office.")


@dataclass(frozen=True)
class MandateRequest:
    represented_person_id: UUID
    representative: Representative
    scope: tuple[ScopeItem, ...]
    valid_from: datetime
    valid_until: datetime


def grants_mandates(ctx: Ctx) -> bool:
    """Whether the actor grants mandates in their own name (``grants_mandates`` in the policy):
    the pages "who can act for me" and "grant a mandate" are theirs."""
    return bool(ctx.authz.holds("grants_mandates", ctx.actor))


def representative_of_actor(ctx: Ctx) -> Representative:
    """The representative a request is made for: the person asking, or the office whose
    employee asks (``stands_for`` in the policy)."""
    if isinstance(ctx.actor, StaffActor):
        return Representative(office_id=ctx.actor.office_id)
    if isinstance(ctx.actor, PersonActor):
        return Representative(person_id=ctx.actor.person_id)
    raise Forbidden("Only a person or an office's employee can ask for a mandate.")


def grant(ctx: Ctx, request: MandateRequest) -> Mandate:
    """The represented person grants; the representative still has to accept (rule 10)."""
    require_loa(ctx, "grant_mandate")
    return _create(ctx, request, Initiator.REPRESENTED, "mandate.granted")


def request_mandate(ctx: Ctx, request: MandateRequest) -> Mandate:
    """A representative asks; the represented person accepts or declines."""
    require_loa(ctx, "request_mandate")
    return _create(ctx, request, Initiator.REPRESENTATIVE, "mandate.requested")


def accept(ctx: Ctx, mandate_id: UUID) -> Mandate:
    require_loa(ctx, "answer_mandate")
    mandate = _load(ctx, mandate_id, "accept")
    if mandate.initiated_by == Initiator.REPRESENTATIVE:
        require_loa(ctx, "grant_mandate")  # the represented person approves: that is granting
    mandate.status = MandateStatus.ACTIVE
    mandate.decided_at = ctx.now
    _audit(ctx, mandate, "mandate.accepted")
    for measure in _measures_in_force(ctx, mandate.represented_person_id):
        _lapse_scopes(ctx, [mandate], measure)
    return mandate


def decline(ctx: Ctx, mandate_id: UUID) -> Mandate:
    require_loa(ctx, "answer_mandate")
    mandate = _load(ctx, mandate_id, "decline")
    mandate.status = MandateStatus.DECLINED
    mandate.decided_at = ctx.now
    _audit(ctx, mandate, "mandate.declined")
    return mandate


def revoke(ctx: Ctx, mandate_id: UUID) -> Mandate:
    """Either side ends it at any time; access stops at once."""
    require_loa(ctx, "answer_mandate")
    mandate = _load(ctx, mandate_id, "revoke")
    represented_side = (
        isinstance(ctx.actor, PersonActor) and ctx.actor.person_id == mandate.represented_person_id
    )
    _end(
        mandate,
        MandateStatus.REVOKED,
        ctx.now,
        "by_represented" if represented_side else "by_representative",
    )
    _audit(ctx, mandate, "mandate.revoked", reason=mandate.end_reason)
    return mandate


def grant_again(ctx: Ctx, mandate_id: UUID) -> Mandate:
    """One click for the person whose mandate lapsed under a court measure that has ended:
    a new grant to the same representative with the parts that lapsed, until the old end.

    It is an ordinary grant (the representative accepts it; audited as ``mandate.granted``,
    naming the mandate it renews); the lapsed one stays as it was, for the record.
    """
    mandate = _load(ctx, mandate_id, "read")
    items = regrantable_scope(ctx, mandate)
    if not items:
        raise NothingToGrantAgain()
    return _create(
        ctx,
        MandateRequest(
            represented_person_id=mandate.represented_person_id,
            representative=Representative(
                person_id=mandate.representative_person_id,
                office_id=mandate.representative_office_id,
            ),
            scope=items,
            valid_from=ctx.now,
            valid_until=mandate.valid_until,
        ),
        Initiator.REPRESENTED,
        "mandate.granted",
        renews=mandate.id,
        require="grant_mandate",
    )


def regrantable_scope(ctx: Ctx, mandate: Mandate) -> tuple[ScopeItem, ...]:
    """The parts of this mandate that lapsed under measures which have all ended, while the
    mandate's own period still runs; empty when there is nothing to grant again."""
    if mandate.valid_until <= ctx.now or mandate.status not in (
        MandateStatus.ACTIVE,
        MandateStatus.LAPSED,
    ):
        return ()
    lapsed = ctx.session.execute(
        select(MandateScope, LegalMeasure)
        .join(LegalMeasure, col(LegalMeasure.id) == col(MandateScope.lapsed_by_measure_id))
        .where(col(MandateScope.mandate_id) == mandate.id)
    ).all()
    if not lapsed or any(m.ends_at is None or m.ends_at > ctx.now for _s, m in lapsed):
        return ()
    held = _held_elsewhere(ctx, mandate)
    items = (ScopeItem(scope.action, scope.service_id) for scope, _measure in lapsed)
    return tuple(item for item in items if (item.service_id, item.action) not in held)


def _held_elsewhere(ctx: Ctx, mandate: Mandate) -> set[tuple[UUID | None, MandateAction]]:
    """What another mandate to the same representative already grants, or asks for (granted
    again already, or anew): offering it again would only make a duplicate."""
    rows = ctx.session.execute(
        select(col(MandateScope.service_id), col(MandateScope.action))
        .join(Mandate, col(Mandate.id) == col(MandateScope.mandate_id))
        .where(
            col(Mandate.represented_person_id) == mandate.represented_person_id,
            col(Mandate.id) != mandate.id,
            col(Mandate.status).in_([MandateStatus.REQUESTED, MandateStatus.ACTIVE]),
            col(Mandate.valid_until) > ctx.now,
            col(MandateScope.lapsed_by_measure_id).is_(None),
            _same_representative(mandate),
        )
    ).all()
    return {(row.service_id, MandateAction(row.action)) for row in rows}


def _same_representative(mandate: Mandate) -> Any:
    if mandate.representative_office_id is not None:
        return col(Mandate.representative_office_id) == mandate.representative_office_id
    return col(Mandate.representative_person_id) == mandate.representative_person_id


def expire_due(ctx: Ctx) -> int:
    """Mark mandates past their validity as expired (the policy denies them from that moment)."""
    statement = select(Mandate).where(
        col(Mandate.status).in_([MandateStatus.ACTIVE, MandateStatus.REQUESTED]),
        col(Mandate.valid_until) <= ctx.now,
    )
    expired = ctx.session.scalars(statement.with_for_update(skip_locked=True)).all()
    for mandate in expired:
        _end(mandate, MandateStatus.EXPIRED, ctx.now, "validity_ended")
        _audit(ctx, mandate, "mandate.expired")
    return len(expired)


def mandates_of_actor(
    ctx: Ctx, *, status: MandateStatus | None = None, limit: int = 200
) -> Sequence[Mandate]:
    """Every mandate the actor is a party to (or, for an afnemer, names one of its services)."""
    statement = ctx.authz.select(ctx.actor, "read", Mandate)
    if status is not None:
        statement = statement.where(col(Mandate.status) == status)
    statement = statement.order_by(col(Mandate.created_at).desc(), col(Mandate.id)).limit(limit)
    return ctx.session.scalars(statement).all()


def clients_of_actor(ctx: Ctx, *, limit: int = 1000) -> Sequence[Person]:
    """The people this actor may act for right now, by mandate or by measure."""
    statement = (
        ctx.authz.select(ctx.actor, "act_for", Person)
        .order_by(col(Person.family_name), col(Person.given_name), col(Person.id))
        .limit(limit)
    )
    return ctx.session.scalars(statement).all()


def scope_of(ctx: Ctx, mandate_id: UUID) -> Sequence[MandateScope]:
    _load(ctx, mandate_id, "read")
    return ctx.session.scalars(
        select(MandateScope).where(col(MandateScope.mandate_id) == mandate_id)
    ).all()


@dataclass(frozen=True)
class MeasureRecord:
    register_id: str
    subject_person_id: UUID
    kind: MeasureKind
    representative: Representative
    starts_at: datetime
    ends_at: datetime | None = None


def record_measure(ctx: Ctx, measure_record: MeasureRecord) -> LegalMeasure:
    """Start or change a measure from the register; idempotent per register id."""
    ctx.authorize("feed", CourtRegister())
    if measure_record.ends_at is not None and measure_record.ends_at <= measure_record.starts_at:
        raise InvalidMeasure("A measure ends after it starts.")
    if ctx.session.get(Person, measure_record.subject_person_id) is None:
        raise InvalidMeasure("The person under the measure is not known.")
    _check_representative_exists(ctx, measure_record.representative)
    measure = ctx.session.scalars(
        select(LegalMeasure).where(col(LegalMeasure.register_id) == measure_record.register_id)
    ).one_or_none()
    if measure is not None and measure.subject_person_id != measure_record.subject_person_id:
        raise MeasureConflict("This register id belongs to a measure for another person.")
    action = "measure.changed" if measure is not None else "measure.started"
    measure = measure or LegalMeasure(register_id=measure_record.register_id, recorded_at=ctx.now)
    measure.subject_person_id = measure_record.subject_person_id
    measure.kind = measure_record.kind
    measure.representative_person_id = measure_record.representative.person_id
    measure.representative_office_id = measure_record.representative.office_id
    measure.starts_at = measure_record.starts_at
    measure.ends_at = measure_record.ends_at
    ctx.session.add(measure)
    ctx.session.flush()
    record(
        ctx,
        action,
        subject_person_id=measure.subject_person_id,
        object_type="legal_measure",
        object_id=measure.id,
        kind=measure.kind,
        starts_at=measure.starts_at.isoformat(),
    )
    if measure.starts_at <= ctx.now:
        apply_measure_to_mandates(ctx, measure)
    return measure


def end_measure(ctx: Ctx, register_id: str, ends_at: datetime) -> LegalMeasure:
    """The register ends a measure; the policy denies access from ``ends_at`` on."""
    ctx.authorize("feed", CourtRegister())
    measure = ctx.session.scalars(
        select(LegalMeasure).where(col(LegalMeasure.register_id) == register_id)
    ).one_or_none()
    if measure is None:
        raise InvalidMeasure("No measure with this register id.")
    if ends_at <= measure.starts_at:
        raise InvalidMeasure("A measure ends after it starts.")
    measure.ends_at = ends_at
    record(
        ctx,
        "measure.ended",
        subject_person_id=measure.subject_person_id,
        object_type="legal_measure",
        object_id=measure.id,
        ends_at=ends_at.isoformat(),
    )
    return measure


def apply_measure_to_mandates(ctx: Ctx, measure: LegalMeasure) -> int:
    """Voluntary mandates lapse where a legal representative now covers the same scope."""
    mandates = ctx.session.scalars(
        select(Mandate).where(
            col(Mandate.represented_person_id) == measure.subject_person_id,
            col(Mandate.status).in_([MandateStatus.ACTIVE, MandateStatus.REQUESTED]),
        )
    ).all()
    return _lapse_scopes(ctx, mandates, measure)


def _lapse_scopes(ctx: Ctx, mandates: Iterable[Mandate], measure: LegalMeasure) -> int:
    lapsed = 0
    for mandate in mandates:
        scopes = ctx.session.scalars(
            select(MandateScope).where(
                col(MandateScope.mandate_id) == mandate.id,
                col(MandateScope.lapsed_by_measure_id).is_(None),
            )
        ).all()
        covered = [scope for scope in scopes if _measure_covers_scope(ctx, measure, scope)]
        for scope in covered:
            scope.lapsed_by_measure_id = measure.id
        lapsed += len(covered)
        if covered:
            _audit(ctx, mandate, "mandate.lapsed", measure=measure.id, scopes=len(covered))
        if covered and len(covered) == len(scopes):
            _end(mandate, MandateStatus.LAPSED, ctx.now, LAPSED_BY_LEGAL_MEASURE)
    return lapsed


def _measure_covers_scope(ctx: Ctx, measure: LegalMeasure, scope: MandateScope) -> bool:
    """Asks the policy's own coverage facts, so that the mapping lives in one place."""
    if scope.service_id is None:
        return ctx.authz.holds("measure_covers_personal_data", str(measure.kind))
    service = ctx.session.get_one(Service, scope.service_id)
    return ctx.authz.holds("measure_covers", str(measure.kind), str(service.category))


def _measures_in_force(ctx: Ctx, person_id: UUID) -> Sequence[LegalMeasure]:
    return ctx.session.scalars(
        select(LegalMeasure).where(
            col(LegalMeasure.subject_person_id) == person_id,
            col(LegalMeasure.starts_at) <= ctx.now,
            or_(col(LegalMeasure.ends_at).is_(None), col(LegalMeasure.ends_at) > ctx.now),
        )
    ).all()


def _create(
    ctx: Ctx,
    request: MandateRequest,
    initiator: Initiator,
    action: str,
    *,
    renews: UUID | None = None,
    require: str | None = None,
) -> Mandate:
    if require is not None:
        require_loa(ctx, require)
    _validate(ctx, request)
    mandate = Mandate(
        represented_person_id=request.represented_person_id,
        representative_person_id=request.representative.person_id,
        representative_office_id=request.representative.office_id,
        status=MandateStatus.REQUESTED,
        initiated_by=initiator,
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        created_at=ctx.now,
    )
    if not ctx.is_allowed("create", mandate):
        raise ctx.deny(
            "create",
            mandate,
            Forbidden(
                "You can grant a mandate for yourself (not while under curatele), or request"
                " one for yourself or your own office."
            ),
        )
    ctx.session.add(mandate)
    ctx.session.flush()
    for item in dict.fromkeys(request.scope):
        ctx.session.add(
            MandateScope(
                mandate_id=mandate.id,
                represented_person_id=mandate.represented_person_id,
                service_id=item.service_id,
                action=item.action,
            )
        )
    renewal = {"renews": str(renews)} if renews is not None else {}
    _audit(
        ctx,
        mandate,
        action,
        scope=[f"{item.service_id or 'account'}:{item.action}" for item in request.scope],
        valid_until=request.valid_until.isoformat(),
        **renewal,
    )
    return mandate


def _validate(ctx: Ctx, request: MandateRequest) -> None:
    if not request.scope:
        raise InvalidMandate("A mandate needs at least one service and action.")
    if len(request.scope) > MAX_SCOPES:
        raise InvalidMandate(f"A mandate has at most {MAX_SCOPES} scope items.")
    if request.valid_until <= request.valid_from:
        raise InvalidMandate("A mandate ends after it starts.")
    if request.valid_until <= ctx.now:
        raise InvalidMandate("A mandate must still be valid at some moment from now.")
    if request.representative.person_id == request.represented_person_id:
        raise InvalidMandate("Nobody represents themselves.")
    if ctx.session.get(Person, request.represented_person_id) is None:
        raise InvalidMandate("The represented person is not known.")
    _check_representative_exists(ctx, request.representative)
    for item in request.scope:
        _validate_scope_item(ctx, item)


def _validate_scope_item(ctx: Ctx, item: ScopeItem) -> None:
    if item.action in SERVICE_ACTIONS:
        if item.service_id is None or ctx.session.get(Service, item.service_id) is None:
            raise InvalidMandate(f"The action {item.action} needs an existing service.")
    elif item.service_id is not None:
        raise InvalidMandate(f"The action {item.action} concerns the whole account, not a service.")


def _check_representative_exists(ctx: Ctx, representative: Representative) -> None:
    if (
        representative.person_id is not None
        and ctx.session.get(Person, representative.person_id) is None
    ):
        raise InvalidMandate("The representative is not known.")
    if (
        representative.office_id is not None
        and ctx.session.get(Office, representative.office_id) is None
    ):
        raise InvalidMandate("The representative office is not known.")


def _load(ctx: Ctx, mandate_id: UUID, action: str) -> Mandate:
    return ctx.load(Mandate, mandate_id, action, MandateNotFound)


def _end(mandate: Mandate, status: MandateStatus, at: datetime, reason: str) -> None:
    mandate.status = status
    mandate.ended_at = at
    mandate.end_reason = reason


def _audit(ctx: Ctx, mandate: Mandate, action: str, **detail: object) -> None:
    record(
        ctx,
        action,
        subject_person_id=mandate.represented_person_id,
        object_type="mandate",
        object_id=mandate.id,
        **detail,
    )
    on_mandate_changed(ctx, mandate, action)


# --- the portal's overviews ------------------------------------------------------------------


class MandatePhase(StrEnum):
    """Where a mandate stands for the person looking at it (status plus validity)."""

    PENDING = "pending"
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    DECLINED = "declined"
    LAPSED = "lapsed"


@dataclass(frozen=True)
class ScopeLine:
    action: MandateAction
    afnemer: str | None
    service: str | None
    lapsed: bool


@dataclass(frozen=True)
class MandateView:
    mandate: Mandate
    represented: str
    representative: str
    phase: MandatePhase
    scope: list[ScopeLine]
    may_accept: bool
    may_decline: bool
    may_revoke: bool
    may_grant_again: bool = False
    """Its lapsed parts can be granted again in one click (the measure ended)."""
    measure_in_force: bool = False
    """Parts of it lapsed under a court measure that is still in force."""


def mandate_overview(ctx: Ctx, *, as_represented: bool) -> list[MandateView]:
    """The actor's mandates, as the represented person (who can act for me) or as representative."""
    views = []
    for mandate in mandates_of_actor(ctx):
        represented_side = (
            isinstance(ctx.actor, PersonActor)
            and mandate.represented_person_id == ctx.actor.person_id
        )
        if represented_side == as_represented:
            views.append(_view(ctx, mandate))
    return views


def _view(ctx: Ctx, mandate: Mandate) -> MandateView:
    actions = ctx.authz.allowed_actions(ctx.session, ctx.actor, mandate)
    return MandateView(
        mandate=mandate,
        represented=ctx.session.get_one(Person, mandate.represented_person_id).full_name,
        representative=_representative_name(ctx, mandate),
        phase=_phase(mandate, ctx.now),
        scope=_scope_lines(ctx, mandate.id),
        may_accept="accept" in actions,
        may_decline="decline" in actions,
        may_revoke="revoke" in actions,
        may_grant_again=_may_grant_again(ctx, mandate),
        measure_in_force=_lapsed_under_measure_in_force(ctx, mandate),
    )


def _lapsed_under_measure_in_force(ctx: Ctx, mandate: Mandate) -> bool:
    if mandate.status not in (MandateStatus.ACTIVE, MandateStatus.LAPSED):
        return False
    in_force = ctx.session.scalar(
        select(col(LegalMeasure.id))
        .join(MandateScope, col(MandateScope.lapsed_by_measure_id) == col(LegalMeasure.id))
        .where(
            col(MandateScope.mandate_id) == mandate.id,
            or_(col(LegalMeasure.ends_at).is_(None), col(LegalMeasure.ends_at) > ctx.now),
        )
        .limit(1)
    )
    return in_force is not None


def _may_grant_again(ctx: Ctx, mandate: Mandate) -> bool:
    """Only for the represented person, and only when there is something to grant again."""
    own = (
        isinstance(ctx.actor, PersonActor) and ctx.actor.person_id == mandate.represented_person_id
    )
    return own and bool(regrantable_scope(ctx, mandate))


def _phase(mandate: Mandate, now: datetime) -> MandatePhase:
    if mandate.status == MandateStatus.REQUESTED:
        return MandatePhase.EXPIRED if mandate.valid_until <= now else MandatePhase.PENDING
    if mandate.status == MandateStatus.ACTIVE:
        if mandate.valid_until <= now:
            return MandatePhase.EXPIRED
        return MandatePhase.SCHEDULED if now < mandate.valid_from else MandatePhase.ACTIVE
    return MandatePhase(str(mandate.status))


def _representative_name(ctx: Ctx, mandate: Mandate) -> str:
    if mandate.representative_office_id is not None:
        return ctx.session.get_one(Office, mandate.representative_office_id).name
    assert mandate.representative_person_id is not None
    return ctx.session.get_one(Person, mandate.representative_person_id).full_name


def _scope_lines(ctx: Ctx, mandate_id: UUID) -> list[ScopeLine]:
    rows = ctx.session.execute(
        select(MandateScope, col(Service.name), col(Afnemer.name))
        .outerjoin(Service, col(Service.id) == col(MandateScope.service_id))
        .outerjoin(Afnemer, col(Afnemer.id) == col(Service.afnemer_id))
        .where(col(MandateScope.mandate_id) == mandate_id)
        .order_by(
            col(MandateScope.service_id).is_(None),
            col(Afnemer.name),
            col(Service.name),
            col(MandateScope.action),
        )
    ).all()
    return [
        ScopeLine(scope.action, afnemer, service, scope.lapsed_by_measure_id is not None)
        for scope, service, afnemer in rows
    ]


class PartyNotFound(InvalidMandate):
    def __init__(self) -> None:
        super().__init__(
            "We found nobody with this citizen service number and date of birth."
            " Check both and try again."
        )


def person_by_bsn_and_birth(ctx: Ctx, bsn: str, date_of_birth: date) -> Representative:
    """The other party of a new mandate, named by BSN and date of birth (both must match).

    The same answer for an unknown BSN and a wrong date: the form reveals nobody's BSN; and
    only at the login level for granting or requesting a mandate (``find_party``).
    """
    require_loa(ctx, "find_party")
    if not is_valid_bsn(bsn):
        raise InvalidBsn()
    person = ctx.session.scalars(select(Person).where(col(Person.bsn) == bsn)).one_or_none()
    if person is None or person.date_of_birth != date_of_birth:
        raise PartyNotFound()
    return Representative(person_id=person.id)


def office_by_kvk(ctx: Ctx, kvk_number: str) -> Representative:
    require_loa(ctx, "find_party")
    if not is_kvk_number(kvk_number):
        raise InvalidKvkNumber()
    office = ctx.session.scalars(
        select(Office).where(col(Office.kvk_number) == kvk_number)
    ).one_or_none()
    if office is None:
        raise InvalidMandate("No representative office is registered with this KvK number.")
    return Representative(office_id=office.id)
