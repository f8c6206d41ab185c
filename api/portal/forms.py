"""Reading portal forms: typed values out, and per-field messages for what cannot be used.

Every form field and query parameter is one of the typed building blocks below, made of
``machtigen.inputs``: text without NUL and with a length, numbers with bounds, a closed set
of choices for every flag. A field that does not parse refuses the whole request with a 422
page that names it, before anything is read as "untick", "off" or "empty". Parsing is
presentation (a date typed as 31-12-2026 or picked as 2026-12-31); every rule about what is
allowed stays in the domain and the policy.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal, get_args, get_origin
from uuid import UUID

from fastapi import Depends, Form, Query, Request
from fastapi.dependencies.models import Dependant
from pydantic import Field

from api.formatting import AMSTERDAM
from machtigen.accounts.errors import InvalidEmail
from machtigen.errors import NotFound
from machtigen.inputs import PageNumber, SafeText, check
from machtigen.mandates.errors import MandateNotFound
from machtigen.mandates.models import MandateAction
from machtigen.mandates.service import ScopeItem
from machtigen.messages.errors import MessageNotFound

ShortText = Annotated[SafeText, Form(max_length=64)]
"""A typed BSN, KvK number or date, or an id chosen from a list."""
Checkbox = Annotated[Literal["", "yes"], Form()]
"""Ticked ("yes") or absent; any other value is not something our forms send."""
Switch = Annotated[Literal["yes", "no"], Form()]
"""A hidden on/off field: always sent, so a missing one never means "off"."""
Ids = Annotated[list[UUID], Form()]
"""Ids chosen in a form; one that is not an id refuses the form."""
OptionalIds = Annotated[list[UUID] | None, Form()]
Back = Annotated[Literal["", "home", "settings", "mandates", "representing"], Form()]
Search = Annotated[SafeText, Query(max_length=100)]
PageQuery = Annotated[PageNumber, Query()]
IdQuery = Annotated[SafeText, Query(max_length=64)]


EmailText = Annotated[SafeText, Form(max_length=400)]


@dataclass(frozen=True)
class EmailForm:
    """The address form of a person's settings and of an employee's own page: an address to
    save, or "remove" ticked."""

    email: str
    remove: bool

    def saved(
        self, t: dict[str, str], save: Callable[[str | None], object]
    ) -> dict[str, str] | None:
        """``save`` the address (None when removed); the errors to show the form with, if any."""
        if self.remove:
            save(None)
            return None
        if not self.email.strip():
            return {"email": t["error_email_missing"]}
        try:
            save(self.email)
        except InvalidEmail:
            return {"email": t["error_email_invalid"]}
        return None


def _email_form(email: EmailText = "", remove: Checkbox = "") -> EmailForm:
    return EmailForm(email=email, remove=remove == "yes")


EmailAnswer = Annotated[EmailForm, Depends(_email_form)]


class UnusableFields(Exception):
    """Query parameters read by hand that do not parse: the same 422 page as a form's."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


async def one_value_per_field(request: Request) -> None:
    """A field our forms send once, sent more than once, is not our form: which one would
    count? Refused (422 naming it) rather than silently taking the last."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if request.method != "POST" or dependant is None:
        return
    form = await request.form()
    repeated = [
        field.alias
        for field in form_fields(dependant)
        if not _takes_many(field.field_info.annotation) and len(form.getlist(field.alias)) > 1
    ]
    if repeated:
        raise UnusableFields(repeated)


def form_fields(dependant: Dependant) -> list[Any]:
    """The handler's form fields and those of its dependencies (the csrf token's)."""
    fields = list(dependant.body_params)
    for sub in dependant.dependencies:
        fields.extend(form_fields(sub))
    return fields


def _takes_many(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(_takes_many(arg) for arg in get_args(annotation))


def query_value(request: Request, name: str, kind: Any, default: Any = None) -> Any:
    """One query parameter checked against a building block; ``UnusableFields`` if it fails."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        return check(kind, raw)
    except ValueError:
        raise UnusableFields([name]) from None


ScopeValue = Annotated[SafeText, Field(max_length=100)]

SCOPE_ACTIONS = (
    MandateAction.READ,
    MandateAction.MANAGE_FOLDERS,
    MandateAction.MANAGE_CONSENTS,
    MandateAction.RECEIVE_NOTIFICATIONS,
)


def parse_uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def _path_id(value: str, not_found: Callable[[], NotFound]) -> UUID:
    parsed = parse_uuid(value)
    if parsed is None:
        raise not_found()
    return parsed


def _message_id(message_id: str) -> UUID:
    return _path_id(message_id, MessageNotFound)


def _mandate_id(mandate_id: str) -> UUID:
    return _path_id(mandate_id, MandateNotFound)


MessageId = Annotated[UUID, Depends(_message_id)]
"""A message's id in the path; one that does not parse is the same 404 page as an unknown one."""
MandateId = Annotated[UUID, Depends(_mandate_id)]
"""A mandate's id in the path; one that does not parse is the same 404 page as an unknown one."""


def parse_date(value: str | None) -> date | None:
    """31-12-2026 (typed the Dutch way, as the fields ask), 31/12/2026, or 2026-12-31."""
    text = (value or "").strip()
    for pattern in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), AMSTERDAM)


@dataclass
class MandateForm:
    """The grant form (the represented person) and the request form (the representative)."""

    party: str = "person"
    """Who the other side is: a person, or (granting only) an office."""
    bsn: str = ""
    birth_date: str = ""
    kvk: str = ""
    scope: list[str] = field(default_factory=list)
    personal_data: bool = False
    valid_from: str = ""
    valid_until: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def scope_items(
        self, services_of: dict[UUID, list[UUID]] | None = None
    ) -> tuple[ScopeItem, ...]:
        """``<service>:<action>`` per ticked box; ``all:<afnemer>:<action>`` ("alle diensten
        van deze organisatie") stands for that action at each of the afnemer's services. A
        value our form never sends makes the whole scope empty (the form is refused)."""
        items: list[ScopeItem] = []
        for value in self.scope:
            head, _, action_text = value.rpartition(":")
            if action_text not in SCOPE_ACTIONS:
                return ()
            action = MandateAction(action_text)
            if head.startswith("all:"):
                services = (services_of or {}).get(
                    parse_uuid(head.removeprefix("all:")) or UUID(int=0)
                )
                if not services:
                    return ()
                items.extend(ScopeItem(action, service_id) for service_id in services)
                continue
            single = parse_uuid(head)
            if single is None:
                return ()
            items.append(ScopeItem(action, single))
        if self.personal_data:
            items.append(ScopeItem(MandateAction.READ_PERSONAL_DATA))
        return tuple(dict.fromkeys(items))

    def validity(self, now: datetime) -> tuple[datetime, datetime] | None:
        start, end = parse_date(self.valid_from), parse_date(self.valid_until)
        if start is None or end is None:
            return None
        starts = max(now, start_of_day(start))
        return starts, start_of_day(end + timedelta(days=1))

    def check(
        self,
        t: dict[str, str],
        now: datetime,
        *,
        offices_allowed: bool,
        services_of: dict[UUID, list[UUID]] | None = None,
    ) -> None:
        """Fill ``errors`` for what is missing or unreadable; the domain judges the rest."""
        if self.party == "office" and offices_allowed:
            if not self.kvk.strip():
                self.errors["kvk"] = t["error_kvk_missing"]
        else:
            self.party = "person"
            if not self.bsn.strip():
                self.errors["bsn"] = t["error_bsn_missing"]
            if parse_date(self.birth_date) is None:
                self.errors["birth_date"] = t["error_birth_date"]
        if not self.scope_items(services_of):
            self.errors["scope"] = t["error_422" if self.scope else "error_scope_missing"]
        start, end = parse_date(self.valid_from), parse_date(self.valid_until)
        if start is None:
            self.errors["valid_from"] = t["error_date"]
        if end is None:
            self.errors["valid_until"] = t["error_date"]
        elif start is not None and end < start:
            self.errors["valid_until"] = t["error_until_before_from"]
        elif end < now.astimezone(AMSTERDAM).date():
            self.errors["valid_until"] = t["error_until_past"]


def typed(day: date) -> str:
    """A date as people type it (dd-mm-jjjj), the way the form's fields show it."""
    return f"{day:%d-%m-%Y}"


def default_validity(now: datetime) -> tuple[str, str]:
    today = now.astimezone(AMSTERDAM).date()
    return typed(today), typed(today + timedelta(days=365))
