"""How Dutch lists order people: by family name without its lower-case prefix."""

# Voorvoegsels that a Dutch list skips when sorting: "de Boer" under B, "van 't Hek" under H.
_PREFIXES = frozenset(
    {"van", "de", "der", "den", "het", "'t", "te", "ter", "ten", "in", "op", "aan", "uit", "d'"}
)


def sort_key(given_name: str, family_name: str) -> tuple[str, str]:
    words = family_name.split()
    while len(words) > 1 and words[0] in _PREFIXES:
        words = words[1:]
    return " ".join(words).casefold(), given_name.casefold()
