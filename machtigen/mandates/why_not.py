"""Why a mandate check is denied, and which basis answers an allowed one.

Pure functions over the rows a check read: the synchronous path (``check.py``) and the
PostgreSQL statement (``check_pg.py``) hand them the same rows, so both give the same answer.
A reason is only ever about the asking afnemer's own service: the rows read are those of
this person and this representative at that service (mandates) or covering its category
(measures), never another afnemer's.
"""

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from machtigen.mandates.models import MandateStatus

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
    "mandate_lapsed",
    "measure_does_not_cover_service",
    "measure_not_yet_in_force",
    "measure_ended",
]
"""Why a check is denied; the API publishes exactly these."""

PRIORITY = (
    "superseded_by_legal_measure",
    "mandate_lapsed",
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


def diagnose(
    mandates: Sequence[Any],
    measures: Iterable[Any],
    covers: Callable[[str], bool],
    at: datetime,
) -> str:
    """The most specific reason the policy said no.

    ``mandates``: every mandate between this person and this representative, each with
    ``status``, ``valid_from``, ``valid_until`` and its scope row at this service and action
    (``scope_id``, ``lapsed_by_measure_id``, ``lapsing_measure_ends_at``; all None without
    one). ``measures``: every measure between the two (``kind``, ``starts_at``, ``ends_at``).
    ``covers(kind)``: whether the policy lets a measure of that kind cover the service.
    """
    reasons = [mandate_reason(row, at) for row in mandates if row.scope_id is not None]
    for measure in measures:
        if measure.starts_at > at:
            reasons.append("measure_not_yet_in_force")
        elif measure.ends_at is not None and measure.ends_at <= at:
            reasons.append("measure_ended")
        elif not covers(str(measure.kind)):
            reasons.append("measure_does_not_cover_service")
    if mandates:
        reasons.append("outside_scope")
    reasons.append("no_representation")
    return min(reasons, key=PRIORITY.index)


def mandate_reason(row: Any, at: datetime) -> str:
    if row.lapsed_by_measure_id is not None:
        ended = row.lapsing_measure_ends_at
        # The measure took this part over; once it has ended the part stays lapsed.
        return (
            "mandate_lapsed" if ended is not None and ended <= at else "superseded_by_legal_measure"
        )
    if row.status in (MandateStatus.REVOKED, MandateStatus.DECLINED):
        return "mandate_revoked"
    if row.status == MandateStatus.EXPIRED or at >= row.valid_until:
        return "mandate_expired"
    if at < row.valid_from:
        return "mandate_not_yet_valid"
    if row.status == MandateStatus.REQUESTED:
        return "mandate_not_accepted"
    return "no_representation"
