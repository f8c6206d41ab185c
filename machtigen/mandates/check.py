"""The afnemer's questions about representation (DOMAIN.md rule 14).

"May R act for P at service S (action A) at moment T?" is answered by the policy: the
representative's actor at T is asked for ``act`` on a RepresentationQuery, and the rule
``representation_basis`` names the mandate scope or measure that allows it. Only when the
policy says no does this module look at the rows again, to say *why* (a diagnosis for the
afnemer, never a decision).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, bindparam, literal, null, select, union_all
from sqlalchemy.orm import aliased
from sqlmodel import col

from machtigen.afnemers.errors import ServiceNotFound
from machtigen.afnemers.models import Service
from machtigen.audit.service import record
from machtigen.authz.actors import AfnemerActor, PersonActor, StaffActor
from machtigen.authz.engine import Authorizer
from machtigen.authz.prepared import Params
from machtigen.authz.resources import RepresentationQuery
from machtigen.context import Ctx
from machtigen.errors import Forbidden, InvalidInput
from machtigen.identity.bsn import is_valid_bsn
from machtigen.identity.errors import InvalidBsn
from machtigen.identity.models import Office, Person
from machtigen.mandates.models import (
    SERVICE_ACTIONS,
    LegalMeasure,
    Mandate,
    MandateScope,
)
from machtigen.mandates.why_not import DenialReason as DenialReason
from machtigen.mandates.why_not import diagnose


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


def check_representation(ctx: Ctx, question: CheckQuestion) -> CheckAnswer:
    """One check, asked by an afnemer about one of its own services; audited for the person.

    Two statements answer it: one finds the service (as the policy lets this afnemer check
    it), the person and the representative; one asks the policy's basis rules, compiled to
    SQL once per shape. Only a denial reads the rows again, to say why. The statements read
    columns, not objects, so they run on the session's connection, past the ORM layer.
    """
    afnemer_id = _afnemer_id(ctx)
    if question.action not in SERVICE_ACTIONS:
        raise InvalidInput(f"Unknown action {question.action!r}.")
    for bsn in (question.person_bsn, question.representative.bsn):
        if bsn is not None and not is_valid_bsn(bsn):
            raise InvalidBsn()
    at = question.at or ctx.now
    found = _find(ctx, afnemer_id, question)
    if found.person_id is None:
        answer = CheckAnswer(allowed=False, at=at, reason="person_unknown")
    elif found.representative is None:
        answer = CheckAnswer(allowed=False, at=at, reason="representative_unknown")
    else:
        answer = _answer(ctx, found, question.action, at)
    record(
        ctx,
        "mandate.checked",
        subject_person_id=found.person_id,
        object_type="service",
        object_id=found.service_id,
        service=question.service_code,
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


@dataclass(frozen=True)
class _Representative:
    kind: type[PersonActor] | type[StaffActor]
    id: UUID
    """The person's id, or the office's."""


@dataclass(frozen=True)
class _Found:
    service_id: UUID
    category: str
    person_id: UUID | None
    representative: _Representative | None


def _find(ctx: Ctx, afnemer_id: UUID, question: CheckQuestion) -> _Found:
    """The service (only as the policy lets this afnemer check it), person and representative."""
    statement = ctx.authz.rules.get(("mandate_check_find",), lambda: _find_statement(ctx.authz))
    row = (
        ctx.session.connection()
        .execute(
            statement,
            {
                "afnemer_id": afnemer_id,
                "service_code": question.service_code,
                "person_bsn": question.person_bsn,
                "representative_bsn": question.representative.bsn,
                "representative_kvk": question.representative.kvk_number,
            },
        )
        .one_or_none()
    )
    if row is None:
        raise ServiceNotFound()
    representative = None
    if row.representative_person_id is not None:
        representative = _Representative(PersonActor, row.representative_person_id)
    elif row.representative_office_id is not None:
        representative = _Representative(StaffActor, row.representative_office_id)
    return _Found(row.service_id, str(row.category), row.person_id, representative)


def _find_statement(authz: Authorizer) -> Select[Any]:
    params = Params()
    afnemer = AfnemerActor(params.uuid("afnemer_id"), params.unused_moment("at"))
    services = authz.rules.rule_filter(
        "allow", afnemer, "check_representation", result=Service, params=params
    )

    def person_with(bsn: str) -> Any:
        return select(col(Person.id)).where(col(Person.bsn) == bindparam(bsn)).scalar_subquery()

    office = (
        select(col(Office.id))
        .where(col(Office.kvk_number) == bindparam("representative_kvk"))
        .scalar_subquery()
    )
    return services.where(col(Service.code) == bindparam("service_code")).with_only_columns(
        col(Service.id).label("service_id"),
        col(Service.category).label("category"),
        person_with("person_bsn").label("person_id"),
        person_with("representative_bsn").label("representative_person_id"),
        office.label("representative_office_id"),
        maintain_column_froms=False,
    )


def _answer(ctx: Ctx, found: _Found, action: str, at: datetime) -> CheckAnswer:
    representative = found.representative
    assert representative is not None and found.person_id is not None
    rows = representation_bases(
        ctx,
        representative.kind,
        representative.id,
        found.person_id,
        found.service_id,
        found.category,
        action,
        at,
    )
    if not rows:
        return CheckAnswer(allowed=False, at=at, reason=_why_not(ctx, found, action, at))
    return best_answer(rows, at)


def best_answer(rows: Sequence[Any], at: datetime) -> CheckAnswer:
    """The answer of the bases found (at least one)."""
    answers = [_allowed_by(row, at) for row in rows]
    # The basis that lasts longest (an open-ended measure first), then the lowest id: stable.
    return max(
        answers,
        key=lambda a: (
            a.valid_until is None,
            a.valid_until or at,
            str(a.mandate_id or a.measure_register_id),
        ),
    )


def representation_bases(
    ctx: Ctx,
    kind: type[PersonActor] | type[StaffActor],
    representative_id: UUID,
    person_id: UUID,
    service_id: UUID,
    category: str,
    action: str,
    at: datetime,
) -> Sequence[Any]:
    """Every basis the policy's ``representation_basis`` finds for a representative (a person,
    or an office by its id) acting for the person at the service at ``at``, in one query."""
    shape = ("mandate_check_basis", kind, category, action)
    statement = ctx.authz.rules.get(
        shape, lambda: _basis_statement(ctx.authz, kind, category, action)
    )
    parameters = {
        "person_id": person_id,
        "service_id": service_id,
        "representative_id": representative_id,
        "at": at,
    }
    return ctx.session.connection().execute(statement, parameters).all()


def _representative_stand_in(
    kind: type[PersonActor] | type[StaffActor], params: Params
) -> PersonActor | StaffActor:
    at = params.moment("at")
    if kind is PersonActor:
        return PersonActor(params.uuid("representative_id"), at, means="afnemer_check")
    return StaffActor(
        params.unused_uuid("staff_id"), params.uuid("representative_id"), at, means="afnemer_check"
    )


def _basis_statement(
    authz: Authorizer, kind: type[PersonActor] | type[StaffActor], category: str, action: str
) -> Select[Any]:
    """Every basis ``representation_basis`` finds, as (basis, mandate id, measure, period)."""
    scope_rule = _basis_rule(authz, kind, category, action, MandateScope)
    measure_rule = _basis_rule(authz, kind, category, action, LegalMeasure)
    mandate = aliased(Mandate)
    mandates: Any = select(
        literal("voluntary_mandate").label("basis"),
        col(mandate.id).label("mandate_id"),
        null().label("measure_kind"),
        null().label("measure_register_id"),
        col(mandate.valid_from).label("valid_from"),
        col(mandate.valid_until).label("valid_until"),
    ).where(col(mandate.id).in_(scope_rule.with_only_columns(col(MandateScope.mandate_id))))
    measures: Any = measure_rule.with_only_columns(
        literal("legal_measure").label("basis"),
        null().label("mandate_id"),
        col(LegalMeasure.kind).label("measure_kind"),
        col(LegalMeasure.register_id).label("measure_register_id"),
        col(LegalMeasure.starts_at).label("valid_from"),
        col(LegalMeasure.ends_at).label("valid_until"),
    )
    return select(union_all(mandates, measures).subquery())


def _basis_rule(
    authz: Authorizer,
    kind: type[PersonActor] | type[StaffActor],
    category: str,
    action: str,
    result: type[MandateScope] | type[LegalMeasure],
) -> Select[Any]:
    """The ``representation_basis`` filter on one kind of basis row, parametrised; a measure
    follows the service's category, never its id."""
    params = Params()
    service_id = params.uuid("service_id") if result is MandateScope else None
    query = RepresentationQuery(
        person_id=params.uuid("person_id"),
        service_id=service_id or params.unused_uuid("service_id"),
        afnemer_id=params.unused_uuid("afnemer_id"),
        category=category,
        action=action,
    )
    actor = _representative_stand_in(kind, params)
    return authz.rules.rule_filter(
        "representation_basis", actor, query, result=result, params=params
    )


def _allowed_by(row: Any, at: datetime) -> CheckAnswer:
    """The answer for one row of ``_basis_statement``: a mandate's row has no measure and a
    measure's no mandate (NULL there), so each answer names only its own basis."""
    return CheckAnswer(allowed=True, at=at, **{name: getattr(row, name) for name in _BASIS_COLUMNS})


_BASIS_COLUMNS = (
    "basis",
    "mandate_id",
    "measure_kind",
    "measure_register_id",
    "valid_from",
    "valid_until",
)
"""The columns of a ``_basis_statement`` row, each the ``CheckAnswer`` field of its name."""


def _why_not(ctx: Ctx, found: _Found, action: str, at: datetime) -> str:
    """The most specific reason the policy said no, from the rows between these two."""
    assert found.representative is not None
    mandates: Sequence[Any] = (
        ctx.session.connection()
        .execute(
            select(
                col(Mandate.status),
                col(Mandate.valid_from),
                col(Mandate.valid_until),
                col(MandateScope.id).label("scope_id"),
                col(MandateScope.lapsed_by_measure_id),
                select(col(LegalMeasure.ends_at))
                .where(col(LegalMeasure.id) == col(MandateScope.lapsed_by_measure_id))
                .scalar_subquery()
                .label("lapsing_measure_ends_at"),
            )
            .outerjoin(
                MandateScope,
                and_(
                    col(MandateScope.mandate_id) == col(Mandate.id),
                    col(MandateScope.service_id) == found.service_id,
                    col(MandateScope.action) == action,
                ),
            )
            .where(
                col(Mandate.represented_person_id) == found.person_id,
                _represented_by(Mandate, found.representative),
            )
        )
        .all()
    )
    measures = (
        ctx.session.connection()
        .execute(
            select(
                col(LegalMeasure.kind), col(LegalMeasure.starts_at), col(LegalMeasure.ends_at)
            ).where(
                col(LegalMeasure.subject_person_id) == found.person_id,
                _represented_by(LegalMeasure, found.representative),
            )
        )
        .all()
    )
    return diagnose(
        mandates,
        measures,
        lambda kind: ctx.authz.holds("measure_covers", kind, found.category),
        at,
    )


def _represented_by(
    model: type[Mandate] | type[LegalMeasure], representative: _Representative
) -> ColumnElement[bool]:
    if representative.kind is PersonActor:
        return col(model.representative_person_id) == representative.id
    return col(model.representative_office_id) == representative.id
