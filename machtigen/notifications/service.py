"""Former home of the notifications' domain calls, split by concern; only a forwarding list now.

Each name lives in the module of its concern (``outbox``, ``prompts``, ``events``); the callers
that still import from here (the mandate service, the portal's and the API's routers) change
their import, then this module goes.
"""

from machtigen.notifications.events import events_for_afnemer
from machtigen.notifications.outbox import on_mandate_changed
from machtigen.notifications.prompts import portal_prompts, staff_prompts

__all__ = ["events_for_afnemer", "on_mandate_changed", "portal_prompts", "staff_prompts"]
