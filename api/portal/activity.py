"""What happened on my account: the audit trail in plain words, filtered, paged, exportable.

Reading is the domain's to allow (``read_audit`` on the account: the person, or a curator);
a refusal comes back as the 404/403 page. The filters are a GET form, so a filtered view is
a link one can keep. The downloads take the same filters: without any they are the whole
trail (``complete`` in the file, every link of the account chain checkable); with filters
they hold what the page shows, each event still with its inclusion proof.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter
from fastapi.responses import Response

from api.formatting import local
from api.portal.forms import parse_date, start_of_day
from api.portal.page import MailboxPage, PortalPage
from api.web import PAGE_HEADERS
from machtigen.audit.export import export_csv, export_json
from machtigen.audit.narrate import Viewpoint, narrate
from machtigen.audit.trail import (
    Kind,
    TrailActor,
    TrailEntry,
    TrailFilter,
    Who,
    read_trail,
    seal_status,
    trail_actors,
)

router = APIRouter(prefix="/portal", include_in_schema=False)
PAGE_SIZE = 50
KINDS = tuple(Kind)
WHO = (Who.SELF, Who.PERSON, Who.ORGANISATION, Who.SERVICE, Who.ANONYMOUS)
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)


@dataclass
class ActivityForm:
    """The filter form as typed (kept on an error) and as the domain's ``TrailFilter``."""

    since: str = ""
    until: str = ""
    kinds: list[str] = field(default_factory=list)
    who: list[str] = field(default_factory=list)
    actor: str = ""
    before: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_query(cls, page: PortalPage) -> "ActivityForm":
        """Unknown kinds, groups or page marks are as if not chosen; dates are checked."""
        params = page.request.query_params
        before = params.get("before", "")
        form = cls(
            since=params.get("since", "")[:40],
            until=params.get("until", "")[:40],
            kinds=[k for k in params.getlist("kind") if k in KINDS],
            who=[w for w in params.getlist("who") if w in WHO],
            actor=params.get("actor", "")[:64],
            before=int(before) if before.isdigit() and len(before) < 19 else None,
        )
        form.check(page.t)
        return form

    def check(self, t: dict[str, str]) -> None:
        since, until = _day(self.since), _day(self.until)
        if self.since.strip() and since is None:
            self.errors["since"] = t["error_activity_date"]
        if self.until.strip() and until is None:
            self.errors["until"] = t["error_activity_date"]
        if since is not None and until is not None and until < since:
            self.errors["until"] = t["error_activity_until_before_since"]

    def trail_filter(self) -> TrailFilter:
        since, until = _day(self.since), _day(self.until)
        return TrailFilter(
            since=start_of_day(since) if since else None,
            until=start_of_day(until + timedelta(days=1)) if until else None,
            kinds=frozenset(Kind(k) for k in self.kinds),
            who=frozenset(Who(w) for w in self.who),
            actor_id=self.actor or None,
        )

    @property
    def filtered(self) -> bool:
        return bool(self.since or self.until or self.kinds or self.who or self.actor)

    def query(self, **changes: object) -> str:
        """The form's own query string, for the "older" link and the downloads."""
        values: list[tuple[str, object]] = [
            ("since", self.since),
            ("until", self.until),
            *(("kind", k) for k in self.kinds),
            *(("who", w) for w in self.who),
            ("actor", self.actor),
            *changes.items(),
        ]
        kept = [(k, v) for k, v in values if v not in ("", None)]
        return f"?{urlencode(kept)}" if kept else ""


def _day(text: str) -> date | None:
    """A date as picked or typed, within years a trail can hold (no overflow at the edges)."""
    parsed = parse_date(text)
    return parsed if parsed is not None and EARLIEST <= parsed <= LATEST else None


@dataclass(frozen=True)
class Day:
    """One day of the trail, newest visit first; each paragraph is one visit (``narrate``)."""

    day: date
    paragraphs: list[str]


def viewpoint(page: PortalPage) -> Viewpoint:
    """Who reads: the person themself, or a curator reading for them."""
    if page.acting_for is None:
        return Viewpoint.own(page.actor.name, page.subject_id)
    actor = page.actor
    return Viewpoint.reading_for(page.acting_for.full_name, actor.kind, actor.key)


def by_day(entries: Iterable[TrailEntry], view: Viewpoint, lang: str) -> list[Day]:
    """Newest day first; within a day the visits newest first, each told oldest act first.

    Grouped by the day it happened, not by recording order: an event recorded later about
    an earlier moment (a court register entry, imported history) is shown on its own day.
    """
    days: dict[date, list[TrailEntry]] = defaultdict(list)
    for entry in entries:
        days[local(entry.occurred_at).date()].append(entry)
    return [
        Day(day, list(reversed(narrate(days[day], view, lang))))
        for day in sorted(days, reverse=True)
    ]


@router.get("/activity")
def activity(page: MailboxPage) -> Response:
    form = ActivityForm.from_query(page)
    ctx, subject = page.ctx, page.subject
    actors = [a for a in trail_actors(ctx, subject) if a.who != Who.SELF]
    if form.actor and all(a.id != form.actor for a in actors):
        form.actor = ""
    trail = None
    if not form.errors:
        trail = read_trail(
            ctx, subject, form.trail_filter(), limit=PAGE_SIZE, before_seq=form.before
        )
    return page.render(
        "portal/activity.html",
        422 if form.errors else 200,
        form=form,
        errors=form.errors,
        kinds=KINDS,
        who_choices=WHO,
        actors=actors,
        actor_label=_actor_label,
        days=by_day(trail.entries, viewpoint(page), page.lang) if trail else [],
        older=form.query(before=trail.next_before_seq) if trail and trail.next_before_seq else None,
        newest=form.query() if form.before is not None else None,
        status=seal_status(ctx, subject),
    )


def _actor_label(actor: TrailActor) -> str:
    return f"{actor.name} ({actor.office})" if actor.office else actor.name


@router.get("/activity/export.json")
def export_as_json(page: MailboxPage) -> Response:
    return _download(page, "json")


@router.get("/activity/export.csv")
def export_as_csv(page: MailboxPage) -> Response:
    return _download(page, "csv")


def _download(page: PortalPage, kind: str) -> Response:
    """The trail as a file with its proofs; a bad date is the page's own 422 page."""
    form = ActivityForm.from_query(page)
    if form.errors:
        return activity(page)
    jwks = page.request.app.state.checkpoint_jwks
    ctx, subject, chosen = page.ctx, page.subject, form.trail_filter()
    if kind == "json":
        body = export_json(ctx, subject, chosen, public_jwks=jwks)
        media_type = "application/json"
    else:
        body = export_csv(ctx, subject, chosen, lang=page.lang, public_jwks=jwks).encode("utf-8")
        media_type = "text/csv; charset=utf-8"
    stamp = local(ctx.now).strftime("%Y-%m-%d")
    base = page.t["activity_file_selection" if form.filtered else "activity_file_all"]
    name = f"{base}-{stamp}.{kind}"
    headers = {**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type=media_type, headers=headers)
