"""The court-register feed: measures start, change and end in bulk, idempotent per register id."""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlmodel import col

from machtigen.authz.actors import CourtRegister
from machtigen.context import Ctx
from machtigen.errors import InvalidInput, MachtigenError
from machtigen.identity.models import Office
from machtigen.identity.service import find_person_by_bsn
from machtigen.mandates.check import RepresentativeRef
from machtigen.mandates.errors import InvalidMeasure
from machtigen.mandates.models import LegalMeasure, MeasureKind
from machtigen.mandates.service import (
    MeasureRecord,
    Representative,
    end_measure,
    record_measure,
)


@dataclass(frozen=True)
class FeedItem:
    register_id: str
    operation: Literal["start", "change", "end"]
    subject_bsn: str | None = None
    kind: MeasureKind | None = None
    representative: RepresentativeRef | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class FeedResult:
    register_id: str
    outcome: str
    """``recorded``, ``unchanged`` (a replay), ``ended`` or ``rejected``."""
    detail: str | None = None


REPEATED = "This register id appears more than once in this call; none of them was applied."


def feed(ctx: Ctx, items: Sequence[FeedItem], *, limit: int) -> list[FeedResult]:
    """Each item in its own savepoint: a bad item is rejected, the others still count.

    A register id that appears more than once in one call is ambiguous (which comes first?):
    each of its items is rejected, the others still count.
    """
    ctx.authorize("feed", CourtRegister())
    if len(items) > limit:
        raise InvalidInput(f"At most {limit} measures in one call.")
    seen = Counter(item.register_id for item in items)
    results = []
    for item in items:
        if seen[item.register_id] > 1:
            results.append(FeedResult(item.register_id, "rejected", REPEATED))
            continue
        try:
            with ctx.session.begin_nested():
                results.append(_apply(ctx, item))
        except MachtigenError as error:
            results.append(FeedResult(item.register_id, "rejected", error.detail))
    return results


def _apply(ctx: Ctx, item: FeedItem) -> FeedResult:
    existing = ctx.session.scalars(
        select(LegalMeasure).where(col(LegalMeasure.register_id) == item.register_id)
    ).one_or_none()
    if item.operation == "end":
        ended_at = existing.ends_at if existing is not None else None
        if ended_at is not None and item.ends_at is None and ended_at <= ctx.now:
            return FeedResult(item.register_id, "unchanged")  # a replayed "end now"
        ends_at = item.ends_at or ctx.now
        if ended_at == ends_at:
            return FeedResult(item.register_id, "unchanged")
        end_measure(ctx, item.register_id, ends_at)
        return FeedResult(item.register_id, "ended")
    if item.subject_bsn is None or item.kind is None or item.starts_at is None:
        raise InvalidMeasure("Start and change need subjectBsn, kind and startsAt.")
    if item.representative is None:
        raise InvalidMeasure("Start and change need a representative.")
    subject = find_person_by_bsn(ctx, item.subject_bsn)
    if subject is None:
        raise InvalidMeasure("The person under the measure is not known.")
    representative = _representative(ctx, item.representative)
    wanted = MeasureRecord(
        register_id=item.register_id,
        subject_person_id=subject.id,
        kind=item.kind,
        representative=representative,
        starts_at=item.starts_at,
        ends_at=item.ends_at,
    )
    if existing is not None and _same(existing, wanted):
        return FeedResult(item.register_id, "unchanged")
    record_measure(ctx, wanted)
    return FeedResult(item.register_id, "recorded")


def _representative(ctx: Ctx, ref: RepresentativeRef) -> Representative:
    if ref.bsn is not None:
        person = find_person_by_bsn(ctx, ref.bsn)
        if person is None:
            raise InvalidMeasure("The representative is not known.")
        return Representative(person_id=person.id)
    office = ctx.session.scalars(
        select(Office).where(col(Office.kvk_number) == ref.kvk_number)
    ).first()
    if office is None:
        raise InvalidMeasure("The representative office is not known.")
    return Representative(office_id=office.id)


def _same(measure: LegalMeasure, wanted: MeasureRecord) -> bool:
    return (
        measure.subject_person_id == wanted.subject_person_id
        and measure.kind == wanted.kind
        and measure.representative_person_id == wanted.representative.person_id
        and measure.representative_office_id == wanted.representative.office_id
        and measure.starts_at == wanted.starts_at
        and measure.ends_at == wanted.ends_at
    )
