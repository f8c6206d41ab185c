"""Former home of the notifications' domain calls, split by concern; only a forwarding list now.

Each name lives in the module of its concern (``outbox``, ``paper``, ``follow_up``,
``prompts``, ``events``); the callers that still import from here (the jobs, the mandate
service, the portal's and the API's routers) change their import, then this module goes.
"""

from machtigen.notifications.events import events_for_afnemer
from machtigen.notifications.follow_up import read_by_owner
from machtigen.notifications.outbox import on_mandate_changed, remind
from machtigen.notifications.paper import escalate
from machtigen.notifications.prompts import portal_prompts, staff_prompts

__all__ = [
    "escalate",
    "events_for_afnemer",
    "on_mandate_changed",
    "portal_prompts",
    "read_by_owner",
    "remind",
    "staff_prompts",
]
