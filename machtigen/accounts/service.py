"""The account's life: casco → activated → deactivated (and back), its settings and folders."""

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from machtigen.accounts.errors import (
    AccountNotFound,
    AccountStateConflict,
    ActivationNotConfirmed,
    FolderNameTaken,
    InvalidEmail,
    InvalidFolderName,
)
from machtigen.accounts.models import Account, AccountState, Folder
from machtigen.afnemers.models import Afnemer
from machtigen.afnemers.service import can_concern
from machtigen.audit.service import record
from machtigen.consents.models import Consent
from machtigen.context import Ctx
from machtigen.identity.loa import require_loa
from machtigen.identity.models import Person


def get_account(ctx: Ctx, person_id: UUID, action: str = "read") -> Account:
    return ctx.load(Account, person_id, action, AccountNotFound)


def _managed(ctx: Ctx, person_id: UUID, action: str) -> Account:
    """The account, to change: as the policy allows, at a login strong enough for managing it
    (``manage_account`` in policies/05_assurance.polar); else StepUpRequired."""
    account = get_account(ctx, person_id, action)
    require_loa(ctx, "manage_account")
    return account


def _audit(ctx: Ctx, action: str, person_id: UUID, **detail: object) -> None:
    """An audit event about the person's account (which has no id of its own)."""
    record(ctx, action, subject_person_id=person_id, object_type="account", **detail)


def record_visit(ctx: Ctx, person_id: UUID) -> Account:
    """A login or visit. It never activates anything (rule 1)."""
    account = get_account(ctx, person_id)
    account.last_visit_at = ctx.now
    return account


def activate(ctx: Ctx, person_id: UUID, *, explanation_confirmed: bool) -> Account:
    """Only this explicit act activates the mailbox, after the person was told what it means."""
    account = _managed(ctx, person_id, "activate")
    if not explanation_confirmed:
        raise ActivationNotConfirmed()
    if account.state not in (AccountState.CASCO, AccountState.DEACTIVATED):
        raise AccountStateConflict(f"The mailbox cannot be activated from state {account.state}.")
    previous = account.state
    account.state = AccountState.ACTIVATED
    account.activated_at = ctx.now
    _audit(ctx, "account.activated", person_id, previous=previous)
    return account


def deactivate(ctx: Ctx, person_id: UUID) -> Account:
    """Back to paper for everything except legally required digital post (rule 2)."""
    account = _managed(ctx, person_id, "deactivate")
    if account.state != AccountState.ACTIVATED:
        raise AccountStateConflict(
            f"Only an activated mailbox can be deactivated, not {account.state}."
        )
    account.state = AccountState.DEACTIVATED
    account.deactivated_at = ctx.now
    _audit(ctx, "account.deactivated", person_id)
    return account


def set_paper_only(ctx: Ctx, person_id: UUID, paper_only: bool) -> Account:
    """The central "everything on paper" switch (rule 4)."""
    account = _managed(ctx, person_id, "manage_settings")
    if account.paper_only != paper_only:
        account.paper_only = paper_only
        _audit(ctx, "account.paper_switch", person_id, on=paper_only)
    return account


def set_email(ctx: Ctx, person_id: UUID, email: str | None) -> Account:
    account = _managed(ctx, person_id, "manage_settings")
    has_email = put_email(account, email, ctx.now)
    _audit(ctx, "account.email_changed", person_id, has_email=has_email)
    return account


def confirm_email_current(ctx: Ctx, person_id: UUID) -> Account:
    """The six-monthly "is this address still yours?" answered yes (rule 6)."""
    account = _managed(ctx, person_id, "manage_settings")
    confirm_email(account, ctx.now)
    _audit(ctx, "account.email_confirmed", person_id)
    return account


def set_repeat_reminders(ctx: Ctx, person_id: UUID, enabled: bool) -> Account:
    account = _managed(ctx, person_id, "manage_settings")
    account.repeat_reminders = enabled
    _audit(ctx, "account.reminders_changed", person_id, on=enabled)
    return account


def urges_digital(account: Account) -> bool:
    """Whether the portal may urge the person towards digital post (new organisations, an
    e-mail address): only with the mailbox on and without "everything on paper"."""
    return account.state == AccountState.ACTIVATED and not account.paper_only


def afnemers_to_ask_about(ctx: Ctx, person_id: UUID) -> Sequence[Afnemer]:
    """Opt-in afnemers that joined since the person last reviewed the list (rule 3).

    "Last reviewed" is the last time they saved their choices or answered this question, or
    else when they switched the mailbox on: what existed then, they chose from. Nobody whose
    mailbox is off, or who chose everything on paper, is asked; nor about an organisation
    that cannot concern them (a municipality they do not live in).
    """
    account = _managed(ctx, person_id, "manage_settings")
    since = account.afnemers_reviewed_at or account.activated_at
    if not urges_digital(account) or since is None:
        return []
    person = ctx.session.get(Person, person_id)
    chosen = select(col(Consent.afnemer_id)).where(col(Consent.person_id) == person_id)
    statement = select(Afnemer).where(
        col(Afnemer.legally_required_digital).is_(False),
        col(Afnemer.id).not_in(chosen),
        col(Afnemer.joined_at) > since,
        can_concern(person.municipality_code if person is not None else None),
    )
    return ctx.session.scalars(statement.order_by(col(Afnemer.name))).all()


def mark_afnemers_reviewed(ctx: Ctx, person_id: UUID) -> Account:
    account = _managed(ctx, person_id, "manage_settings")
    account.afnemers_reviewed_at = ctx.now
    _audit(ctx, "account.afnemers_reviewed", person_id)
    return account


def create_folder(ctx: Ctx, person_id: UUID, name: str) -> Folder:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise InvalidFolderName()
    folder = Folder(person_id=person_id, name=name, created_at=ctx.now)
    ctx.authorize("manage", folder)
    require_loa(ctx, "manage_account")
    try:
        with ctx.session.begin_nested():
            ctx.session.add(folder)
    except IntegrityError as error:
        raise FolderNameTaken() from error
    record(
        ctx,
        "folder.created",
        subject_person_id=person_id,
        object_type="folder",
        object_id=folder.id,
    )
    return folder


def folders_of(ctx: Ctx, person_id: UUID) -> Sequence[Folder]:
    statement = (
        ctx.authz.select(ctx.actor, "manage", Folder)
        .where(col(Folder.person_id) == person_id)
        .order_by(col(Folder.name))
    )
    return ctx.session.scalars(statement).all()


def normalized_email(email: str) -> str:
    """One validation for every address the service mails: a person's and an employee's."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise InvalidEmail(str(error)) from error


class EmailHolder(Protocol):
    """A record with its own notification address: a person's account, an employee."""

    email: str | None
    email_confirmed_at: datetime | None


def put_email(holder: EmailHolder, email: str | None, now: datetime) -> bool:
    """Set (validated, normalised, confirmed as of ``now``) or remove the holder's address;
    whether there is one now."""
    normalized = None if email is None else normalized_email(email)
    holder.email = normalized
    holder.email_confirmed_at = now if normalized else None
    return normalized is not None


def confirm_email(holder: EmailHolder, now: datetime) -> None:
    """The six-monthly "is this address still yours?" answered yes."""
    if holder.email is None:
        raise InvalidEmail("there is no address to confirm")
    holder.email_confirmed_at = now
