"""Reading portal forms: typed values out, and per-field messages for what cannot be used.

Parsing is presentation (a date typed as 31-12-2026 or picked as 2026-12-31); every rule
about what is allowed stays in the domain and the policy.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from api.formatting import AMSTERDAM
from machtigen.mandates.models import MandateAction
from machtigen.mandates.service import ScopeItem

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


def parse_ids(values: list[str]) -> set[UUID]:
    return {parsed for parsed in (parse_uuid(v) for v in values) if parsed is not None}


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
        van deze organisatie") stands for that action at each of the afnemer's services."""
        items = []
        for value in self.scope:
            head, _, action_text = value.rpartition(":")
            if action_text not in SCOPE_ACTIONS:
                continue
            action = MandateAction(action_text)
            if head.startswith("all:"):
                afnemer_id = parse_uuid(head.removeprefix("all:"))
                for service_id in (services_of or {}).get(afnemer_id or UUID(int=0), []):
                    items.append(ScopeItem(action, service_id))
                continue
            single = parse_uuid(head)
            if single is not None:
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
            self.errors["scope"] = t["error_scope_missing"]
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
