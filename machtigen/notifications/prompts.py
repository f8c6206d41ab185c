"""What the portal asks at a visit about the e-mail address (rules 6 and 12); writes nothing."""

import calendar
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from machtigen.accounts.service import get_account, urges_digital
from machtigen.config import get_settings
from machtigen.context import Ctx
from machtigen.identity.staff_email import get_staff


class Prompt(StrEnum):
    ASK_EMAIL = "ask_email"
    """No address: ask for one at every visit."""
    CONFIRM_EMAIL = "confirm_email"
    """The address was last confirmed six months ago or longer: is it still current?"""


def portal_prompts(ctx: Ctx, person_id: UUID) -> list[Prompt]:
    """What the portal should ask the account holder at this visit; pure, writes nothing.

    Nothing while the mailbox is off or everything goes on paper: nobody is urged towards
    digital post (their post reaches them on paper).
    """
    account = get_account(ctx, person_id, "manage_settings")
    if not urges_digital(account):
        return []
    return email_prompts(account.email, account.email_confirmed_at, ctx.now)


def staff_prompts(ctx: Ctx, staff_id: UUID) -> list[Prompt]:
    """The same questions for an office employee about their own address (rule 12)."""
    staff = get_staff(ctx, staff_id, "manage_contact")
    return email_prompts(staff.email, staff.email_confirmed_at, ctx.now)


def email_prompts(email: str | None, confirmed_at: datetime | None, now: datetime) -> list[Prompt]:
    """No address: ask for one at every visit; confirmed six months ago or longer: ask again."""
    if email is None:
        return [Prompt.ASK_EMAIL]
    months = get_settings().email_recheck_months
    if confirmed_at is None or add_months(confirmed_at, months) <= now:
        return [Prompt.CONFIRM_EMAIL]
    return []


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later; the last day of the month where that day does not exist."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
