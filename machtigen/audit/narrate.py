"""The trail in plain Dutch and English, told to whoever reads it.

"Op 15 november 2015 om 15:02 activeerde u uw berichtenbox en vinkte u RDW en UWV aan. U
was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10." Every sentence names three
people correctly: who did it (the actor), whose account it is (the person), and who reads
(a ``Viewpoint``): the person themself ("u", "uw berichtenbox"), someone reading for them, a
curator ("Sanne Peters", "de berichtenbox van Sanne Peters", and "u" for the curator's own
acts), or nobody in particular, an export (every party by name). A representative's acts
say on whose behalf they were done. The person's own acts say how and from where they were
logged in; a representative's address is never shown (it is their personal data).

Acts of one actor close together (a visit) make one paragraph; ticks and unticks in it are
listed together. ``describe`` gives one sentence per event, for the CSV and JSON exports.

The words are in the catalogs (``machtigen.i18n``, msgids ``trail_*``: a verb and the rest
of each clause); this module keeps the grammar: which words, and their order (Dutch puts the
verb before the subject after a time phrase, English keeps the subject first).

All text from the trail has been encoded at recording (``machtigen.audit.text``): no line
breaks or control characters. A page must still HTML-escape it, as Jinja2 does.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from machtigen.audit.trail import TrailEntry, Who
from machtigen.i18n import day, gettext, local

VISIT_GAP = timedelta(minutes=30)
MEANS = {"digid": "DigiD", "eidas": "eIDAS", "eherkenning": "eHerkenning"}
"""The login means by their (untranslated) names."""
EIDAS_LEVELS = {
    "low": "trail_level_low",
    "substantial": "trail_level_substantial",
    "high": "trail_level_high",
}
MEASURES = {
    "curatele": "trail_measure_curatele",
    "beschermingsbewind": "trail_measure_beschermingsbewind",
    "mentorschap": "trail_measure_mentorschap",
    "faillissement": "trail_measure_faillissement",
    "wsnp": "trail_measure_wsnp",
}
ACTING_ENDED = {
    "revoked_by_represented": "trail_ended_revoked_by_represented",
    "revoked_by_representative": "trail_ended_revoked_by_representative",
    "expired": "trail_ended_expired",
    "superseded": "trail_ended_superseded",
    "measure_ended": "trail_ended_measure_ended",
    "unassigned": "trail_ended_unassigned",
}
DENIED = {
    "read": "trail_denied_read",
    "manage_folders": "trail_denied_manage_folders",
    "receive_notifications": "trail_denied_receive_notifications",
    "read_audit": "trail_denied_read_audit",
    "act_for": "trail_denied_act_for",
    "change": "trail_denied_change",
    "manage_settings": "trail_denied_manage_settings",
    "activate": "trail_denied_activate",
    "deactivate": "trail_denied_deactivate",
    "manage": "trail_denied_manage",
    "create": "trail_denied_create",
    "accept": "trail_denied_accept",
    "decline": "trail_denied_decline",
    "revoke": "trail_denied_revoke",
    "read_personal_data": "trail_denied_read_personal_data",
}


@dataclass(frozen=True)
class Viewpoint:
    """Who reads the trail: decides who is "u" and whose "uw berichtenbox" it is."""

    subject: str
    """The name of the person whose trail it is."""
    reader: tuple[str, str] | None = None
    """The reader's actor kind and id (``("person", "<uuid>")``); None: an export."""
    reader_is_subject: bool = False

    @classmethod
    def own(cls, name: str, person_id: object) -> "Viewpoint":
        """The person reads their own trail."""
        return cls(name, ("person", str(person_id)), reader_is_subject=True)

    @classmethod
    def reading_for(cls, name: str, reader_kind: str, reader_id: object) -> "Viewpoint":
        """Someone (a curator) reads the person's trail for them."""
        return cls(name, (reader_kind, str(reader_id)))

    @classmethod
    def export(cls, name: str) -> "Viewpoint":
        """A file anyone may read later: every party by name."""
        return cls(name)


@dataclass(frozen=True)
class Clause:
    """One statement: its grammatical subject, verb and the rest, in one language.

    Dutch puts the verb before the subject after a time phrase ("Op 1 mei logde u in");
    English keeps the subject first. ``behalf`` ("namens u") stands right after the subject
    in Dutch and at the end in English. ``actor`` is False for statements whose subject is
    not the one who acted (a passive one: "uw account werd aangemaakt").
    """

    subject: str
    verb: str
    rest: str = ""
    behalf: str = ""
    actor: bool = True
    says_behalf: bool = False
    """The clause itself says on whose behalf the actor acts ("begon namens u te handelen")."""

    @property
    def covers_behalf(self) -> bool:
        return bool(self.behalf) or self.says_behalf


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


class Words:
    """The parties of one event as the reader should read them, in one language."""

    def __init__(self, entry: TrailEntry, view: Viewpoint, lang: str) -> None:
        self.entry = entry
        self.view = view
        self.lang = lang
        actor = entry.actor
        self.actor_is_subject = actor.who == Who.SELF
        self.actor_is_reader = (actor.kind, actor.id) == view.reader or (
            self.actor_is_subject and view.reader_is_subject
        )

    def say(self, msgid: str, **values: Any) -> str:
        """A text of the catalog in the reader's language, its placeholders filled in."""
        text = gettext(self.lang, msgid)
        return text % values if values else text

    @property
    def actor(self) -> str:
        """Who did it: "u" for the reader, else a name or what kind of party it was."""
        actor = self.entry.actor
        if self.actor_is_reader:
            return self.say("trail_you")
        if self.actor_is_subject:
            return actor.name or self.view.subject
        if actor.kind == "system":
            return self.say("trail_actor_system")
        if actor.kind == "register":
            return self.say("trail_actor_register")
        if actor.kind == "operator":
            return self.say("trail_actor_operator")
        if actor.kind == "anonymous":
            return self.say("trail_actor_anonymous")
        name = actor.name or self.say("trail_someone")
        return f"{name} ({actor.office})" if actor.office else name

    @property
    def subject(self) -> str:
        """The person as the object of a sentence: "u" when they read it, else their name."""
        return self.say("trail_you") if self.view.reader_is_subject else self.view.subject

    def own(self, yours: str, their_own: str, of: str) -> str:
        """The person's thing: "uw berichtenbox" (``yours``), "de eigen berichtenbox" (done
        by the person, read by someone else), or "de berichtenbox van Sanne Peters"."""
        if self.view.reader_is_subject:
            return self.say(yours)
        if self.actor_is_subject:
            return self.say(their_own)
        return self.say(of, subject=self.view.subject)

    @property
    def box(self) -> str:
        return self.own("trail_box_yours", "trail_box_own", "trail_box_of")

    @property
    def address(self) -> str:
        return self.own("trail_address_yours", "trail_address_own", "trail_address_of")

    @property
    def account(self) -> str:
        return self.own("trail_account_yours", "trail_account_own", "trail_account_of")

    @property
    def for_subject(self) -> str:
        """ "namens u" / "namens Sanne Peters", whoever acted."""
        if self.view.reader_is_subject:
            return self.say("trail_for_you")
        return self.say("trail_for_subject", subject=self.view.subject)

    @property
    def behalf(self) -> str:
        """ "namens u" when someone else acted on the person's account; empty otherwise."""
        if self.actor_is_subject or self.entry.actor.kind not in ("person", "staff"):
            return ""
        return self.for_subject

    def late_behalf(self) -> tuple[str, str]:
        """For a long clause: (the end of its rest, its ``behalf``). English says ", acting on
        your behalf" at the very end; Dutch keeps "namens u" right after the subject."""
        if not self.behalf:
            return "", ""
        if self.lang == "nl":
            return "", self.behalf
        return self.say("trail_acting_late", behalf=self.behalf), ""

    def did(self, verb: str, rest: str) -> Clause:
        """The actor did something on the account (a representative: on the person's behalf)."""
        return Clause(self.actor, self.say(verb), rest, behalf=self.behalf)

    def said(self, verb: str, rest: str) -> Clause:
        """The actor did something that names the person itself (no "namens u" needed)."""
        return Clause(self.actor, self.say(verb), rest)

    def happened(self, subject: str, verb: str, rest: str) -> Clause:
        """Something happened to the account that nobody in particular did."""
        return Clause(subject, self.say(verb), rest, actor=False)

    @property
    def afnemer(self) -> str:
        return self.entry.names.get("afnemer") or self.say("trail_an_organisation")

    @property
    def representative(self) -> str:
        return self.entry.names.get("representative") or self.say("trail_someone")

    @property
    def message(self) -> str:
        service = self.entry.names.get("service")
        if service:
            return self.say("trail_message_about", afnemer=self.afnemer, service=service)
        return self.say("trail_message", afnemer=self.afnemer)

    @property
    def measure(self) -> str:
        kind = str(self.entry.detail.get("kind") or self.entry.names.get("measure_kind") or "")
        if kind in MEASURES:
            return self.say(MEASURES[kind])
        return kind or self.say("trail_measure_unknown")

    def on(self) -> bool:
        return bool(self.entry.detail.get("on"))


Phrase = Callable[[Words], Clause]


def _login(w: Words) -> Clause:
    return w.said("trail_login_verb", w.say("trail_login_rest", origin=_origin(w)))


def _level(w: Words) -> str:
    loa = w.entry.loa or ""
    label = loa.rsplit("/", 1)[-1] if loa.startswith("http") else loa
    if w.entry.means == "eidas" and label in EIDAS_LEVELS:
        label = w.say(EIDAS_LEVELS[label])
    return label


def _origin(w: Words, separator: str = " ") -> str:
    """ "met DigiD (niveau midden) vanaf adres 192.0.2.10": how and from where."""
    means = MEANS.get(w.entry.means or "", w.entry.means or "?")
    level = _level(w)
    text = w.say("trail_origin_means", means=means)
    if level:
        text += " " + w.say("trail_origin_level", level=level)
    if w.entry.ip:
        text += separator + w.say("trail_origin_address", ip=w.entry.ip)
    return text


def _origin_sentence(w: Words) -> str:
    """ "U was ingelogd met DigiD (niveau midden), vanaf adres …" for the person's own acts."""
    if not (w.actor_is_subject and w.entry.means):
        return ""
    who = w.actor[:1].upper() + w.actor[1:]
    msgid = "trail_logged_in_reader" if w.actor_is_reader else "trail_logged_in"
    return w.say(msgid, who=who, origin=_origin(w, ", "))


def _acting_for(w: Words) -> Clause:
    if w.entry.detail.get("acting_for"):
        rest = w.say("trail_acting_started_rest", for_subject=w.for_subject)
        return replace(w.said("trail_acting_started_verb", rest), says_behalf=True)
    ended = ACTING_ENDED.get(str(w.entry.detail.get("ended") or ""))
    why = ": " + w.say(ended, subject=w.subject) if ended else ""
    rest = w.say("trail_acting_stopped_rest", for_subject=w.for_subject, why=why)
    return w.said("trail_acting_stopped_verb", rest)


def _delivered(w: Words) -> Clause:
    channel = w.entry.detail.get("channel")
    if channel == "paper":
        return w.said("trail_sent_verb", w.say("trail_sent_paper_rest", subject=w.subject))
    if channel == "both":
        return w.said("trail_delivered_verb", w.say("trail_delivered_both_rest", box=w.box))
    return w.said("trail_delivered_verb", w.say("trail_delivered_rest", box=w.box))


def _answered_or_ended(
    w: Words, by_subject: tuple[str, str], by_representative: tuple[str, str]
) -> Clause:
    """A mandate accepted, declined or revoked: (verb, rest) naming the representative when
    the represented person did it, else (verb, rest) naming the person."""
    if w.actor_is_subject:
        verb, rest = by_subject
        return w.said(verb, w.say(rest, representative=w.representative))
    verb, rest = by_representative
    return w.said(verb, w.say(rest, subject=w.subject))


def _mandate_accepted(w: Words) -> Clause:
    return _answered_or_ended(
        w,
        ("trail_request_approved_verb", "trail_request_approved_rest"),
        ("trail_mandate_accepted_verb", "trail_mandate_accepted_rest"),
    )


def _mandate_declined(w: Words) -> Clause:
    return _answered_or_ended(
        w,
        ("trail_request_declined_verb", "trail_request_declined_rest"),
        ("trail_mandate_declined_verb", "trail_mandate_declined_rest"),
    )


def _mandate_revoked(w: Words) -> Clause:
    return _answered_or_ended(
        w,
        ("trail_mandate_revoked_verb", "trail_mandate_revoked_rest"),
        ("trail_mandate_ended_verb", "trail_mandate_ended_rest"),
    )


def _checked(w: Words) -> Clause:
    service = w.entry.names.get("service") or str(w.entry.detail.get("service") or "")
    at = w.say("trail_checked_at", service=service) if service else ""
    allowed = w.entry.detail.get("allowed")
    answer = w.say("trail_checked_yes") if allowed else w.say("trail_checked_no")
    rest = w.say("trail_checked_rest", behalf=w.for_subject, at=at, answer=answer)
    return w.said("trail_checked_verb", rest)


def _denied(w: Words) -> Clause:
    asked = str(w.entry.detail.get("asked") or "?")
    behalf = w.say("trail_denied_behalf", behalf=w.behalf) if w.behalf else ""
    if asked in DENIED:
        text = w.say(DENIED[asked], for_subject=w.for_subject, behalf=behalf)
    else:
        text = w.say("trail_denied_other", asked=asked)
    return w.said("trail_denied_verb", w.say("trail_denied_rest", what=text))


def _ticks(w: Words, names: str, on: bool) -> Clause:
    if on:
        return w.did("trail_ticked_verb", w.say("trail_ticked_rest", names=names))
    return w.did("trail_unticked_verb", w.say("trail_unticked_rest", names=names))


def _staff(w: Words) -> str:
    return str(w.entry.detail.get("staff_name") or w.say("trail_an_employee"))


def _needed(w: Words) -> str:
    needed = w.entry.detail.get("needed")
    return f" ({needed})" if needed else ""


def _simple(verb: str, rest: str) -> Phrase:
    return lambda w: w.did(verb, w.say(rest))


def _to_subject(who: str, verb: str, rest: str) -> Phrase:
    """Something that happened without the subject acting: ``who`` did ``verb`` to them."""
    return lambda w: w.happened(w.say(who), verb, w.say(rest, subject=w.subject))


def _switched(w: Words, on: str, off: str) -> Clause:
    return w.did("trail_switched_verb", w.say(on if w.on() else off))


def _read_state(w: Words, verb: str, rest: str) -> Clause:
    late, behalf = w.late_behalf()
    text = w.say(rest, afnemer=w.afnemer, acting_late=late)
    return Clause(w.actor, w.say(verb), text, behalf=behalf)


PHRASES: dict[str, Phrase] = {
    "login": _login,
    "logout": lambda w: w.said("trail_logout_verb", w.say("trail_logout_rest")),
    "login.step_up_required": lambda w: w.said(
        "trail_step_up_verb", w.say("trail_step_up_rest", needed=_needed(w))
    ),
    "session.acting_for": _acting_for,
    "token.issued": lambda w: w.said(
        "trail_token_verb", w.say("trail_token_rest", for_subject=w.for_subject)
    ),
    "eidas.registered": _to_subject(
        "trail_eidas_registered_subject",
        "trail_eidas_registered_verb",
        "trail_eidas_registered_rest",
    ),
    "eidas.linked": lambda w: w.said(
        "trail_eidas_linked_verb", w.say("trail_eidas_linked_rest", account=w.account)
    ),
    "account.casco_created": lambda w: w.happened(
        w.account, "trail_casco_created_verb", w.say("trail_casco_created_rest")
    ),
    "account.activated": lambda w: w.said("trail_activated_verb", w.box),
    "account.deactivated": lambda w: w.said(
        "trail_deactivated_verb", w.say("trail_deactivated_rest", box=w.box)
    ),
    "account.paper_switch": lambda w: _switched(w, "trail_paper_on", "trail_paper_off"),
    "account.email_changed": lambda w: (
        w.said("trail_email_changed_verb", w.address)
        if w.entry.detail.get("has_email")
        else w.said("trail_email_removed_verb", w.address)
    ),
    "account.email_confirmed": lambda w: w.said(
        "trail_email_confirmed_verb", w.say("trail_email_confirmed_rest", address=w.address)
    ),
    "account.reminders_changed": lambda w: _switched(
        w, "trail_reminders_on", "trail_reminders_off"
    ),
    "account.afnemers_reviewed": _simple("trail_reviewed_verb", "trail_reviewed_rest"),
    "folder.created": _simple("trail_folder_created_verb", "trail_folder_created_rest"),
    "consent.ticked": lambda w: _ticks(w, w.afnemer, True),
    "consent.unticked": lambda w: _ticks(w, w.afnemer, False),
    "consent.read_state_shared": lambda w: _read_state(
        w, "trail_read_state_shared_verb", "trail_read_state_shared_rest"
    ),
    "consent.read_state_withheld": lambda w: _read_state(
        w, "trail_read_state_withheld_verb", "trail_read_state_withheld_rest"
    ),
    "consent.untick_effective": lambda w: w.happened(
        w.say("trail_untick_effective_subject", afnemer=w.afnemer),
        "trail_untick_effective_verb",
        w.say("trail_untick_effective_rest"),
    ),
    "message.delivered": _delivered,
    "message.opened": lambda w: w.did("trail_opened_verb", w.message),
    "message.filed": lambda w: w.did(
        "trail_filed_verb", w.say("trail_filed_rest", message=w.message)
    ),
    "message.archived": lambda w: w.did("trail_archived_verb", w.message),
    "message.unarchived": lambda w: w.did(
        "trail_unarchived_verb", w.say("trail_unarchived_rest", message=w.message)
    ),
    "message.reminder": _to_subject(
        "trail_reminder_subject", "trail_reminder_verb", "trail_reminder_rest"
    ),
    "message.not_reached": lambda w: w.happened(
        w.afnemer, "trail_not_reached_verb", w.say("trail_not_reached_rest", subject=w.subject)
    ),
    "message.read_state_disclosed": lambda w: w.said(
        "trail_read_state_disclosed_verb",
        w.say("trail_read_state_disclosed_rest", subject=w.subject),
    ),
    "letter.created": _to_subject(
        "trail_letter_created_subject", "trail_letter_created_verb", "trail_letter_created_rest"
    ),
    "letter.written": lambda w: w.happened(
        w.say("trail_letter_written_subject", subject=w.subject),
        "trail_letter_written_verb",
        w.say("trail_letter_written_rest"),
    ),
    "mandate.granted": lambda w: w.said(
        "trail_granted_verb", w.say("trail_granted_rest", representative=w.representative)
    ),
    "mandate.requested": lambda w: w.said(
        "trail_requested_verb", w.say("trail_requested_rest", subject=w.subject)
    ),
    "mandate.accepted": _mandate_accepted,
    "mandate.declined": _mandate_declined,
    "mandate.revoked": _mandate_revoked,
    "mandate.expired": lambda w: w.happened(
        w.say("trail_expired_subject", representative=w.representative),
        "trail_expired_verb",
        "",
    ),
    "mandate.lapsed": lambda w: w.happened(
        w.say("trail_lapsed_subject", representative=w.representative),
        "trail_lapsed_verb",
        w.say("trail_lapsed_rest"),
    ),
    "measure.started": lambda w: w.said(
        "trail_measure_started_verb",
        w.say(
            "trail_measure_started_rest",
            measure=w.measure,
            subject=w.subject,
            representative=w.representative,
        ),
    ),
    "measure.changed": lambda w: w.said(
        "trail_measure_changed_verb",
        w.say("trail_measure_changed_rest", measure=w.measure, subject=w.subject),
    ),
    "measure.ended": lambda w: w.said(
        "trail_measure_ended_verb",
        w.say("trail_measure_ended_rest", measure=w.measure, subject=w.subject),
    ),
    "mandate.checked": _checked,
    "representatives.listed": lambda w: w.said(
        "trail_listed_verb", w.say("trail_listed_rest", for_subject=w.for_subject)
    ),
    "authz.denied": _denied,
    "audit.exported": lambda w: w.said("trail_exported_verb", w.say("trail_this_overview")),
    "audit.viewed": lambda w: w.said("trail_viewed_verb", w.say("trail_this_overview")),
    "office.client_assigned": lambda w: w.said(
        "trail_assigned_verb", w.say("trail_assigned_rest", subject=w.subject, staff=_staff(w))
    ),
    "office.client_unassigned": lambda w: w.said(
        "trail_unassigned_verb",
        w.say("trail_unassigned_rest", subject=w.subject, staff=_staff(w)),
    ),
}


def when(entry: TrailEntry, lang: str) -> str:
    at = local(entry.occurred_at)
    return gettext(lang, "trail_when") % {"date": day(at, lang), "time": f"{at:%H:%M}"}


def clause_of(entry: TrailEntry, view: Viewpoint, lang: str) -> Clause:
    words = Words(entry, view, lang)
    phrase = PHRASES.get(entry.action)
    if phrase is None:
        return words.said("trail_other_verb", words.say("trail_other_rest", action=entry.action))
    return phrase(words)


def _inverted(clause: Clause, lang: str) -> str:
    """After a time phrase or "en": Dutch verb first ("logde u in"); English subject first."""
    if lang == "nl":
        return _join(clause.verb, clause.subject, clause.behalf, clause.rest)
    return _join(clause.subject, clause.verb, clause.rest, clause.behalf)


def _normal(clause: Clause, lang: str) -> str:
    if lang == "nl":
        return _join(clause.subject, clause.verb, clause.behalf, clause.rest)
    return _join(clause.subject, clause.verb, clause.rest, clause.behalf)


def _continued(clause: Clause, first: Clause, lang: str) -> str:
    """A later act of a visit: the same subject is not repeated in English."""
    if clause.subject != first.subject or not clause.actor:
        return _normal(clause, lang)
    if lang == "nl":
        return _inverted(clause, lang)
    return _join(clause.verb, clause.rest, clause.behalf)


def describe(entry: TrailEntry, view: Viewpoint, lang: str = "nl") -> str:
    """One event as one sentence (and, for the person's own act, how and from where)."""
    clause = clause_of(entry, view, lang)
    text = f"{when(entry, lang)} {_inverted(clause, lang)}."
    origin = "" if entry.action == "login" else _origin_sentence(Words(entry, view, lang))
    return _join(text, origin)


def narrate(entries: Sequence[TrailEntry], view: Viewpoint, lang: str = "nl") -> list[str]:
    """Paragraphs, in the order things happened: one per visit (one actor, within half an hour)."""
    ordered = sorted(entries, key=lambda entry: (entry.occurred_at, entry.seq))
    paragraphs: list[str] = []
    group: list[TrailEntry] = []
    for entry in ordered:
        if group and not _same_visit(group[-1], entry):
            paragraphs.append(_paragraph(group, view, lang))
            group = []
        group.append(entry)
    if group:
        paragraphs.append(_paragraph(group, view, lang))
    return paragraphs


def _same_visit(previous: TrailEntry, entry: TrailEntry) -> bool:
    return (
        previous.actor.kind == entry.actor.kind
        and previous.actor.id == entry.actor.id
        and entry.occurred_at - previous.occurred_at <= VISIT_GAP
    )


def _paragraph(group: list[TrailEntry], view: Viewpoint, lang: str) -> str:
    """One visit as one sentence: "Op … logde u in, activeerde u … en vinkte u … aan."

    Once a clause said on whose behalf the actor acted, the next ones do not repeat it.
    """
    clauses = _merge_consents(group, view, lang)
    first = clauses[0]
    pieces = [f"{when(group[0], lang)} {_inverted(first, lang)}"]
    said_behalf = first.covers_behalf
    for clause in clauses[1:]:
        if said_behalf and clause.subject == first.subject:
            clause = replace(clause, behalf="")
        said_behalf = said_behalf or clause.covers_behalf
        pieces.append(_continued(clause, first, lang))
    pieces = _counted(pieces, lang)
    text = _listed(pieces, lang, oxford=lang == "en" and len(pieces) > 2) + "."
    return _join(text, _visit_origin(group, view, lang))


def _visit_origin(group: list[TrailEntry], view: Viewpoint, lang: str) -> str:
    """How and from where the person was logged in, unless the visit's own login says so."""
    if any(entry.action == "login" for entry in group):
        return ""
    with_origin = next((entry for entry in group if entry.ip or entry.means), None)
    if with_origin is None:
        return ""
    return _origin_sentence(Words(with_origin, view, lang))


def _merge_consents(group: list[TrailEntry], view: Viewpoint, lang: str) -> list[Clause]:
    """Ticks in one visit become one clause ("u vinkte RDW, UWV en SVB aan"), unticks too."""
    clauses: list[Clause] = []
    merged: dict[str, int] = {}
    for entry in group:
        if entry.action not in ("consent.ticked", "consent.unticked"):
            clauses.append(clause_of(entry, view, lang))
            continue
        if entry.action in merged:
            continue
        same = list(
            dict.fromkeys(Words(e, view, lang).afnemer for e in group if e.action == entry.action)
        )
        merged[entry.action] = len(clauses)
        words = Words(entry, view, lang)
        clauses.append(_ticks(words, _listed(same, lang), entry.action == "consent.ticked"))
    return clauses


def _counted(pieces: list[str], lang: str) -> list[str]:
    """The same act twice in a row is told once, with how often: "(2 keer)"."""
    counted: list[tuple[str, int]] = []
    for piece in pieces:
        if counted and counted[-1][0] == piece:
            counted[-1] = (piece, counted[-1][1] + 1)
        else:
            counted.append((piece, 1))
    return [piece if count == 1 else _times(piece, count, lang) for piece, count in counted]


def _times(piece: str, count: int, lang: str) -> str:
    times = gettext(lang, "trail_twice") if count == 2 else gettext(lang, "trail_times")
    return f"{piece} ({times % {'count': count}})"


def _listed(names: list[str], lang: str, *, oxford: bool = False) -> str:
    if len(names) == 1:
        return names[0]
    last = gettext(lang, "trail_list_oxford") if oxford else gettext(lang, "trail_list")
    return last % {"first": ", ".join(names[:-1]), "last": names[-1]}


__all__ = ["Clause", "Viewpoint", "Words", "clause_of", "describe", "narrate", "when"]
