"""Dutch by default, English on request (and after an eIDAS login)."""

TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "site": "Machtigen – Berichtenbox",
        "skip": "Naar de inhoud",
        "language_switch": "English",
        "login_title": "Inloggen",
        "login_intro": "Kies hoe u wilt inloggen.",
        "login_digid": "Inloggen met DigiD",
        "login_eidas": "Log in with a European eID (eIDAS)",
        "login_eherkenning": "Inloggen met eHerkenning (voor kantoren)",
        "logged_in_as": "Ingelogd als",
        "acting_for": "U handelt namens",
        "act_for_self": "Terug naar uzelf",
        "switch": "Wisselen",
        "your_clients": "Uw cliënten",
        "no_clients": "U kunt op dit moment voor niemand handelen.",
        "logout": "Uitloggen",
        "eidas_matched": "U bent ingelogd. Uw eID is gekoppeld aan uw BSN.",
        "eidas_needs_confirmation": (
            "We hebben een persoon gevonden met uw naam en geboortedatum. Voordat u verder kunt,"
            " controleert een medewerker de koppeling. U krijgt daarover binnen vijf werkdagen een brief."
        ),
        "eidas_unmatched": (
            "We konden uw eID niet koppelen aan een burgerservicenummer. Staat u ingeschreven in de"
            " Registratie Niet-Ingezetenen (RNI)? Neem dan contact op; we zoeken het voor u uit."
        ),
        "error_title": "Dat lukte niet",
        "back_to_login": "Opnieuw inloggen",
        "continue": "Doorgaan",
        "dev_broker_title": "Ontwikkelbroker",
        "dev_broker_intro": "Alleen voor ontwikkeling: kies of typ een identiteit.",
        "dev_broker_submit": "Inloggen als deze identiteit",
        "level": "Betrouwbaarheidsniveau",
        "step_up_title": "Hiervoor is een hoger inlogniveau nodig",
        "step_up_again": "Opnieuw inloggen op een hoger niveau",
        "back_home": "Terug naar de startpagina",
    },
    "en": {
        "site": "Machtigen – Government mailbox",
        "skip": "Skip to content",
        "language_switch": "Nederlands",
        "login_title": "Log in",
        "login_intro": "Choose how you want to log in.",
        "login_digid": "Log in with DigiD",
        "login_eidas": "Log in with a European eID (eIDAS)",
        "login_eherkenning": "Log in with eHerkenning (for offices)",
        "logged_in_as": "Logged in as",
        "acting_for": "You are acting for",
        "act_for_self": "Back to yourself",
        "switch": "Switch",
        "your_clients": "Your clients",
        "no_clients": "You cannot act for anyone at the moment.",
        "logout": "Log out",
        "eidas_matched": "You are logged in. Your eID is linked to your citizen service number (BSN).",
        "eidas_needs_confirmation": (
            "We found a person with your name and date of birth. Before you can continue, an employee"
            " checks the link. You will receive a letter about it within five working days."
        ),
        "eidas_unmatched": (
            "We could not link your eID to a citizen service number (BSN). Are you registered as a"
            " non-resident (RNI)? Please contact us; we will look into it for you."
        ),
        "error_title": "That did not work",
        "back_to_login": "Log in again",
        "continue": "Continue",
        "dev_broker_title": "Development broker",
        "dev_broker_intro": "For development only: pick or type an identity.",
        "dev_broker_submit": "Log in as this identity",
        "level": "Level of assurance",
        "step_up_title": "This needs a higher level of assurance",
        "step_up_again": "Log in again at a higher level",
        "back_home": "Back to the start page",
    },
}


def language_of(requested: str | None) -> str:
    return requested if requested in TEXT else "nl"
