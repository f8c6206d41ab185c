"""Every sentence of the trail, in Dutch and English, as three readers read it.

The person themself ("u", "uw berichtenbox"), a curator reading for them (Monique Peters for
her daughter Sanne: Sanne by name, Monique's own acts as "u"), and an export (everyone by
name). Each case is one kind of event with a typical actor; the expected sentences are
written out in full, so a wrong actor, a wrong "u" or a wrong possessive fails here.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from machtigen.audit.narrate import PHRASES, Viewpoint, describe, narrate
from machtigen.audit.trail import KIND_OF_ACTION, Kind, TrailActor, TrailEntry, Who

SANNE = "11111111-1111-1111-1111-111111111111"
MONIQUE = "22222222-2222-2222-2222-222222222222"
ACTORS = {
    "sanne": TrailActor("person", SANNE, "Sanne Peters", Who.SELF),
    "monique": TrailActor("person", MONIQUE, "Monique Peters", Who.PERSON),
    "lisa": TrailActor(
        "person", "33333333-3333-3333-3333-333333333333", "Lisa Hendriks", Who.PERSON
    ),
    "piet": TrailActor(
        "staff",
        "44444444-4444-4444-4444-444444444444",
        "Piet van Dijk",
        Who.PERSON,
        "Bewindvoering Van Dijk",
    ),
    "rdw": TrailActor("afnemer", "55555555-5555-5555-5555-555555555555", "RDW", Who.ORGANISATION),
    "system": TrailActor("system", "jobs", "jobs", Who.SERVICE),
    "register": TrailActor("register", "ccbr", "ccbr", Who.SERVICE),
    "operator": TrailActor("operator", "op-anna", "op-anna", Who.SERVICE),
    "anonymous": TrailActor("anonymous", "sub-1", "", Who.ANONYMOUS),
}
VIEWS = {
    "person": Viewpoint.own("Sanne Peters", SANNE),
    "curator": Viewpoint.reading_for("Sanne Peters", "person", MONIQUE),
    "export": Viewpoint.export("Sanne Peters"),
}
MOMENT = datetime(2026, 3, 14, 10, 5, tzinfo=UTC)


def entry(
    action: str,
    actor: str,
    detail: dict[str, Any] | None = None,
    names: dict[str, str] | None = None,
    *,
    minutes: int = 0,
    seq: int = 1,
) -> TrailEntry:
    """An event as the trail gives it: address and browser only for the person's own acts."""
    who = ACTORS[actor]
    logged_in = who.kind in ("person", "staff")
    return TrailEntry(
        seq=seq,
        occurred_at=MOMENT + timedelta(minutes=minutes),
        action=action,
        kind=KIND_OF_ACTION.get(action, Kind.OTHER),
        actor=who,
        means="digid" if logged_in else None,
        loa="midden" if logged_in else None,
        ip="192.0.2.10" if who.who == Who.SELF else None,
        user_agent=None,
        object_type=None,
        object_id=None,
        detail=detail or {},
        names=names or {},
    )


@dataclass(frozen=True)
class Case:
    action: str
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    expected: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.action}-by-{self.actor}"


CASES = [
    Case(
        "login",
        "sanne",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 logde u in met DigiD (niveau midden) vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you logged in with DigiD (level midden) from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 logde Sanne Peters in met DigiD (niveau midden) vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters logged in with DigiD (level midden) from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 logde Sanne Peters in met DigiD (niveau midden) vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters logged in with DigiD (level midden) from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "logout",
        "sanne",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 logde u uit. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you logged out. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 logde Sanne Peters uit. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters logged out. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 logde Sanne Peters uit. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters logged out. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "login.step_up_required",
        "sanne",
        detail={"needed": "substantieel", "purpose": "grant_mandate"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 moest u opnieuw inloggen op een hoger niveau (substantieel). U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you had to log in again at a higher level (substantieel). You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 moest Sanne Peters opnieuw inloggen op een hoger niveau (substantieel). Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters had to log in again at a higher level (substantieel). Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 moest Sanne Peters opnieuw inloggen op een hoger niveau (substantieel). Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters had to log in again at a higher level (substantieel). Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "session.acting_for",
        "monique",
        detail={"acting_for": "x"},
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 begon Monique Peters namens u te handelen."),
            "person.en": (
                "On 14 March 2026 at 11:05, Monique Peters started acting on your behalf."
            ),
            "curator.nl": ("Op 14 maart 2026 om 11:05 begon u namens Sanne Peters te handelen."),
            "curator.en": (
                "On 14 March 2026 at 11:05, you started acting on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 begon Monique Peters namens Sanne Peters te handelen."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Monique Peters started acting on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "session.acting_for",
        "lisa",
        detail={"acting_for": None, "ended": "revoked_by_represented"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 stopte Lisa Hendriks met handelen namens u: u had de machtiging ingetrokken."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks stopped acting on your behalf: you had revoked the mandate."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 stopte Lisa Hendriks met handelen namens Sanne Peters: Sanne Peters had de machtiging ingetrokken."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks stopped acting on behalf of Sanne Peters: Sanne Peters had revoked the mandate."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 stopte Lisa Hendriks met handelen namens Sanne Peters: Sanne Peters had de machtiging ingetrokken."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks stopped acting on behalf of Sanne Peters: Sanne Peters had revoked the mandate."
            ),
        },
    ),
    Case(
        "token.issued",
        "piet",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 kreeg Piet van Dijk (Bewindvoering Van Dijk) toegang voor een app om namens u te handelen."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) got access for an app to act on your behalf."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 kreeg Piet van Dijk (Bewindvoering Van Dijk) toegang voor een app om namens Sanne Peters te handelen."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) got access for an app to act on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 kreeg Piet van Dijk (Bewindvoering Van Dijk) toegang voor een app om namens Sanne Peters te handelen."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) got access for an app to act on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "eidas.registered",
        "anonymous",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 werd een Europees inlogmiddel (eIDAS) aangemeld dat mogelijk bij u hoort."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, a European eID (eIDAS) was registered that may belong to you."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 werd een Europees inlogmiddel (eIDAS) aangemeld dat mogelijk bij Sanne Peters hoort."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, a European eID (eIDAS) was registered that may belong to Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 werd een Europees inlogmiddel (eIDAS) aangemeld dat mogelijk bij Sanne Peters hoort."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, a European eID (eIDAS) was registered that may belong to Sanne Peters."
            ),
        },
    ),
    Case(
        "eidas.linked",
        "operator",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 koppelde een beheerder van de Berichtenbox een Europees inlogmiddel (eIDAS) aan uw account."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, an operator of the Berichtenbox linked a European eID (eIDAS) to your account."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 koppelde een beheerder van de Berichtenbox een Europees inlogmiddel (eIDAS) aan het account van Sanne Peters."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, an operator of the Berichtenbox linked a European eID (eIDAS) to the account of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 koppelde een beheerder van de Berichtenbox een Europees inlogmiddel (eIDAS) aan het account van Sanne Peters."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, an operator of the Berichtenbox linked a European eID (eIDAS) to the account of Sanne Peters."
            ),
        },
    ),
    Case(
        "account.casco_created",
        "operator",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 werd uw account aangemaakt (nog niet geactiveerd)."
            ),
            "person.en": ("On 14 March 2026 at 11:05, your account was created (not activated)."),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 werd het account van Sanne Peters aangemaakt (nog niet geactiveerd)."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, the account of Sanne Peters was created (not activated)."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 werd het account van Sanne Peters aangemaakt (nog niet geactiveerd)."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, the account of Sanne Peters was created (not activated)."
            ),
        },
    ),
    Case(
        "account.activated",
        "sanne",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 activeerde u uw berichtenbox. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you activated your mailbox. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 activeerde Sanne Peters de eigen berichtenbox. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters activated their own mailbox. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 activeerde Sanne Peters de eigen berichtenbox. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters activated their own mailbox. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "account.activated",
        "monique",
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 activeerde Monique Peters uw berichtenbox."),
            "person.en": ("On 14 March 2026 at 11:05, Monique Peters activated your mailbox."),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 activeerde u de berichtenbox van Sanne Peters."
            ),
            "curator.en": ("On 14 March 2026 at 11:05, you activated the mailbox of Sanne Peters."),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 activeerde Monique Peters de berichtenbox van Sanne Peters."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Monique Peters activated the mailbox of Sanne Peters."
            ),
        },
    ),
    Case(
        "account.deactivated",
        "sanne",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 zette u uw berichtenbox uit: alle post komt weer op papier. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you switched off your mailbox: all post goes on paper again. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 zette Sanne Peters de eigen berichtenbox uit: alle post komt weer op papier. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters switched off their own mailbox: all post goes on paper again. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 zette Sanne Peters de eigen berichtenbox uit: alle post komt weer op papier. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters switched off their own mailbox: all post goes on paper again. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "account.paper_switch",
        "monique",
        detail={"on": True},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 zette Monique Peters namens u 'alles op papier' aan."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Monique Peters switched on 'everything on paper' on your behalf."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 zette u namens Sanne Peters 'alles op papier' aan."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, you switched on 'everything on paper' on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 zette Monique Peters namens Sanne Peters 'alles op papier' aan."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Monique Peters switched on 'everything on paper' on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "account.email_changed",
        "sanne",
        detail={"has_email": True},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 wijzigde u uw e-mailadres. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you changed your e-mail address. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 wijzigde Sanne Peters het eigen e-mailadres. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters changed their own e-mail address. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 wijzigde Sanne Peters het eigen e-mailadres. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters changed their own e-mail address. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "account.email_changed",
        "monique",
        detail={"has_email": False},
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 verwijderde Monique Peters uw e-mailadres."),
            "person.en": ("On 14 March 2026 at 11:05, Monique Peters removed your e-mail address."),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 verwijderde u het e-mailadres van Sanne Peters."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, you removed the e-mail address of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 verwijderde Monique Peters het e-mailadres van Sanne Peters."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Monique Peters removed the e-mail address of Sanne Peters."
            ),
        },
    ),
    Case(
        "account.email_confirmed",
        "sanne",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 bevestigde u dat uw e-mailadres nog klopt. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you confirmed that your e-mail address is still right. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 bevestigde Sanne Peters dat het eigen e-mailadres nog klopt. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters confirmed that their own e-mail address is still right. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 bevestigde Sanne Peters dat het eigen e-mailadres nog klopt. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters confirmed that their own e-mail address is still right. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "account.reminders_changed",
        "monique",
        detail={"on": False},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 zette Monique Peters namens u de herinneringen uit."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Monique Peters switched the reminders off on your behalf."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 zette u namens Sanne Peters de herinneringen uit."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, you switched the reminders off on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 zette Monique Peters namens Sanne Peters de herinneringen uit."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Monique Peters switched the reminders off on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "account.afnemers_reviewed",
        "sanne",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 bekeek u de lijst met organisaties. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you reviewed the list of organisations. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 bekeek Sanne Peters de lijst met organisaties. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters reviewed the list of organisations. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 bekeek Sanne Peters de lijst met organisaties. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters reviewed the list of organisations. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "folder.created",
        "lisa",
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 maakte Lisa Hendriks namens u een map aan."),
            "person.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks created a folder on your behalf."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 maakte Lisa Hendriks namens Sanne Peters een map aan."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks created a folder on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 maakte Lisa Hendriks namens Sanne Peters een map aan."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks created a folder on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "consent.ticked",
        "sanne",
        names={"afnemer": "RDW"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 vinkte u RDW aan. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you ticked RDW. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 vinkte Sanne Peters RDW aan. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters ticked RDW. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 vinkte Sanne Peters RDW aan. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters ticked RDW. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "consent.unticked",
        "piet",
        names={"afnemer": "Gemeente Utrecht"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 vinkte Piet van Dijk (Bewindvoering Van Dijk) namens u Gemeente Utrecht uit."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) unticked Gemeente Utrecht on your behalf."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 vinkte Piet van Dijk (Bewindvoering Van Dijk) namens Sanne Peters Gemeente Utrecht uit."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) unticked Gemeente Utrecht on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 vinkte Piet van Dijk (Bewindvoering Van Dijk) namens Sanne Peters Gemeente Utrecht uit."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) unticked Gemeente Utrecht on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "consent.read_state_shared",
        "sanne",
        names={"afnemer": "UWV"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 gaf u UWV toestemming om te zien of de berichten van UWV gelezen worden. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you let UWV see whether its messages are read. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 gaf Sanne Peters UWV toestemming om te zien of de berichten van UWV gelezen worden. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters let UWV see whether its messages are read. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 gaf Sanne Peters UWV toestemming om te zien of de berichten van UWV gelezen worden. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters let UWV see whether its messages are read. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "consent.read_state_withheld",
        "monique",
        names={"afnemer": "UWV"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 trok Monique Peters namens u de toestemming van UWV in om te zien of de berichten van UWV gelezen worden."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Monique Peters withdrew the permission of UWV to see whether its messages are read, acting on your behalf."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 trok u namens Sanne Peters de toestemming van UWV in om te zien of de berichten van UWV gelezen worden."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, you withdrew the permission of UWV to see whether its messages are read, acting on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 trok Monique Peters namens Sanne Peters de toestemming van UWV in om te zien of de berichten van UWV gelezen worden."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Monique Peters withdrew the permission of UWV to see whether its messages are read, acting on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "consent.untick_effective",
        "system",
        names={"afnemer": "SVB"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 ging het uitvinken van SVB in: die post komt voortaan op papier."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, unticking SVB took effect: its post now goes on paper."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 ging het uitvinken van SVB in: die post komt voortaan op papier."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, unticking SVB took effect: its post now goes on paper."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 ging het uitvinken van SVB in: die post komt voortaan op papier."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, unticking SVB took effect: its post now goes on paper."
            ),
        },
    ),
    Case(
        "message.delivered",
        "rdw",
        detail={"channel": "digital"},
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 bezorgde RDW een bericht in uw berichtenbox."),
            "person.en": ("On 14 March 2026 at 11:05, RDW delivered a message into your mailbox."),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 bezorgde RDW een bericht in de berichtenbox van Sanne Peters."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, RDW delivered a message into the mailbox of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 bezorgde RDW een bericht in de berichtenbox van Sanne Peters."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, RDW delivered a message into the mailbox of Sanne Peters."
            ),
        },
    ),
    Case(
        "message.delivered",
        "rdw",
        detail={"channel": "paper"},
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 stuurde RDW u een bericht op papier."),
            "person.en": ("On 14 March 2026 at 11:05, RDW sent you a message on paper."),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 stuurde RDW Sanne Peters een bericht op papier."
            ),
            "curator.en": ("On 14 March 2026 at 11:05, RDW sent Sanne Peters a message on paper."),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 stuurde RDW Sanne Peters een bericht op papier."
            ),
            "export.en": ("On 14 March 2026 at 11:05, RDW sent Sanne Peters a message on paper."),
        },
    ),
    Case(
        "message.delivered",
        "rdw",
        detail={"channel": "both"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 bezorgde RDW een bericht in uw berichtenbox en stuurde het ook op papier."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, RDW delivered a message into your mailbox and also sent it on paper."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 bezorgde RDW een bericht in de berichtenbox van Sanne Peters en stuurde het ook op papier."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, RDW delivered a message into the mailbox of Sanne Peters and also sent it on paper."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 bezorgde RDW een bericht in de berichtenbox van Sanne Peters en stuurde het ook op papier."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, RDW delivered a message into the mailbox of Sanne Peters and also sent it on paper."
            ),
        },
    ),
    Case(
        "message.opened",
        "lisa",
        names={"afnemer": "RDW", "service": "APK-herinnering"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 opende Lisa Hendriks namens u een bericht van RDW (APK-herinnering)."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks opened a message from RDW (APK-herinnering) on your behalf."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 opende Lisa Hendriks namens Sanne Peters een bericht van RDW (APK-herinnering)."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks opened a message from RDW (APK-herinnering) on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 opende Lisa Hendriks namens Sanne Peters een bericht van RDW (APK-herinnering)."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks opened a message from RDW (APK-herinnering) on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "message.opened",
        "sanne",
        names={"afnemer": "RDW", "service": "APK-herinnering"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 opende u een bericht van RDW (APK-herinnering). U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you opened a message from RDW (APK-herinnering). You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 opende Sanne Peters een bericht van RDW (APK-herinnering). Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters opened a message from RDW (APK-herinnering). Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 opende Sanne Peters een bericht van RDW (APK-herinnering). Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters opened a message from RDW (APK-herinnering). Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "message.filed",
        "monique",
        names={"afnemer": "RDW", "service": "APK-herinnering"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 legde Monique Peters namens u een bericht van RDW (APK-herinnering) in een map."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Monique Peters filed a message from RDW (APK-herinnering) in a folder on your behalf."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 legde u namens Sanne Peters een bericht van RDW (APK-herinnering) in een map."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, you filed a message from RDW (APK-herinnering) in a folder on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 legde Monique Peters namens Sanne Peters een bericht van RDW (APK-herinnering) in een map."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Monique Peters filed a message from RDW (APK-herinnering) in a folder on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "message.archived",
        "piet",
        names={"afnemer": "Belastingdienst", "service": "Inkomstenbelasting"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 archiveerde Piet van Dijk (Bewindvoering Van Dijk) namens u een bericht van Belastingdienst (Inkomstenbelasting)."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) archived a message from Belastingdienst (Inkomstenbelasting) on your behalf."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 archiveerde Piet van Dijk (Bewindvoering Van Dijk) namens Sanne Peters een bericht van Belastingdienst (Inkomstenbelasting)."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) archived a message from Belastingdienst (Inkomstenbelasting) on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 archiveerde Piet van Dijk (Bewindvoering Van Dijk) namens Sanne Peters een bericht van Belastingdienst (Inkomstenbelasting)."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) archived a message from Belastingdienst (Inkomstenbelasting) on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "message.unarchived",
        "sanne",
        names={"afnemer": "Belastingdienst", "service": "Inkomstenbelasting"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 haalde u een bericht van Belastingdienst (Inkomstenbelasting) uit het archief. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you took a message from Belastingdienst (Inkomstenbelasting) out of the archive. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 haalde Sanne Peters een bericht van Belastingdienst (Inkomstenbelasting) uit het archief. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters took a message from Belastingdienst (Inkomstenbelasting) out of the archive. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 haalde Sanne Peters een bericht van Belastingdienst (Inkomstenbelasting) uit het archief. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters took a message from Belastingdienst (Inkomstenbelasting) out of the archive. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "message.reminder",
        "system",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 ging er een herinnering uit over een ongelezen bericht aan u."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, a reminder went out about an unread message to you."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 ging er een herinnering uit over een ongelezen bericht aan Sanne Peters."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, a reminder went out about an unread message to Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 ging er een herinnering uit over een ongelezen bericht aan Sanne Peters."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, a reminder went out about an unread message to Sanne Peters."
            ),
        },
    ),
    Case(
        "message.not_reached",
        "system",
        names={"afnemer": "RDW"},
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 kreeg RDW te horen dat u niet bereikt was."),
            "person.en": ("On 14 March 2026 at 11:05, RDW was told that you had not been reached."),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 kreeg RDW te horen dat Sanne Peters niet bereikt was."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, RDW was told that Sanne Peters had not been reached."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 kreeg RDW te horen dat Sanne Peters niet bereikt was."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, RDW was told that Sanne Peters had not been reached."
            ),
        },
    ),
    Case(
        "message.read_state_disclosed",
        "rdw",
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 zag RDW of u een bericht had gelezen."),
            "person.en": ("On 14 March 2026 at 11:05, RDW saw whether you had read a message."),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 zag RDW of Sanne Peters een bericht had gelezen."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, RDW saw whether Sanne Peters had read a message."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 zag RDW of Sanne Peters een bericht had gelezen."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, RDW saw whether Sanne Peters had read a message."
            ),
        },
    ),
    Case(
        "letter.created",
        "system",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 werd een brief op papier voor u klaargezet over ongelezen post."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, a paper letter was prepared for you about unread post."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 werd een brief op papier voor Sanne Peters klaargezet over ongelezen post."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, a paper letter was prepared for Sanne Peters about unread post."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 werd een brief op papier voor Sanne Peters klaargezet over ongelezen post."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, a paper letter was prepared for Sanne Peters about unread post."
            ),
        },
    ),
    Case(
        "letter.written",
        "system",
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 werd een brief aan u over ongelezen post gedrukt en verstuurd."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, a letter to you about unread post was printed and sent."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 werd een brief aan Sanne Peters over ongelezen post gedrukt en verstuurd."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, a letter to Sanne Peters about unread post was printed and sent."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 werd een brief aan Sanne Peters over ongelezen post gedrukt en verstuurd."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, a letter to Sanne Peters about unread post was printed and sent."
            ),
        },
    ),
    Case(
        "mandate.granted",
        "sanne",
        names={"representative": "Lisa Hendriks"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 machtigde u Lisa Hendriks. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you gave Lisa Hendriks a mandate. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 machtigde Sanne Peters Lisa Hendriks. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters gave Lisa Hendriks a mandate. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 machtigde Sanne Peters Lisa Hendriks. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters gave Lisa Hendriks a mandate. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "mandate.requested",
        "piet",
        names={"representative": "Bewindvoering Van Dijk"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 vroeg Piet van Dijk (Bewindvoering Van Dijk) u om een machtiging."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) asked you for a mandate."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 vroeg Piet van Dijk (Bewindvoering Van Dijk) Sanne Peters om een machtiging."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) asked Sanne Peters for a mandate."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 vroeg Piet van Dijk (Bewindvoering Van Dijk) Sanne Peters om een machtiging."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) asked Sanne Peters for a mandate."
            ),
        },
    ),
    Case(
        "mandate.accepted",
        "lisa",
        names={"representative": "Lisa Hendriks"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 aanvaardde Lisa Hendriks de machtiging die u gaf."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks accepted the mandate you gave."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 aanvaardde Lisa Hendriks de machtiging die Sanne Peters gaf."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks accepted the mandate Sanne Peters gave."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 aanvaardde Lisa Hendriks de machtiging die Sanne Peters gaf."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks accepted the mandate Sanne Peters gave."
            ),
        },
    ),
    Case(
        "mandate.accepted",
        "sanne",
        names={"representative": "Bewindvoering Van Dijk"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 keurde u het verzoek van Bewindvoering Van Dijk om een machtiging goed. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you approved the request for a mandate from Bewindvoering Van Dijk. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 keurde Sanne Peters het verzoek van Bewindvoering Van Dijk om een machtiging goed. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters approved the request for a mandate from Bewindvoering Van Dijk. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 keurde Sanne Peters het verzoek van Bewindvoering Van Dijk om een machtiging goed. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters approved the request for a mandate from Bewindvoering Van Dijk. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "mandate.declined",
        "lisa",
        names={"representative": "Lisa Hendriks"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 wees Lisa Hendriks de machtiging die u gaf af."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks declined the mandate you gave."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 wees Lisa Hendriks de machtiging die Sanne Peters gaf af."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks declined the mandate Sanne Peters gave."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 wees Lisa Hendriks de machtiging die Sanne Peters gaf af."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks declined the mandate Sanne Peters gave."
            ),
        },
    ),
    Case(
        "mandate.declined",
        "sanne",
        names={"representative": "Bewindvoering Van Dijk"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 wees u het verzoek van Bewindvoering Van Dijk om een machtiging af. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you declined the request for a mandate from Bewindvoering Van Dijk. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 wees Sanne Peters het verzoek van Bewindvoering Van Dijk om een machtiging af. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters declined the request for a mandate from Bewindvoering Van Dijk. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 wees Sanne Peters het verzoek van Bewindvoering Van Dijk om een machtiging af. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters declined the request for a mandate from Bewindvoering Van Dijk. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "mandate.revoked",
        "sanne",
        names={"representative": "Lisa Hendriks"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 trok u de machtiging van Lisa Hendriks in. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, you revoked the mandate of Lisa Hendriks. You were logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 trok Sanne Peters de machtiging van Lisa Hendriks in. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Sanne Peters revoked the mandate of Lisa Hendriks. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 trok Sanne Peters de machtiging van Lisa Hendriks in. Sanne Peters was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.10."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Sanne Peters revoked the mandate of Lisa Hendriks. Sanne Peters was logged in with DigiD (level midden), from address 192.0.2.10."
            ),
        },
    ),
    Case(
        "mandate.revoked",
        "lisa",
        names={"representative": "Lisa Hendriks"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 beëindigde Lisa Hendriks de machtiging die u gaf."
            ),
            "person.en": ("On 14 March 2026 at 11:05, Lisa Hendriks ended the mandate you gave."),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 beëindigde Lisa Hendriks de machtiging die Sanne Peters gaf."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks ended the mandate Sanne Peters gave."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 beëindigde Lisa Hendriks de machtiging die Sanne Peters gaf."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks ended the mandate Sanne Peters gave."
            ),
        },
    ),
    Case(
        "mandate.expired",
        "system",
        names={"representative": "Lisa Hendriks"},
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 verliep de machtiging van Lisa Hendriks."),
            "person.en": ("On 14 March 2026 at 11:05, the mandate of Lisa Hendriks expired."),
            "curator.nl": ("Op 14 maart 2026 om 11:05 verliep de machtiging van Lisa Hendriks."),
            "curator.en": ("On 14 March 2026 at 11:05, the mandate of Lisa Hendriks expired."),
            "export.nl": ("Op 14 maart 2026 om 11:05 verliep de machtiging van Lisa Hendriks."),
            "export.en": ("On 14 March 2026 at 11:05, the mandate of Lisa Hendriks expired."),
        },
    ),
    Case(
        "mandate.lapsed",
        "register",
        names={"representative": "Lisa Hendriks"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 verviel (een deel van) de machtiging van Lisa Hendriks door een maatregel van de rechter."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, (part of) the mandate of Lisa Hendriks lapsed because of a court measure."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 verviel (een deel van) de machtiging van Lisa Hendriks door een maatregel van de rechter."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, (part of) the mandate of Lisa Hendriks lapsed because of a court measure."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 verviel (een deel van) de machtiging van Lisa Hendriks door een maatregel van de rechter."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, (part of) the mandate of Lisa Hendriks lapsed because of a court measure."
            ),
        },
    ),
    Case(
        "measure.started",
        "register",
        detail={"kind": "curatele"},
        names={"representative": "Monique Peters"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 registreerde de rechtspraak (curatele- en bewindregister) curatele voor u, met Monique Peters als vertegenwoordiger."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, the courts (register of guardianship and administration) registered guardianship (curatele) for you, with Monique Peters as representative."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 registreerde de rechtspraak (curatele- en bewindregister) curatele voor Sanne Peters, met Monique Peters als vertegenwoordiger."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, the courts (register of guardianship and administration) registered guardianship (curatele) for Sanne Peters, with Monique Peters as representative."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 registreerde de rechtspraak (curatele- en bewindregister) curatele voor Sanne Peters, met Monique Peters als vertegenwoordiger."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, the courts (register of guardianship and administration) registered guardianship (curatele) for Sanne Peters, with Monique Peters as representative."
            ),
        },
    ),
    Case(
        "measure.changed",
        "register",
        detail={"kind": "curatele"},
        names={"representative": "Monique Peters"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 wijzigde de rechtspraak (curatele- en bewindregister) de maatregel curatele voor u."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, the courts (register of guardianship and administration) changed the court measure guardianship (curatele) for you."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 wijzigde de rechtspraak (curatele- en bewindregister) de maatregel curatele voor Sanne Peters."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, the courts (register of guardianship and administration) changed the court measure guardianship (curatele) for Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 wijzigde de rechtspraak (curatele- en bewindregister) de maatregel curatele voor Sanne Peters."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, the courts (register of guardianship and administration) changed the court measure guardianship (curatele) for Sanne Peters."
            ),
        },
    ),
    Case(
        "measure.ended",
        "register",
        names={"representative": "Monique Peters", "measure_kind": "curatele"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 beëindigde de rechtspraak (curatele- en bewindregister) de maatregel curatele voor u."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, the courts (register of guardianship and administration) ended the court measure guardianship (curatele) for you."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 beëindigde de rechtspraak (curatele- en bewindregister) de maatregel curatele voor Sanne Peters."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, the courts (register of guardianship and administration) ended the court measure guardianship (curatele) for Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 beëindigde de rechtspraak (curatele- en bewindregister) de maatregel curatele voor Sanne Peters."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, the courts (register of guardianship and administration) ended the court measure guardianship (curatele) for Sanne Peters."
            ),
        },
    ),
    Case(
        "mandate.checked",
        "rdw",
        detail={"allowed": True},
        names={"service": "APK-herinnering", "afnemer": "RDW"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 vroeg RDW of iemand namens u mag handelen bij APK-herinnering; het antwoord was ja."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, RDW asked whether someone may act on your behalf for APK-herinnering; the answer was yes."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 vroeg RDW of iemand namens Sanne Peters mag handelen bij APK-herinnering; het antwoord was ja."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, RDW asked whether someone may act on behalf of Sanne Peters for APK-herinnering; the answer was yes."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 vroeg RDW of iemand namens Sanne Peters mag handelen bij APK-herinnering; het antwoord was ja."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, RDW asked whether someone may act on behalf of Sanne Peters for APK-herinnering; the answer was yes."
            ),
        },
    ),
    Case(
        "representatives.listed",
        "rdw",
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 vroeg RDW wie namens u mogen handelen."),
            "person.en": ("On 14 March 2026 at 11:05, RDW asked who may act on your behalf."),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 vroeg RDW wie namens Sanne Peters mogen handelen."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, RDW asked who may act on behalf of Sanne Peters."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 vroeg RDW wie namens Sanne Peters mogen handelen."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, RDW asked who may act on behalf of Sanne Peters."
            ),
        },
    ),
    Case(
        "authz.denied",
        "lisa",
        detail={"asked": "read"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 probeerde Lisa Hendriks namens u een bericht te lezen, maar dat mocht niet."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks tried to read a message on your behalf and was refused."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 probeerde Lisa Hendriks namens Sanne Peters een bericht te lezen, maar dat mocht niet."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks tried to read a message on behalf of Sanne Peters and was refused."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 probeerde Lisa Hendriks namens Sanne Peters een bericht te lezen, maar dat mocht niet."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks tried to read a message on behalf of Sanne Peters and was refused."
            ),
        },
    ),
    Case(
        "authz.denied",
        "lisa",
        detail={"asked": "act_for"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 probeerde Lisa Hendriks namens u te handelen, maar dat mocht niet."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks tried to act on your behalf and was refused."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 probeerde Lisa Hendriks namens Sanne Peters te handelen, maar dat mocht niet."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks tried to act on behalf of Sanne Peters and was refused."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 probeerde Lisa Hendriks namens Sanne Peters te handelen, maar dat mocht niet."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Lisa Hendriks tried to act on behalf of Sanne Peters and was refused."
            ),
        },
    ),
    Case(
        "authz.denied",
        "anonymous",
        detail={"asked": "read_audit"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 probeerde iemand die niet was ingelogd dit overzicht te bekijken, maar dat mocht niet."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, someone who was not logged in tried to view this overview and was refused."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 probeerde iemand die niet was ingelogd dit overzicht te bekijken, maar dat mocht niet."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, someone who was not logged in tried to view this overview and was refused."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 probeerde iemand die niet was ingelogd dit overzicht te bekijken, maar dat mocht niet."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, someone who was not logged in tried to view this overview and was refused."
            ),
        },
    ),
    Case(
        "audit.exported",
        "monique",
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 downloadde Monique Peters dit overzicht."),
            "person.en": ("On 14 March 2026 at 11:05, Monique Peters downloaded this overview."),
            "curator.nl": ("Op 14 maart 2026 om 11:05 downloadde u dit overzicht."),
            "curator.en": ("On 14 March 2026 at 11:05, you downloaded this overview."),
            "export.nl": ("Op 14 maart 2026 om 11:05 downloadde Monique Peters dit overzicht."),
            "export.en": ("On 14 March 2026 at 11:05, Monique Peters downloaded this overview."),
        },
    ),
    Case(
        "audit.viewed",
        "monique",
        expected={
            "person.nl": ("Op 14 maart 2026 om 11:05 bekeek Monique Peters dit overzicht."),
            "person.en": ("On 14 March 2026 at 11:05, Monique Peters viewed this overview."),
            "curator.nl": ("Op 14 maart 2026 om 11:05 bekeek u dit overzicht."),
            "curator.en": ("On 14 March 2026 at 11:05, you viewed this overview."),
            "export.nl": ("Op 14 maart 2026 om 11:05 bekeek Monique Peters dit overzicht."),
            "export.en": ("On 14 March 2026 at 11:05, Monique Peters viewed this overview."),
        },
    ),
    Case(
        "office.client_assigned",
        "piet",
        detail={"staff_name": "Sara de Wit"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 wees Piet van Dijk (Bewindvoering Van Dijk) u toe aan Sara de Wit."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) assigned you to Sara de Wit."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 wees Piet van Dijk (Bewindvoering Van Dijk) Sanne Peters toe aan Sara de Wit."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) assigned Sanne Peters to Sara de Wit."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 wees Piet van Dijk (Bewindvoering Van Dijk) Sanne Peters toe aan Sara de Wit."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) assigned Sanne Peters to Sara de Wit."
            ),
        },
    ),
    Case(
        "office.client_unassigned",
        "piet",
        detail={"staff_name": "Sara de Wit"},
        expected={
            "person.nl": (
                "Op 14 maart 2026 om 11:05 wees Piet van Dijk (Bewindvoering Van Dijk) u niet langer toe aan Sara de Wit."
            ),
            "person.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) unassigned you from Sara de Wit."
            ),
            "curator.nl": (
                "Op 14 maart 2026 om 11:05 wees Piet van Dijk (Bewindvoering Van Dijk) Sanne Peters niet langer toe aan Sara de Wit."
            ),
            "curator.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) unassigned Sanne Peters from Sara de Wit."
            ),
            "export.nl": (
                "Op 14 maart 2026 om 11:05 wees Piet van Dijk (Bewindvoering Van Dijk) Sanne Peters niet langer toe aan Sara de Wit."
            ),
            "export.en": (
                "On 14 March 2026 at 11:05, Piet van Dijk (Bewindvoering Van Dijk) unassigned Sanne Peters from Sara de Wit."
            ),
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_sentence_from_every_viewpoint(case: Case, view: str, lang: str) -> None:
    event = entry(case.action, case.actor, case.detail, case.names)
    assert describe(event, VIEWS[view], lang) == case.expected[f"{view}.{lang}"]


def test_every_kind_of_event_has_its_own_sentence_and_a_case() -> None:
    assert set(KIND_OF_ACTION) <= set(PHRASES), "an event kind the trail knows but cannot tell"
    assert {case.action for case in CASES} == set(PHRASES)
    for case in CASES:
        assert set(case.expected) == {f"{v}.{lang}" for v in VIEWS for lang in ("nl", "en")}


def test_the_issue_sentences_are_gone() -> None:
    """Issue 15: Koen's mandate, accepted by Lisa; Lisa stopping after the revocation;
    Monique reading Sanne's activation."""
    accepted = entry("mandate.accepted", "lisa", names={"representative": "Lisa Hendriks"})
    text = describe(accepted, VIEWS["person"], "nl")
    assert "de machtiging van Lisa Hendriks" not in text
    assert "aanvaardde Lisa Hendriks de machtiging die u gaf" in text
    stopped = entry(
        "session.acting_for", "lisa", {"acting_for": None, "ended": "revoked_by_represented"}
    )
    text = describe(stopped, VIEWS["person"], "nl")
    assert "koos" not in text and "stopte Lisa Hendriks met handelen namens u" in text
    activated = entry("account.activated", "sanne")
    assert "activeerde Sanne Peters de eigen berichtenbox" in describe(
        activated, VIEWS["curator"], "nl"
    )


def _visit(actor: str, *events: tuple[str, dict[str, Any], dict[str, str]]) -> list[TrailEntry]:
    return [
        entry(action, actor, detail, names, minutes=index, seq=index + 1)
        for index, (action, detail, names) in enumerate(events)
    ]


def test_a_visit_is_one_sentence_with_how_and_from_where() -> None:
    visit = _visit(
        "sanne",
        ("account.activated", {}, {}),
        ("consent.ticked", {}, {"afnemer": "RDW"}),
        ("consent.ticked", {}, {"afnemer": "UWV"}),
        ("account.email_changed", {"has_email": True}, {}),
    )
    assert narrate(visit, VIEWS["person"], "nl") == [
        "Op 14 maart 2026 om 11:05 activeerde u uw berichtenbox, vinkte u RDW en UWV aan en"
        " wijzigde u uw e-mailadres. U was ingelogd met DigiD (niveau midden), vanaf adres"
        " 192.0.2.10."
    ]
    assert narrate(visit, VIEWS["curator"], "en") == [
        "On 14 March 2026 at 11:05, Sanne Peters activated their own mailbox, ticked RDW and"
        " UWV, and changed their own e-mail address. Sanne Peters was logged in with DigiD"
        " (level midden), from address 192.0.2.10."
    ]
    logged_in = _visit("sanne", ("login", {}, {}), ("account.deactivated", {}, {}))
    assert narrate(logged_in, VIEWS["export"], "nl") == [
        "Op 14 maart 2026 om 11:05 logde Sanne Peters in met DigiD (niveau midden) vanaf adres"
        " 192.0.2.10 en zette Sanne Peters de eigen berichtenbox uit: alle post komt weer op"
        " papier."
    ]


def test_a_representative_says_once_on_whose_behalf_and_never_shows_an_address() -> None:
    visit = _visit(
        "monique",
        ("session.acting_for", {"acting_for": SANNE}, {}),
        ("message.opened", {}, {"afnemer": "RDW", "service": "APK-herinnering"}),
        ("account.paper_switch", {"on": True}, {}),
    )
    assert narrate(visit, VIEWS["person"], "nl") == [
        "Op 14 maart 2026 om 11:05 begon Monique Peters namens u te handelen, opende Monique"
        " Peters een bericht van RDW (APK-herinnering) en zette Monique Peters 'alles op papier'"
        " aan."
    ]
    assert narrate(visit, VIEWS["curator"], "en") == [
        "On 14 March 2026 at 11:05, you started acting on behalf of Sanne Peters, opened a"
        " message from RDW (APK-herinnering), and switched on 'everything on paper'."
    ]


def test_events_are_told_in_the_order_they_happened_not_recorded() -> None:
    """An event recorded later about an earlier moment (imported history) comes first."""
    created = replace(entry("account.casco_created", "operator"), seq=9)
    activated = replace(entry("account.activated", "sanne", minutes=60), seq=2)
    told = narrate([activated, created], VIEWS["person"], "nl")
    assert told[0].startswith("Op 14 maart 2026 om 11:05 werd uw account aangemaakt")
    assert told[1].startswith("Op 14 maart 2026 om 12:05 activeerde u uw berichtenbox")
