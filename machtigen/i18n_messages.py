"""``make messages``: bring the msgids the code and the templates use into both catalogs.

``pybabel extract`` (``babel.cfg``) writes the template ``var/messages.pot``; this merges it
into ``machtigen/locale/<language>/LC_MESSAGES/messages.po``: a new id arrives with an empty
``msgstr`` for a translator, and no id is dropped, because the ids built at run time
(``"done_" + notice``) are not visible to extraction. Besides the calls ``pybabel`` finds,
the ids a page reads from ``page.t`` and the trail's ids (``"trail_..."`` literals, passed
to ``Words.say`` or kept in tables) count as used. A test (``tests/test_i18n.py``) fails
while a used id has no text in either language.
"""

import re
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from machtigen.i18n import LANGUAGES, catalog_path

SUBSCRIPT = re.compile(r"""\bt\[\s*["']([a-z][a-z0-9_]*)["']\s*\]""")
"""A page's texts read by key in Python: ``t[<quoted id>]``, ``page.t[<quoted id>]``."""
TRAIL_ID = re.compile(r"""["'](trail_[a-z0-9_]+)["']""")
"""The trail's ids, named as literals in ``machtigen.audit.narrate`` (only there)."""
TRAIL_MODULE = Path("machtigen/audit/narrate.py")
WIDTH = 100


def method_map(config: Path) -> list[tuple[str, str]]:
    methods = []
    for line in config.read_text().splitlines():
        found = re.fullmatch(r"\[(\w+):\s*(\S+)\]", line.strip())
        if found:
            methods.append((found.group(2), found.group(1)))
    return methods


def used_msgids(root: Path) -> Iterator[tuple[str, str]]:
    """(msgid, where) for every id the code and templates name literally."""
    options = {"api/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    # as in the Makefile: the calls that name a msgid, and which argument does (1-based)
    keywords = {"_": None, "gettext": (2,), "ngettext": (2, 3), "lookup": (2,)}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(root),
        method_map(root / "babel.cfg"),
        options,
        keywords,
    ):
        ids = message if isinstance(message, tuple) else (message,)
        if ids and ids[0]:
            yield str(ids[0]), f"{filename}:{lineno}"
    for package in ("api", "machtigen"):
        for path in sorted((root / package).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                patterns = [SUBSCRIPT]
                if path.relative_to(root) == TRAIL_MODULE:
                    patterns.append(TRAIL_ID)
                for pattern in patterns:
                    for found in pattern.finditer(line):
                        yield found.group(1), f"{path.relative_to(root)}:{number}"


def update(template: Catalog, lang: str) -> list[str]:
    """Add the template's new ids to one language's catalog; returns the ids added."""
    path = catalog_path(lang)
    with path.open("rb") as po:
        current = read_po(po, locale=lang, domain="messages")
    added = []
    for message in template:
        if message.id and message.id not in current:
            current.add(message.id, "" if isinstance(message.id, str) else ("", ""))
            added.append(str(message.id if isinstance(message.id, str) else message.id[0]))
    with path.open("wb") as po:
        write_po(po, current, width=WIDTH, no_location=True)
    return added


def main(argv: list[str]) -> int:
    root = Path.cwd()
    with Path(argv[0]).open("rb") as pot:
        template = read_po(pot)
    for msgid, _where in used_msgids(root):
        if msgid not in template:
            template.add(msgid)
    for lang in LANGUAGES:
        added = update(template, lang)
        listed = ": " + ", ".join(added) if added else ""
        print(f"{lang}: {len(added)} new msgid(s) to translate{listed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
