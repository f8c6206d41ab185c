"""The representative's dashboard: all clients, their unread post, deadlines and end dates.

Which clients appear and which messages count come from the policy alone (the SQL is in
machtigen/caseload/queries.py): the clients are the people the actor may ``act_for``, with
the mandates and measures the actor acts ``act_under`` as their basis; the counts are over
the messages the actor may ``read``. Filtering, sorting and paging of the (at most some
hundreds of) clients happen here, in Python, with the Dutch order of names.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypeVar, get_args
from uuid import UUID
from zoneinfo import ZoneInfo

from machtigen.authz.actors import PersonActor, StaffActor
from machtigen.caseload import queries
from machtigen.caseload.errors import InvalidCaseloadFilter, NotARepresentative
from machtigen.context import Ctx
from machtigen.identity.loa import require_loa
from machtigen.identity.names import sort_key
from machtigen.mandates.models import MeasureKind

Sort = Literal["name", "unread", "deadline", "ending"]
SORTS: tuple[str, ...] = get_args(Sort)
MAX_PAGE_SIZE = 200
MAX_PAGE = 10_000
MAX_DAYS = 3653
MAX_SEARCH = 100
ID_BATCH = 1000
"""Client ids per message query: far below every driver's limit on bound parameters."""
LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
"""A deadline is a Dutch calendar day: "upcoming" counts from today in the Netherlands."""

# When a client has several measures, the one shown first: the widest representation first.
_KIND_ORDER = tuple(kind.value for kind in MeasureKind)


@dataclass(frozen=True)
class CaseloadFilter:
    search: str | None = None
    """Client name contains this (case-insensitive); blank means no search."""
    only_unread: bool = False
    deadline_within_days: int | None = None
    """Clients with an upcoming deadline no later than this many days from today."""
    ending_within_days: int | None = None
    """Clients whose representation ends within this many days from now."""
    sort: Sort = "deadline"
    descending: bool = False
    page: int = 1
    page_size: int = 50

    def __post_init__(self) -> None:
        """Refuse a bad value with a message that names it; a blank search is no search."""
        search = self.search
        if search is not None:
            if not isinstance(search, str):
                raise InvalidCaseloadFilter("search must be text.")
            search = search.strip() or None
            if search is not None and len(search) > MAX_SEARCH:
                raise InvalidCaseloadFilter(f"search has at most {MAX_SEARCH} characters.")
            object.__setattr__(self, "search", search)
        for name in ("only_unread", "descending"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidCaseloadFilter(f"{name} must be true or false.")
        for name in ("deadline_within_days", "ending_within_days"):
            value = getattr(self, name)
            if value is not None and not _whole_number_between(value, 0, MAX_DAYS):
                raise InvalidCaseloadFilter(
                    f"{name} must be a whole number of days from 0 to {MAX_DAYS}."
                )
        if self.sort not in SORTS:
            raise InvalidCaseloadFilter(f"sort must be one of: {', '.join(SORTS)}.")
        if not _whole_number_between(self.page, 1, MAX_PAGE):
            raise InvalidCaseloadFilter(f"page must be a whole number from 1 to {MAX_PAGE}.")
        if not _whole_number_between(self.page_size, 1, MAX_PAGE_SIZE):
            raise InvalidCaseloadFilter(
                f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}."
            )


@dataclass(frozen=True)
class CaseloadRow:
    person_id: UUID
    name: str
    basis: str
    """"legal_measure" when the actor acts under a court measure, else "voluntary_mandate"."""
    basis_kind: str | None
    """The measure's kind (e.g. "beschermingsbewind"); the widest when there are several."""
    unread: int
    """Messages the actor may read (within its scope), not archived, that it has not opened."""
    next_deadline: datetime | None
    """The earliest deadline from today on among the messages the actor may read (archived
    ones left out). A deadline is a calendar day: this is that day at 00:00 UTC; use .date()."""
    representation_ends_at: datetime | None
    """When the representation on ``basis`` ends: the latest end of the measures (None when
    one is open-ended), or the latest valid_until of the voluntary mandates."""
    born: date
    namesake: bool = False
    """Another client of the actor has the same name: tell them apart by date of birth."""


@dataclass(frozen=True)
class CaseloadPage:
    rows: list[CaseloadRow]
    total: int
    """Clients that match the filters, over all pages."""
    page: int
    page_size: int


@dataclass
class _Client:
    person_id: UUID
    given_name: str
    family_name: str
    born: date
    basis: str = "voluntary_mandate"
    basis_kind: str | None = None
    ends_at: datetime | None = None
    open_ended: bool = False
    unread: int = 0
    next_deadline: date | None = None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"


def caseload(ctx: Ctx, filters: CaseloadFilter) -> CaseloadPage:
    """One page of the actor's clients, filtered and sorted; ``total`` counts every match."""
    if not isinstance(ctx.actor, PersonActor | StaffActor):
        raise NotARepresentative()
    require_loa(ctx, "read_mailbox")
    today = ctx.now.astimezone(LOCAL_TIME).date()
    everyone = _clients(ctx)
    names = Counter(client.name.casefold() for client in everyone)
    clients = [c for c in everyone if _matches_client(c, filters, ctx.now)]
    _count_messages(ctx, clients, today)
    matching = [c for c in clients if _matches_post(c, filters, today)]
    ordered = _ordered(matching, filters.sort, filters.descending)
    start = (filters.page - 1) * filters.page_size
    return CaseloadPage(
        rows=[
            _row(client, names[client.name.casefold()] > 1)
            for client in ordered[start : start + filters.page_size]
        ],
        total=len(matching),
        page=filters.page,
        page_size=filters.page_size,
    )


def _clients(ctx: Ctx) -> list[_Client]:
    """Everyone the actor may act for now, with the basis the actor acts on for them."""
    clients: dict[UUID, _Client] = {}
    measures = []
    for person_id, given_name, family_name, born, basis, kind, ends_at in queries.clients(ctx):
        client = clients.setdefault(person_id, _Client(person_id, given_name, family_name, born))
        if basis == "legal_measure":
            measures.append((client, str(kind), ends_at))
        elif client.basis == "voluntary_mandate":
            client.ends_at = _later(client.ends_at, ends_at)
    for client, kind, ends_at in measures:
        _add_measure(client, kind, ends_at)
    return list(clients.values())


def _add_measure(client: _Client, kind: str, ends_at: datetime | None) -> None:
    """A measure outranks any voluntary mandate as the basis shown."""
    if client.basis != "legal_measure":
        client.basis, client.basis_kind, client.ends_at = "legal_measure", kind, None
    if client.basis_kind is None or _KIND_ORDER.index(kind) < _KIND_ORDER.index(client.basis_kind):
        client.basis_kind = kind
    client.open_ended = client.open_ended or ends_at is None
    client.ends_at = None if client.open_ended else _later(client.ends_at, ends_at)


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if current is None:
        return candidate
    if candidate is None:
        return current
    return max(current, candidate)


def _count_messages(ctx: Ctx, clients: Sequence[_Client], today: date) -> None:
    """Unread count and next deadline per client, over the messages the policy lets it read."""
    by_id = {client.person_id: client for client in clients}
    ids = list(by_id)
    for start in range(0, len(ids), ID_BATCH):
        for person_id, unread, next_deadline in queries.message_counts(
            ctx, ids[start : start + ID_BATCH], today
        ):
            client = by_id[person_id]
            client.unread, client.next_deadline = int(unread), next_deadline


_Moment = TypeVar("_Moment", date, datetime)


def _matches_client(client: _Client, filters: CaseloadFilter, now: datetime) -> bool:
    if filters.search is not None and filters.search.casefold() not in client.name.casefold():
        return False
    return _within(client.ends_at, now, filters.ending_within_days)


def _matches_post(client: _Client, filters: CaseloadFilter, today: date) -> bool:
    if filters.only_unread and client.unread == 0:
        return False
    return _within(client.next_deadline, today, filters.deadline_within_days)


def _within(moment: _Moment | None, start: _Moment, days: int | None) -> bool:
    """A "within so many days" filter: none set, or a moment no later than ``days`` after
    ``start`` (a client without that moment is left out)."""
    if days is None:
        return True
    return moment is not None and moment <= start + timedelta(days=days)


_SORT_KEYS: dict[str, Callable[[_Client], Any]] = {
    "unread": lambda client: client.unread,
    "deadline": lambda client: client.next_deadline,
    "ending": lambda client: client.ends_at,
}


def _ordered(clients: Iterable[_Client], sort: str, descending: bool) -> list[_Client]:
    """Sorted on ``sort``, ties by name; a client without a deadline or end date comes last."""
    by_name = sorted(clients, key=_name_key)
    if sort == "name":
        return by_name[::-1] if descending else by_name
    key = _SORT_KEYS[sort]
    present = [client for client in by_name if key(client) is not None]
    absent = [client for client in by_name if key(client) is None]
    return sorted(present, key=key, reverse=descending) + absent


def _name_key(client: _Client) -> tuple[str, str, str]:
    return (*sort_key(client.given_name, client.family_name), str(client.person_id))


def _row(client: _Client, namesake: bool) -> CaseloadRow:
    deadline = client.next_deadline
    return CaseloadRow(
        person_id=client.person_id,
        name=client.name,
        basis=client.basis,
        basis_kind=client.basis_kind,
        unread=client.unread,
        next_deadline=None if deadline is None else datetime.combine(deadline, time(), UTC),
        representation_ends_at=client.ends_at,
        born=client.born,
        namesake=namesake,
    )


def _whole_number_between(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
