"""Opt-in per afnemer, and the exact delivery answer: digital, paper or both (rules 2–5)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Exists, exists, or_, select
from sqlmodel import col

from machtigen.accounts.models import Account, AccountState
from machtigen.accounts.service import afnemers_to_ask_about, get_account, mark_afnemers_reviewed
from machtigen.afnemers.models import Afnemer, Service
from machtigen.afnemers.service import can_concern, get_afnemer
from machtigen.audit.service import record_about
from machtigen.config import get_settings
from machtigen.consents.errors import (
    ConsentFormMismatch,
    OptInNotApplicable,
    ReadStateNotApplicable,
)
from machtigen.consents.models import Channel, Consent, DeliveryReason
from machtigen.context import Ctx
from machtigen.identity.loa import require_loa
from machtigen.identity.models import Person
from machtigen.identity.service import CASCO_AGE, age_on
from machtigen.mandates.models import LegalMeasure


@dataclass(frozen=True)
class DeliveryDecision:
    channel: Channel
    reason: DeliveryReason


def consent_for(ctx: Ctx, person_id: UUID, afnemer_id: UUID) -> Consent | None:
    statement = select(Consent).where(
        col(Consent.person_id) == person_id, col(Consent.afnemer_id) == afnemer_id
    )
    return ctx.session.scalars(statement).one_or_none()


def set_opt_in(ctx: Ctx, person_id: UUID, afnemer_id: UUID, opted_in: bool) -> Consent:
    """A tick counts at once; an untick after the transition period, shown to the user (rule 3)."""
    afnemer = get_afnemer(ctx, afnemer_id)
    if afnemer.legally_required_digital:
        raise OptInNotApplicable()
    consent = _existing_or_new(ctx, person_id, afnemer_id)
    ctx.authorize("change", consent)
    in_effect_now = consent.opted_in_at(ctx.now)
    consent.previous_opted_in = in_effect_now
    consent.opted_in = opted_in
    consent.changed_at = ctx.now
    transition = timedelta(days=get_settings().untick_transition_days)
    consent.effective_at = ctx.now + transition if in_effect_now and not opted_in else ctx.now
    action = "consent.ticked" if opted_in else "consent.unticked"
    return _saved(ctx, consent, afnemer, action, effective_at=consent.effective_at.isoformat())


def set_share_read_state(ctx: Ctx, person_id: UUID, afnemer_id: UUID, share: bool) -> Consent:
    """The person lets an afnemer learn whether its messages were read, or withdraws that
    (rule 8). Who may choose is the policy's ``share_read_state``; a change is audited.

    Sharing is offered for afnemers whose post reaches the mailbox; withdrawing always works.
    """
    require_loa(ctx, "manage_account")
    afnemer = get_afnemer(ctx, afnemer_id)
    consent = _existing_or_new(ctx, person_id, afnemer_id)
    ctx.authorize("share_read_state", consent)
    if consent.share_read_state == share:
        return consent
    if share and not _post_reaches_mailbox(afnemer, consent, ctx.now):
        raise ReadStateNotApplicable()
    consent.share_read_state = share
    action = "consent.read_state_shared" if share else "consent.read_state_withheld"
    return _saved(ctx, consent, afnemer, action)


def _saved(ctx: Ctx, consent: Consent, afnemer: Afnemer, action: str, **detail: Any) -> Consent:
    """The changed consent stored, and its audit event in the same transaction."""
    ctx.session.add(consent)
    ctx.session.flush()
    record_about(ctx, action, consent, afnemer=afnemer.name, **detail)
    return consent


def _post_reaches_mailbox(afnemer: Afnemer, consent: Consent | None, at: datetime) -> bool:
    return afnemer.legally_required_digital or (consent is not None and consent.opted_in_at(at))


@dataclass(frozen=True)
class ReadStateChoice:
    """One afnemer on the read-state page: may it see whether its post was read?"""

    afnemer: Afnemer
    shared: bool
    """The person agreed to share the read state with this afnemer."""
    by_law: bool
    """The afnemer has a configured legal basis: it learns the read state without consent."""
    may_change: bool


def read_state_overview(ctx: Ctx, person_id: UUID) -> list[ReadStateChoice]:
    """The afnemers whose post reaches the mailbox, and any the person still shares with."""
    get_account(ctx, person_id, "read")
    existing = {
        consent.afnemer_id: consent
        for consent in ctx.session.scalars(
            select(Consent).where(col(Consent.person_id) == person_id)
        )
    }
    choices = []
    for afnemer in ctx.session.scalars(select(Afnemer).order_by(col(Afnemer.name))):
        consent = existing.get(afnemer.id)
        shared = consent is not None and consent.share_read_state
        if not shared and not _post_reaches_mailbox(afnemer, consent, ctx.now):
            continue
        choices.append(
            ReadStateChoice(
                afnemer=afnemer,
                shared=shared,
                by_law=afnemer.read_state_legal_basis,
                may_change=ctx.is_allowed(
                    "share_read_state", consent or _new_consent(ctx, person_id, afnemer.id)
                ),
            )
        )
    return choices


def decide_delivery(ctx: Ctx, person: Person, afnemer: Afnemer, at: datetime) -> DeliveryDecision:
    """The exact answer an afnemer gets for one message to one person at one moment."""
    account = ctx.session.get(Account, person.id)

    def opted_in() -> bool:
        consent = consent_for(ctx, person.id, afnemer.id)
        return consent is not None and consent.opted_in_at(at)

    return delivery_decision(
        state=None if account is None else account.state,
        paper_only=account is not None and account.paper_only,
        legally_required_digital=afnemer.legally_required_digital,
        opted_in=opted_in,
        exempted=lambda: in_exempted_group(ctx, person, at),
    )


def delivery_decision(
    *,
    state: AccountState | None,
    paper_only: bool,
    legally_required_digital: bool,
    opted_in: Callable[[], bool],
    exempted: Callable[[], bool],
) -> DeliveryDecision:
    """``decide_delivery`` over facts already read: the account's state (None: no account),
    its paper switch, the afnemer's legal duty, and, asked only when the rules need them,
    whether the person's opt-in for this afnemer is in effect and whether they are in an
    exempted group. The ORM path and the async delivery (``messages/deliver_pg.py``) both
    decide here."""
    if state is None or state == AccountState.CLOSED:
        return DeliveryDecision(Channel.PAPER, DeliveryReason.NO_ACCOUNT)
    mailbox_off = _mailbox_off(state, paper_only)
    if legally_required_digital:
        return _legally_required(mailbox_off, exempted)
    if mailbox_off is not None:
        return DeliveryDecision(Channel.PAPER, mailbox_off)
    if opted_in():
        return DeliveryDecision(Channel.DIGITAL, DeliveryReason.OPTED_IN)
    return DeliveryDecision(Channel.PAPER, DeliveryReason.NOT_OPTED_IN)


def _legally_required(
    mailbox_off: DeliveryReason | None, exempted: Callable[[], bool]
) -> DeliveryDecision:
    """Wet EBV: always digital; also on paper for whoever cannot be expected to read it (rule 2):
    whoever does not read the mailbox (``mailbox_off``), and the exempted groups."""
    if mailbox_off is not None:
        return DeliveryDecision(Channel.BOTH, mailbox_off)
    if exempted():
        return DeliveryDecision(Channel.BOTH, DeliveryReason.EXEMPTED_GROUP)
    return DeliveryDecision(Channel.DIGITAL, DeliveryReason.LEGALLY_REQUIRED)


def _mailbox_off(state: AccountState, paper_only: bool) -> DeliveryReason | None:
    """Why the person does not read their post in the mailbox: never activated, switched off,
    or everything on paper (rules 1, 2 and 4); None while the mailbox is on."""
    if state == AccountState.CASCO:
        return DeliveryReason.NEVER_ACTIVATED
    if state == AccountState.DEACTIVATED:
        return DeliveryReason.DEACTIVATED
    if paper_only:
        return DeliveryReason.PAPER_SWITCH
    return None


def in_exempted_group(ctx: Ctx, person: Person, at: datetime) -> bool:
    """Regeling EBV art. 2: under 14, non-residents, and anyone under a court measure."""
    return exempted_group(
        non_resident=person.non_resident,
        date_of_birth=person.date_of_birth,
        at=at,
        measure_in_force=lambda: bool(ctx.session.scalar(select(measure_in_force(person.id, at)))),
    )


def exempted_group(
    *, non_resident: bool, date_of_birth: date, at: datetime, measure_in_force: Callable[[], bool]
) -> bool:
    """``in_exempted_group`` over facts already read (the measure asked only when needed)."""
    return non_resident or age_on(date_of_birth, at) < CASCO_AGE or measure_in_force()


def measure_in_force(person_id: Any, at: Any) -> Exists:
    """A court measure about the person in force at ``at`` (values or columns/parameters)."""
    return exists().where(
        col(LegalMeasure.subject_person_id) == person_id,
        col(LegalMeasure.starts_at) <= at,
        or_(col(LegalMeasure.ends_at).is_(None), col(LegalMeasure.ends_at) > at),
    )


def _untick_pending(consent: Consent, now: datetime) -> bool:
    return consent.previous_opted_in and not consent.opted_in and now < consent.effective_at


def _existing_or_new(ctx: Ctx, person_id: UUID, afnemer_id: UUID) -> Consent:
    existing = consent_for(ctx, person_id, afnemer_id)
    if existing is not None:
        return existing
    return _new_consent(ctx, person_id, afnemer_id)


def _new_consent(ctx: Ctx, person_id: UUID, afnemer_id: UUID) -> Consent:
    return Consent(
        person_id=person_id,
        afnemer_id=afnemer_id,
        opted_in=False,
        previous_opted_in=False,
        changed_at=ctx.now,
        effective_at=ctx.now,
    )


@dataclass(frozen=True)
class ConsentChoice:
    """One afnemer on the settings page, as the actor may see and change it."""

    afnemer: Afnemer
    chosen: bool
    """What was last chosen (ticked), whether or not it has taken effect yet."""
    digital_now: bool
    """Whether this afnemer's post goes into the mailbox at this moment (opt-in in effect)."""
    untick_effective_at: datetime | None
    """When a pending untick takes effect for delivery (rule 3), else None."""
    share_read_state: bool
    may_change: bool
    outside_scope: tuple[str, ...] = ()
    """For a representative who may not change it: the organisation's services that lie
    outside their scope (why the tick is read-only)."""


def consent_overview(ctx: Ctx, person_id: UUID) -> list[ConsentChoice]:
    """Every afnemer that can concern the person, or that they made a choice for; legally
    required ones cannot be unticked. A municipality they do not live in is not offered."""
    account = get_account(ctx, person_id, "read")
    holder = ctx.is_allowed("manage_settings", account)
    existing = {
        consent.afnemer_id: consent
        for consent in ctx.session.scalars(
            select(Consent).where(col(Consent.person_id) == person_id)
        )
    }
    person = ctx.session.get(Person, person_id)
    offered = or_(
        can_concern(person.municipality_code if person is not None else None),
        col(Afnemer.id).in_(list(existing)),
    )
    services: dict[UUID, list[Service]] = {}
    for service in ctx.session.scalars(select(Service).order_by(col(Service.name))):
        services.setdefault(service.afnemer_id, []).append(service)
    choices = []
    for afnemer in ctx.session.scalars(select(Afnemer).where(offered).order_by(col(Afnemer.name))):
        consent = existing.get(afnemer.id) or _new_consent(ctx, person_id, afnemer.id)
        pending = _untick_pending(consent, ctx.now)
        may_change = not afnemer.legally_required_digital and ctx.is_allowed("change", consent)
        outside: tuple[str, ...] = ()
        if not may_change and not afnemer.legally_required_digital and not holder:
            outside = _services_outside_scope(ctx, consent, services.get(afnemer.id, []))
        choices.append(
            ConsentChoice(
                afnemer=afnemer,
                chosen=afnemer.legally_required_digital or consent.opted_in,
                digital_now=afnemer.legally_required_digital or consent.opted_in_at(ctx.now),
                untick_effective_at=consent.effective_at if pending else None,
                share_read_state=consent.share_read_state,
                may_change=may_change,
                outside_scope=outside,
            )
        )
    return choices


def _services_outside_scope(ctx: Ctx, consent: Consent, services: list[Service]) -> tuple[str, ...]:
    """The services the policy's ``consent_service_within`` does not give the actor."""
    return tuple(
        service.name
        for service in services
        if not ctx.authz.rule_holds(
            ctx.session, "consent_service_within", ctx.actor, consent, service
        )
    )


def apply_consent_choices(
    ctx: Ctx, person_id: UUID, covered: set[UUID], ticked: set[UUID]
) -> list[Consent]:
    """The settings form: the afnemers it showed (``covered``), each ticked or not.

    Only the covered afnemers change, and only where the tick differs from the last choice:
    a missing field never unticks an afnemer the form did not show. A form that ticks what it
    does not cover, or covers what is no afnemer, is not this page's form: refused, nothing
    changed. The account holder saw the whole list: organisations that joined before now are
    no longer new to them. A representative who may change only some ticks did not review it
    for them.
    """
    require_loa(ctx, "manage_account")
    choices = {choice.afnemer.id: choice for choice in consent_overview(ctx, person_id)}
    if not ticked <= covered or not covered <= set(choices):
        raise ConsentFormMismatch()
    changed = []
    for afnemer_id, choice in choices.items():
        wanted = afnemer_id in ticked
        if afnemer_id in covered and choice.may_change and wanted != choice.chosen:
            changed.append(set_opt_in(ctx, person_id, afnemer_id, wanted))
    holder = ctx.is_allowed("manage_settings", get_account(ctx, person_id))
    if holder and afnemers_to_ask_about(ctx, person_id):
        mark_afnemers_reviewed(ctx, person_id)
    return changed


def answer_new_afnemers(
    ctx: Ctx, person_id: UUID, asked: set[UUID], ticked: set[UUID]
) -> list[Consent]:
    """The prompt about afnemers that joined since the last visit: tick the chosen ones only.

    Nothing is ticked for the person (rule 3); the rest stay unticked and are not asked again.
    ``asked`` are the afnemers the prompt showed: one it could not have shown refuses it.
    """
    require_loa(ctx, "manage_account")
    to_ask = {a.id: a for a in afnemers_to_ask_about(ctx, person_id)}
    if not ticked <= asked or not asked <= set(to_ask):
        raise ConsentFormMismatch()
    consents = [set_opt_in(ctx, person_id, a.id, True) for a in to_ask.values() if a.id in ticked]
    mark_afnemers_reviewed(ctx, person_id)
    return consents
