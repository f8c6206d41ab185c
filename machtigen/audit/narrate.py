"""The trail in plain Dutch and English, as a person would tell it.

"Op 15 november 2015 om 10:04 logde u in met DigiD (midden) vanaf adres 192.0.2.10 en
activeerde u uw berichtenbox; u vinkte RDW en UWV aan." Acts of one actor close together
(a visit) make one paragraph; ticks and unticks in it are listed together. A
representative's acts carry their name (and office); the address is only ever the person's
own. ``describe`` gives one sentence per event, for tables and the CSV export.

All text from the trail has been encoded at recording (``machtigen.audit.text``): no line
breaks or control characters. A page must still HTML-escape it, as Jinja2 does.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Clause:
    """A verb and the rest, so that Dutch can put the subject after the verb or before it."""

    verb: str
    rest: str = ""
    has_subject: bool = True
    """False for passive statements ("uw account werd aangemaakt"): no actor named."""


Phrase = Callable[[TrailEntry, str], Clause]


def _t(lang: str, nl: str, en: str) -> str:
    return nl if lang == "nl" else en


def _loa(entry: TrailEntry) -> str:
    loa = entry.loa or ""
    return loa.rsplit("/", 1)[-1] if loa.startswith("http") else loa


def _login(entry: TrailEntry, lang: str) -> Clause:
    means = MEANS.get(entry.means or "", entry.means or "?")
    level = f" ({_loa(entry)})" if entry.loa else ""
    where = f" {_t(lang, 'vanaf adres', 'from address')} {entry.ip}" if entry.ip else ""
    return Clause(
        _t(lang, "logde", "logged"), f"in {_t(lang, 'met', 'with')} {means}{level}{where}"
    )


def _afnemer(entry: TrailEntry, lang: str) -> str:
    return entry.names.get("afnemer") or _t(lang, "een organisatie", "an organisation")


def _representative(entry: TrailEntry, lang: str) -> str:
    return entry.names.get("representative") or _t(lang, "iemand", "someone")


def _message(entry: TrailEntry, lang: str) -> str:
    service = entry.names.get("service")
    about = f" ({service})" if service else ""
    return f"{_t(lang, 'een bericht van', 'a message from')} {_afnemer(entry, lang)}{about}"


def _on(entry: TrailEntry) -> bool:
    return bool(entry.detail.get("on"))


def _simple(nl: tuple[str, str], en: tuple[str, str]) -> Phrase:
    return lambda entry, lang: Clause(*(nl if lang == "nl" else en))


def _passive(nl: str, en: str) -> Phrase:
    return lambda entry, lang: Clause(_t(lang, nl, en), has_subject=False)


PHRASES: dict[str, Phrase] = {
    "login": _login,
    "logout": _simple(("logde", "uit"), ("logged", "out")),
    "login.step_up_required": _simple(
        ("moest", "opnieuw inloggen op een hoger niveau"),
        ("had", "to log in again at a higher level"),
    ),
    "session.acting_for": lambda e, lang: Clause(
        _t(lang, "koos", "chose"), _t(lang, "om namens u te handelen", "to act for you")
    ),
    "token.issued": _simple(
        ("kreeg", "toegang namens u voor een app"), ("got", "access for an app on your behalf")
    ),
    "eidas.registered": _passive(
        "meldde zich een Europees inlogmiddel (eIDAS) aan dat bij u zou horen",
        "a European eID (eIDAS) that may be yours was registered",
    ),
    "eidas.linked": _passive(
        "werd uw Europese inlogmiddel (eIDAS) aan uw account gekoppeld",
        "your European eID (eIDAS) was linked to your account",
    ),
    "account.casco_created": _passive(
        "werd uw account aangemaakt (nog niet geactiveerd)",
        "your account was created (not activated)",
    ),
    "account.activated": _simple(("activeerde", "uw berichtenbox"), ("activated", "your mailbox")),
    "account.deactivated": _simple(
        ("zette", "uw berichtenbox uit: alle post komt weer op papier"),
        ("turned off", "your mailbox: all post goes on paper again"),
    ),
    "account.paper_switch": lambda e, lang: Clause(
        _t(lang, "zette", "turned"),
        _t(lang, "'alles op papier' aan", "'everything on paper' on")
        if _on(e)
        else _t(lang, "'alles op papier' uit", "'everything on paper' off"),
    ),
    "account.email_changed": lambda e, lang: Clause(
        _t(lang, "wijzigde", "changed")
        if e.detail.get("has_email")
        else _t(lang, "verwijderde", "removed"),
        _t(lang, "uw e-mailadres", "your e-mail address"),
    ),
    "account.email_confirmed": _simple(
        ("bevestigde", "dat uw e-mailadres nog klopt"),
        ("confirmed", "that your e-mail address is still right"),
    ),
    "account.reminders_changed": lambda e, lang: Clause(
        _t(lang, "zette", "turned"),
        _t(lang, "herinneringen ", "reminders ")
        + (_t(lang, "aan", "on") if _on(e) else _t(lang, "uit", "off")),
    ),
    "account.afnemers_reviewed": _simple(
        ("bekeek", "de lijst met organisaties"), ("reviewed", "the list of organisations")
    ),
    "folder.created": _simple(("maakte", "een map aan"), ("created", "a folder")),
    "consent.read_state_shared": lambda e, lang: Clause(
        _t(lang, "gaf", "let"),
        _t(
            lang,
            f"{_afnemer(e, lang)} toestemming om te zien of u berichten leest",
            f"{_afnemer(e, lang)} see whether you read its messages",
        ),
    ),
    "consent.read_state_withheld": lambda e, lang: Clause(
        _t(lang, "trok", "withdrew"),
        _t(
            lang,
            f"de toestemming van {_afnemer(e, lang)} om leesstatus te zien in",
            f"{_afnemer(e, lang)}'s permission to see whether you read its messages",
        ),
    ),
    "consent.untick_effective": lambda e, lang: Clause(
        _t(lang, "ging", "took"),
        _t(
            lang,
            f"het uitvinken van {_afnemer(e, lang)} in: die post komt op papier",
            f"effect: unticking {_afnemer(e, lang)}; its post goes on paper",
        ),
        has_subject=False,
    ),
    "message.delivered": lambda e, lang: Clause(
        _t(lang, "bezorgde", "delivered"),
        _t(lang, "een bericht", "a message")
        + (_t(lang, " (op papier)", " (on paper)") if e.detail.get("channel") == "paper" else ""),
    ),
    "message.opened": lambda e, lang: Clause(_t(lang, "opende", "opened"), _message(e, lang)),
    "message.filed": lambda e, lang: Clause(
        _t(lang, "legde", "filed"), _message(e, lang) + _t(lang, " in een map", " in a folder")
    ),
    "message.archived": lambda e, lang: Clause(
        _t(lang, "archiveerde", "archived"), _message(e, lang)
    ),
    "message.unarchived": lambda e, lang: Clause(
        _t(lang, "haalde", "took"),
        _message(e, lang) + _t(lang, " uit het archief", " out of the archive"),
    ),
    "message.reminder": _passive(
        "ging er een herinnering uit voor een ongelezen bericht",
        "a reminder went out for an unread message",
    ),
    "message.not_reached": _passive(
        "kreeg de afzender te horen dat u niet bereikt was",
        "the sender was told that you had not been reached",
    ),
    "letter.created": _passive(
        "werd een brief op papier voor u klaargezet over ongelezen post",
        "a paper letter about unread post was prepared for you",
    ),
    "letter.written": _passive(
        "werd die brief gedrukt en verstuurd", "that letter was printed and sent"
    ),
    "message.read_state_disclosed": lambda e, lang: Clause(
        _t(lang, "zag", "saw"),
        _t(lang, "of u een bericht had gelezen", "whether you had read a message"),
    ),
    "mandate.granted": lambda e, lang: Clause(
        _t(lang, "machtigde", "authorised"), _representative(e, lang)
    ),
    "mandate.requested": lambda e, lang: Clause(
        _t(lang, "vroeg", "asked"),
        _t(lang, "u om een machtiging", "you for a mandate"),
    ),
    "mandate.accepted": lambda e, lang: Clause(
        _t(lang, "aanvaardde", "accepted"),
        _t(lang, "de machtiging van ", "the mandate of ") + _representative(e, lang),
    ),
    "mandate.declined": lambda e, lang: Clause(
        _t(lang, "weigerde", "declined"),
        _t(lang, "de machtiging van ", "the mandate of ") + _representative(e, lang),
    ),
    "mandate.revoked": lambda e, lang: Clause(
        _t(lang, "trok", "revoked"),
        _t(
            lang,
            f"de machtiging van {_representative(e, lang)} in",
            f"the mandate of {_representative(e, lang)}",
        ),
    ),
    "mandate.expired": lambda e, lang: Clause(
        _t(lang, "verliep", f"the mandate of {_representative(e, lang)}"),
        _t(lang, f"de machtiging van {_representative(e, lang)}", "expired"),
        has_subject=False,
    ),
    "mandate.lapsed": lambda e, lang: Clause(
        _t(lang, "verviel", f"(part of) the mandate of {_representative(e, lang)}"),
        _t(
            lang,
            f"(een deel van) de machtiging van {_representative(e, lang)} door een maatregel"
            " van de rechter",
            "lapsed by a court measure",
        ),
        has_subject=False,
    ),
    "measure.started": lambda e, lang: Clause(
        _t(lang, "registreerde", "registered"),
        _t(
            lang,
            f"{e.detail.get('kind', '')} met als vertegenwoordiger {_representative(e, lang)}",
            f"{e.detail.get('kind', '')} with {_representative(e, lang)} as representative",
        ),
    ),
    "measure.changed": lambda e, lang: Clause(
        _t(lang, "wijzigde", "changed"),
        f"{e.detail.get('kind', '')} " + _t(lang, "(maatregel)", "(court measure)"),
    ),
    "measure.ended": lambda e, lang: Clause(
        _t(lang, "beëindigde", "ended"),
        _t(lang, "een maatregel van de rechter", "a court measure"),
    ),
    "mandate.checked": lambda e, lang: Clause(
        _t(lang, "controleerde", "checked"),
        _t(lang, "of iemand namens u mag handelen", "whether someone may act for you")
        + (_t(lang, " (ja)", " (yes)") if e.detail.get("allowed") else _t(lang, " (nee)", " (no)")),
    ),
    "representatives.listed": _simple(
        ("vroeg", "op wie u vertegenwoordigen"), ("asked", "who represents you")
    ),
    "authz.denied": lambda e, lang: Clause(
        _t(lang, "probeerde", "tried"),
        _t(
            lang,
            f"iets te doen ({e.detail.get('asked', '?')}), maar dat mocht niet",
            f"to do something ({e.detail.get('asked', '?')}) and was refused",
        ),
    ),
    "audit.exported": _simple(("downloadde", "dit overzicht"), ("downloaded", "this overview")),
    "audit.viewed": _simple(("bekeek", "dit overzicht"), ("viewed", "this overview")),
}


def who_phrase(entry: TrailEntry, lang: str) -> str:
    actor = entry.actor
    if actor.who == Who.SELF:
        return _t(lang, "u", "you")
    if actor.kind == "system":
        return "MijnOverheid"
    if actor.kind == "register":
        return _t(lang, "de rechtspraak (curatele- en bewindregister)", "the courts' register")
    if actor.kind == "operator":
        return _t(lang, "een beheerder", "an operator")
    name = actor.name or _t(lang, "iemand", "someone")
    if actor.office:
        name = f"{name} ({actor.office})"
    return name


def when(entry: TrailEntry, lang: str) -> str:
    local = entry.occurred_at.astimezone(LOCAL)
    month = MONTHS[lang][local.month - 1]
    return _t(
        lang,
        f"Op {local.day} {month} {local.year} om {local:%H:%M}",
        f"On {local.day} {month} {local.year} at {local:%H:%M},",
    )


def clause_of(entry: TrailEntry, lang: str) -> Clause:
    phrase = PHRASES.get(entry.action)
    if phrase is None:
        return Clause(_t(lang, "deed", "did"), entry.action)
    return phrase(entry, lang)


def _inverted(clause: Clause, who: str, lang: str) -> str:
    """Dutch after a time phrase or "en": verb first ("logde u in"); English subject first."""
    if not clause.has_subject:
        return f"{clause.verb} {clause.rest}".strip()
    if lang == "nl":
        return f"{clause.verb} {who} {clause.rest}".strip()
    return f"{who} {clause.verb} {clause.rest}".strip()


def _normal(clause: Clause, who: str) -> str:
    if not clause.has_subject:
        return f"{clause.verb} {clause.rest}".strip()
    return f"{who} {clause.verb} {clause.rest}".strip()


def describe(entry: TrailEntry, lang: str = "nl") -> str:
    """One event as one sentence."""
    text = (
        f"{when(entry, lang)} {_inverted(clause_of(entry, lang), who_phrase(entry, lang), lang)}."
    )
    return text


def narrate(entries: Sequence[TrailEntry], lang: str = "nl") -> list[str]:
    """Paragraphs, oldest first: one per visit (same actor, acts within half an hour)."""
    ordered = sorted(entries, key=lambda entry: entry.seq)
    paragraphs: list[str] = []
    group: list[TrailEntry] = []
    for entry in ordered:
        if group and not _same_visit(group[-1], entry):
            paragraphs.append(_paragraph(group, lang))
            group = []
        group.append(entry)
    if group:
        paragraphs.append(_paragraph(group, lang))
    return paragraphs


def _same_visit(previous: TrailEntry, entry: TrailEntry) -> bool:
    return (
        previous.actor.kind == entry.actor.kind
        and previous.actor.id == entry.actor.id
        and entry.occurred_at - previous.occurred_at <= VISIT_GAP
    )


def _paragraph(group: list[TrailEntry], lang: str) -> str:
    who = who_phrase(group[0], lang)
    clauses = _merge_consents(group, lang)
    parts = [f"{when(group[0], lang)} {_inverted(clauses[0], who, lang)}"]
    if len(clauses) > 1:
        continuing = clauses[1]
        text = (
            _inverted(continuing, who, lang)
            if lang == "nl"
            else _normal(continuing, who).removeprefix(f"{who} ")
        )
        parts.append(f" {_t(lang, 'en', 'and')} {text}")
    for clause in clauses[2:]:
        parts.append(f"; {_normal(clause, who)}")
    return "".join(parts) + "."


def _merge_consents(group: list[TrailEntry], lang: str) -> list[Clause]:
    """Ticks in one visit become one clause ("u vinkte RDW, UWV en SVB aan"), unticks too."""
    clauses: list[Clause] = []
    ticked = [_afnemer(e, lang) for e in group if e.action == "consent.ticked"]
    unticked = [_afnemer(e, lang) for e in group if e.action == "consent.unticked"]
    done_ticks = done_unticks = False
    for entry in group:
        if entry.action == "consent.ticked":
            if not done_ticks:
                clauses.append(
                    Clause(
                        _t(lang, "vinkte", "ticked"), _listed(ticked, lang) + _t(lang, " aan", "")
                    )
                )
                done_ticks = True
        elif entry.action == "consent.unticked":
            if not done_unticks:
                clauses.append(
                    Clause(
                        _t(lang, "vinkte", "unticked"),
                        _listed(unticked, lang) + _t(lang, " uit", ""),
                    )
                )
                done_unticks = True
        else:
            clauses.append(clause_of(entry, lang))
    return clauses


def _listed(names: list[str], lang: str) -> str:
    names = list(dict.fromkeys(names))
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + _t(lang, " en ", " and ") + names[-1]


# Single events of ticks and unticks (outside a visit) read the same way.
PHRASES["consent.ticked"] = lambda e, lang: Clause(
    _t(lang, "vinkte", "ticked"), _afnemer(e, lang) + _t(lang, " aan", "")
)
PHRASES["consent.unticked"] = lambda e, lang: Clause(
    _t(lang, "vinkte", "unticked"), _afnemer(e, lang) + _t(lang, " uit", "")
)
