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

All text from the trail has been encoded at recording (``machtigen.audit.text``): no line
breaks or control characters. A page must still HTML-escape it, as Jinja2 does.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from machtigen.audit.trail import TrailEntry, Who

LOCAL = ZoneInfo("Europe/Amsterdam")
VISIT_GAP = timedelta(minutes=30)
MONTHS = {
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
MEANS = {"digid": "DigiD", "eidas": "eIDAS", "eherkenning": "eHerkenning"}
EIDAS_LEVELS = {
    "low": ("laag", "low"),
    "substantial": ("substantieel", "substantial"),
    "high": ("hoog", "high"),
}
MEASURES = {
    "curatele": ("curatele", "guardianship (curatele)"),
    "beschermingsbewind": ("beschermingsbewind", "protective administration (beschermingsbewind)"),
    "mentorschap": ("mentorschap", "mentorship (mentorschap)"),
    "faillissement": ("faillissement", "bankruptcy (faillissement)"),
    "wsnp": ("schuldsanering (Wsnp)", "debt restructuring (Wsnp)"),
}
ACTING_ENDED = {
    "revoked_by_represented": (
        "{subject} had de machtiging ingetrokken",
        "{subject} had revoked the mandate",
    ),
    "revoked_by_representative": ("de machtiging was ingetrokken", "the mandate had been revoked"),
    "expired": ("de machtiging was verlopen", "the mandate had expired"),
    "superseded": (
        "de machtiging was vervallen door een maatregel van de rechter",
        "the mandate had lapsed because of a court measure",
    ),
    "measure_ended": (
        "de maatregel van de rechter was beëindigd",
        "the court measure had ended",
    ),
    "unassigned": (
        "de toewijzing binnen het kantoor was opgeheven",
        "the assignment within the office had ended",
    ),
}
DENIED = {
    "read": ("{behalf}een bericht te lezen", "to read a message{behalf}"),
    "manage_folders": ("{behalf}een bericht op te bergen", "to file a message{behalf}"),
    "receive_notifications": (
        "{behalf}e-mail over een bericht te krijgen",
        "to get e-mail about a message{behalf}",
    ),
    "read_audit": ("dit overzicht te bekijken", "to view this overview"),
    "act_for": ("{for_subject} te handelen", "to act {for_subject}"),
    "change": ("{behalf}een keuze voor digitale post te wijzigen", "to change a choice{behalf}"),
    "manage_settings": ("{behalf}instellingen te wijzigen", "to change settings{behalf}"),
    "activate": ("{behalf}de berichtenbox aan te zetten", "to switch the mailbox on{behalf}"),
    "deactivate": ("{behalf}de berichtenbox uit te zetten", "to switch the mailbox off{behalf}"),
    "manage": ("{behalf}een map te beheren", "to manage a folder{behalf}"),
    "create": ("een machtiging vast te leggen", "to record a mandate"),
    "accept": ("een machtiging te aanvaarden", "to accept a mandate"),
    "decline": ("een machtiging af te wijzen", "to decline a mandate"),
    "revoke": ("een machtiging in te trekken", "to revoke a mandate"),
    "read_personal_data": (
        "{behalf}persoonlijke gegevens in te zien",
        "to see personal details{behalf}",
    ),
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

    def t(self, nl: str, en: str) -> str:
        return nl if self.lang == "nl" else en

    @property
    def actor(self) -> str:
        """Who did it: "u" for the reader, else a name or what kind of party it was."""
        actor = self.entry.actor
        if self.actor_is_reader:
            return self.t("u", "you")
        if self.actor_is_subject:
            return actor.name or self.view.subject
        if actor.kind == "system":
            return self.t("de Berichtenbox", "the Berichtenbox")
        if actor.kind == "register":
            return self.t(
                "de rechtspraak (curatele- en bewindregister)",
                "the courts (register of guardianship and administration)",
            )
        if actor.kind == "operator":
            return self.t("een beheerder van de Berichtenbox", "an operator of the Berichtenbox")
        if actor.kind == "anonymous":
            return self.t("iemand die niet was ingelogd", "someone who was not logged in")
        name = actor.name or self.t("iemand", "someone")
        return f"{name} ({actor.office})" if actor.office else name

    @property
    def subject(self) -> str:
        """The person as the object of a sentence: "u" when they read it, else their name."""
        return self.t("u", "you") if self.view.reader_is_subject else self.view.subject

    def own(self, nl_noun: str, en_noun: str, article: str = "de") -> str:
        """The person's thing: "uw berichtenbox", "de eigen berichtenbox" (done by the person,
        read by someone else), or "de berichtenbox van Sanne Peters"."""
        if self.view.reader_is_subject:
            return self.t(f"uw {nl_noun}", f"your {en_noun}")
        if self.actor_is_subject:
            return self.t(f"{article} eigen {nl_noun}", f"their own {en_noun}")
        return self.t(
            f"{article} {nl_noun} van {self.view.subject}", f"the {en_noun} of {self.view.subject}"
        )

    @property
    def box(self) -> str:
        return self.own("berichtenbox", "mailbox")

    @property
    def address(self) -> str:
        return self.own("e-mailadres", "e-mail address", "het")

    @property
    def account(self) -> str:
        return self.own("account", "account", "het")

    @property
    def acting_late(self) -> str:
        """ ", acting on your behalf" at the end of a long English clause."""
        return f", acting {self.behalf}" if self.behalf else ""

    @property
    def for_subject(self) -> str:
        """ "namens u" / "namens Sanne Peters", whoever acted."""
        if self.view.reader_is_subject:
            return self.t("namens u", "on your behalf")
        return self.t(f"namens {self.view.subject}", f"on behalf of {self.view.subject}")

    @property
    def behalf(self) -> str:
        """ "namens u" when someone else acted on the person's account; empty otherwise."""
        if self.actor_is_subject or self.entry.actor.kind not in ("person", "staff"):
            return ""
        return self.for_subject

    def did(self, verb_nl: str, rest_nl: str, verb_en: str, rest_en: str) -> Clause:
        """The actor did something on the account (a representative: on the person's behalf)."""
        return Clause(
            self.actor, self.t(verb_nl, verb_en), self.t(rest_nl, rest_en), behalf=self.behalf
        )

    def said(self, verb_nl: str, rest_nl: str, verb_en: str, rest_en: str) -> Clause:
        """The actor did something that names the person itself (no "namens u" needed)."""
        return Clause(self.actor, self.t(verb_nl, verb_en), self.t(rest_nl, rest_en))

    def happened(
        self, subject: tuple[str, str], verb: tuple[str, str], rest: tuple[str, str]
    ) -> Clause:
        """Something happened to the account that nobody in particular did."""
        return Clause(self.t(*subject), self.t(*verb), self.t(*rest), actor=False)

    @property
    def afnemer(self) -> str:
        return self.entry.names.get("afnemer") or self.t("een organisatie", "an organisation")

    @property
    def representative(self) -> str:
        return self.entry.names.get("representative") or self.t("iemand", "someone")

    @property
    def message(self) -> str:
        service = self.entry.names.get("service")
        about = f" ({service})" if service else ""
        return self.t(
            f"een bericht van {self.afnemer}{about}", f"a message from {self.afnemer}{about}"
        )

    @property
    def measure(self) -> str:
        kind = str(self.entry.detail.get("kind") or self.entry.names.get("measure_kind") or "")
        nl, en = MEASURES.get(kind, (kind, kind))
        return self.t(nl or "een maatregel", en or "a court measure")

    def on(self) -> bool:
        return bool(self.entry.detail.get("on"))


Phrase = Callable[[Words], Clause]


def _login(w: Words) -> Clause:
    return w.said("logde", f"in {_origin(w)}", "logged", f"in {_origin(w)}")


def _level(w: Words) -> str:
    loa = w.entry.loa or ""
    label = loa.rsplit("/", 1)[-1] if loa.startswith("http") else loa
    if w.entry.means == "eidas" and label in EIDAS_LEVELS:
        label = w.t(*EIDAS_LEVELS[label])
    return label


def _origin(w: Words, separator: str = " ") -> str:
    """ "met DigiD (niveau midden) vanaf adres 192.0.2.10": how and from where."""
    means = MEANS.get(w.entry.means or "", w.entry.means or "?")
    level = _level(w)
    text = f"{w.t('met', 'with')} {means}"
    if level:
        text += f" ({w.t('niveau', 'level')} {level})"
    if w.entry.ip:
        text += f"{separator}{w.t('vanaf adres', 'from address')} {w.entry.ip}"
    return text


def _origin_sentence(w: Words) -> str:
    """ "U was ingelogd met DigiD (niveau midden), vanaf adres …" for the person's own acts."""
    if not (w.actor_is_subject and w.entry.means):
        return ""
    subject = w.actor[:1].upper() + w.actor[1:]
    verb = w.t("was", "were" if w.actor_is_reader else "was")
    return f"{subject} {verb} {w.t('ingelogd', 'logged in')} {_origin(w, ', ')}."


def _acting_for(w: Words) -> Clause:
    if w.entry.detail.get("acting_for"):
        started = w.said(
            "begon", f"{w.for_subject} te handelen", "started", f"acting {w.for_subject}"
        )
        return replace(started, says_behalf=True)
    ended = ACTING_ENDED.get(str(w.entry.detail.get("ended") or ""))
    why = ": " + w.t(*ended).format(subject=w.subject) if ended else ""
    return w.said(
        "stopte", f"met handelen {w.for_subject}{why}", "stopped", f"acting {w.for_subject}{why}"
    )


def _delivered(w: Words) -> Clause:
    channel = w.entry.detail.get("channel")
    box = w.box
    if channel == "paper":
        return w.said(
            "stuurde",
            f"{w.subject} een bericht op papier",
            "sent",
            f"{w.subject} a message on paper",
        )
    if channel == "both":
        return w.said(
            "bezorgde", f"een bericht in {box} en stuurde het ook op papier",
            "delivered", f"a message into {box} and also sent it on paper",
        )  # fmt: skip
    return w.said("bezorgde", f"een bericht in {box}", "delivered", f"a message into {box}")


def _mandate_accepted(w: Words) -> Clause:
    if w.actor_is_subject:
        return w.said(
            "keurde", f"het verzoek van {w.representative} om een machtiging goed",
            "approved", f"the request for a mandate from {w.representative}",
        )  # fmt: skip
    return w.said(
        "aanvaardde", f"de machtiging die {w.subject} gaf",
        "accepted", f"the mandate {w.subject} gave",
    )  # fmt: skip


def _mandate_declined(w: Words) -> Clause:
    if w.actor_is_subject:
        return w.said(
            "wees", f"het verzoek van {w.representative} om een machtiging af",
            "declined", f"the request for a mandate from {w.representative}",
        )  # fmt: skip
    return w.said(
        "wees", f"de machtiging die {w.subject} gaf af",
        "declined", f"the mandate {w.subject} gave",
    )  # fmt: skip


def _mandate_revoked(w: Words) -> Clause:
    if w.actor_is_subject:
        return w.said(
            "trok", f"de machtiging van {w.representative} in",
            "revoked", f"the mandate of {w.representative}",
        )  # fmt: skip
    return w.said(
        "beëindigde", f"de machtiging die {w.subject} gaf",
        "ended", f"the mandate {w.subject} gave",
    )  # fmt: skip


def _checked(w: Words) -> Clause:
    service = w.entry.names.get("service") or str(w.entry.detail.get("service") or "")
    at = w.t(f" bij {service}", f" for {service}") if service else ""
    answer = (
        w.t("het antwoord was ja", "the answer was yes")
        if w.entry.detail.get("allowed")
        else w.t("het antwoord was nee", "the answer was no")
    )
    behalf = w.for_subject
    return w.said(
        "vroeg", f"of iemand {behalf} mag handelen{at}; {answer}",
        "asked", f"whether someone may act {behalf}{at}; {answer}",
    )  # fmt: skip


def _denied(w: Words) -> Clause:
    asked = str(w.entry.detail.get("asked") or "?")
    nl, en = DENIED.get(asked, (f"iets te doen ({asked})", f"to do something ({asked})"))
    behalf = w.behalf
    text = w.t(nl, en).format(
        for_subject=w.for_subject,
        behalf=w.t(f"{behalf} " if behalf else "", f" {behalf}" if behalf else ""),
    )
    return w.said("probeerde", f"{text}, maar dat mocht niet", "tried", f"{text} and was refused")


def _ticks(w: Words, names: str, on: bool) -> Clause:
    return w.did(
        "vinkte", f"{names} {'aan' if on else 'uit'}", "ticked" if on else "unticked", names
    )


def _staff(w: Words) -> str:
    return str(w.entry.detail.get("staff_name") or w.t("een medewerker", "an employee"))


def _needed(w: Words) -> str:
    needed = w.entry.detail.get("needed")
    return f" ({needed})" if needed else ""


def _simple(verb_nl: str, rest_nl: str, verb_en: str, rest_en: str) -> Phrase:
    return lambda w: w.did(verb_nl, rest_nl, verb_en, rest_en)


PHRASES: dict[str, Phrase] = {
    "login": _login,
    "logout": lambda w: w.said("logde", "uit", "logged", "out"),
    "login.step_up_required": lambda w: w.said(
        "moest",
        f"opnieuw inloggen op een hoger niveau{_needed(w)}",
        "had",
        f"to log in again at a higher level{_needed(w)}",
    ),
    "session.acting_for": _acting_for,
    "token.issued": lambda w: w.said(
        "kreeg",
        f"toegang voor een app om {w.for_subject} te handelen",
        "got",
        f"access for an app to act {w.for_subject}",
    ),
    "eidas.registered": lambda w: w.happened(
        ("een Europees inlogmiddel (eIDAS)", "a European eID (eIDAS)"),
        ("werd", "was"),
        (
            f"aangemeld dat mogelijk bij {w.subject} hoort",
            f"registered that may belong to {w.subject}",
        ),
    ),
    "eidas.linked": lambda w: w.said(
        "koppelde",
        f"een Europees inlogmiddel (eIDAS) aan {w.account}",
        "linked",
        f"a European eID (eIDAS) to {w.account}",
    ),
    "account.casco_created": lambda w: w.happened(
        (w.account, w.account),
        ("werd", "was"),
        ("aangemaakt (nog niet geactiveerd)", "created (not activated)"),
    ),
    "account.activated": lambda w: w.said(
        "activeerde",
        w.box,
        "activated",
        w.box,
    ),
    "account.deactivated": lambda w: w.said(
        "zette",
        f"{w.box} uit: alle post komt weer op papier",
        "switched off",
        f"{w.box}: all post goes on paper again",
    ),
    "account.paper_switch": lambda w: w.did(
        "zette",
        "'alles op papier' " + ("aan" if w.on() else "uit"),
        "switched",
        ("on" if w.on() else "off") + " 'everything on paper'",
    ),
    "account.email_changed": lambda w: (
        w.said(
            "wijzigde",
            w.address,
            "changed",
            w.address,
        )
        if w.entry.detail.get("has_email")
        else w.said(
            "verwijderde",
            w.address,
            "removed",
            w.address,
        )
    ),
    "account.email_confirmed": lambda w: w.said(
        "bevestigde",
        f"dat {w.address} nog klopt",
        "confirmed",
        f"that {w.address} is still right",
    ),
    "account.reminders_changed": lambda w: w.did(
        "zette",
        "de herinneringen " + ("aan" if w.on() else "uit"),
        "switched",
        "the reminders " + ("on" if w.on() else "off"),
    ),
    "account.afnemers_reviewed": _simple(
        "bekeek", "de lijst met organisaties", "reviewed", "the list of organisations"
    ),
    "folder.created": _simple("maakte", "een map aan", "created", "a folder"),
    "consent.ticked": lambda w: _ticks(w, w.afnemer, True),
    "consent.unticked": lambda w: _ticks(w, w.afnemer, False),
    "consent.read_state_shared": lambda w: Clause(
        w.actor,
        w.t("gaf", "let"),
        w.t(
            f"{w.afnemer} toestemming om te zien of de berichten van {w.afnemer} gelezen worden",
            f"{w.afnemer} see whether its messages are read{w.acting_late}",
        ),
        behalf=w.t(w.behalf, ""),
    ),
    "consent.read_state_withheld": lambda w: Clause(
        w.actor,
        w.t("trok", "withdrew"),
        w.t(
            f"de toestemming van {w.afnemer} in om te zien of de berichten van {w.afnemer}"
            " gelezen worden",
            f"the permission of {w.afnemer} to see whether its messages are read{w.acting_late}",
        ),
        behalf=w.t(w.behalf, ""),
    ),
    "consent.untick_effective": lambda w: w.happened(
        (f"het uitvinken van {w.afnemer}", f"unticking {w.afnemer}"),
        ("ging", "took"),
        ("in: die post komt voortaan op papier", "effect: its post now goes on paper"),
    ),
    "message.delivered": _delivered,
    "message.opened": lambda w: w.did("opende", w.message, "opened", w.message),
    "message.filed": lambda w: w.did(
        "legde", w.message + " in een map", "filed", w.message + " in a folder"
    ),
    "message.archived": lambda w: w.did("archiveerde", w.message, "archived", w.message),
    "message.unarchived": lambda w: w.did(
        "haalde", w.message + " uit het archief", "took", w.message + " out of the archive"
    ),
    "message.reminder": lambda w: w.happened(
        ("er", "a reminder"),
        ("ging", "went"),
        (
            f"een herinnering uit over een ongelezen bericht aan {w.subject}",
            f"out about an unread message to {w.subject}",
        ),
    ),
    "message.not_reached": lambda w: w.happened(
        (w.afnemer, w.afnemer),
        ("kreeg", "was"),
        (
            f"te horen dat {w.subject} niet bereikt was",
            f"told that {w.subject} had not been reached",
        ),
    ),
    "message.read_state_disclosed": lambda w: w.said(
        "zag",
        f"of {w.subject} een bericht had gelezen",
        "saw",
        f"whether {w.subject} had read a message",
    ),
    "letter.created": lambda w: w.happened(
        ("een brief op papier", "a paper letter"),
        ("werd", "was"),
        (
            f"voor {w.subject} klaargezet over ongelezen post",
            f"prepared for {w.subject} about unread post",
        ),
    ),
    "letter.written": lambda w: w.happened(
        (
            f"een brief aan {w.subject} over ongelezen post",
            f"a letter to {w.subject} about unread post",
        ),
        ("werd", "was"),
        ("gedrukt en verstuurd", "printed and sent"),
    ),
    "mandate.granted": lambda w: w.said(
        "machtigde", w.representative, "gave", f"{w.representative} a mandate"
    ),
    "mandate.requested": lambda w: w.said(
        "vroeg", f"{w.subject} om een machtiging", "asked", f"{w.subject} for a mandate"
    ),
    "mandate.accepted": _mandate_accepted,
    "mandate.declined": _mandate_declined,
    "mandate.revoked": _mandate_revoked,
    "mandate.expired": lambda w: w.happened(
        (f"de machtiging van {w.representative}", f"the mandate of {w.representative}"),
        ("verliep", "expired"),
        ("", ""),
    ),
    "mandate.lapsed": lambda w: w.happened(
        (
            f"(een deel van) de machtiging van {w.representative}",
            f"(part of) the mandate of {w.representative}",
        ),
        ("verviel", "lapsed"),
        ("door een maatregel van de rechter", "because of a court measure"),
    ),
    "measure.started": lambda w: w.said(
        "registreerde",
        f"{w.measure} voor {w.subject}, met {w.representative} als vertegenwoordiger",
        "registered",
        f"{w.measure} for {w.subject}, with {w.representative} as representative",
    ),
    "measure.changed": lambda w: w.said(
        "wijzigde",
        f"de maatregel {w.measure} voor {w.subject}",
        "changed",
        f"the court measure {w.measure} for {w.subject}",
    ),
    "measure.ended": lambda w: w.said(
        "beëindigde",
        f"de maatregel {w.measure} voor {w.subject}",
        "ended",
        f"the court measure {w.measure} for {w.subject}",
    ),
    "mandate.checked": _checked,
    "representatives.listed": lambda w: w.said(
        "vroeg",
        f"wie {w.for_subject} mogen handelen",
        "asked",
        f"who may act {w.for_subject}",
    ),
    "authz.denied": _denied,
    "audit.exported": lambda w: w.said(
        "downloadde", "dit overzicht", "downloaded", "this overview"
    ),
    "audit.viewed": lambda w: w.said("bekeek", "dit overzicht", "viewed", "this overview"),
    "office.client_assigned": lambda w: w.said(
        "wees",
        f"{w.subject} toe aan {_staff(w)}",
        "assigned",
        f"{w.subject} to {_staff(w)}",
    ),
    "office.client_unassigned": lambda w: w.said(
        "wees",
        f"{w.subject} niet langer toe aan {_staff(w)}",
        "unassigned",
        f"{w.subject} from {_staff(w)}",
    ),
}


def when(entry: TrailEntry, lang: str) -> str:
    local = entry.occurred_at.astimezone(LOCAL)
    month = MONTHS[lang][local.month - 1]
    if lang == "nl":
        return f"Op {local.day} {month} {local.year} om {local:%H:%M}"
    return f"On {local.day} {month} {local.year} at {local:%H:%M},"


def clause_of(entry: TrailEntry, view: Viewpoint, lang: str) -> Clause:
    words = Words(entry, view, lang)
    phrase = PHRASES.get(entry.action)
    if phrase is None:
        return words.said("deed", f"iets ({entry.action})", "did", f"something ({entry.action})")
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
    times = {2: ("2 keer", "twice")}
    return [
        piece
        if count == 1
        else f"{piece} ({times.get(count, (f'{count} keer', f'{count} times'))[lang != 'nl']})"
        for piece, count in counted
    ]


def _listed(names: list[str], lang: str, *, oxford: bool = False) -> str:
    if len(names) == 1:
        return names[0]
    last = (", and " if oxford else " and ") if lang == "en" else " en "
    return ", ".join(names[:-1]) + last + names[-1]


__all__ = ["Clause", "Viewpoint", "Words", "clause_of", "describe", "narrate", "when"]
