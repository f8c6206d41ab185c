"""No user-facing text is written in Python: every sentence a person reads is in the catalogs
(``machtigen/locale``). This reads every string literal in ``api/`` and ``machtigen/`` (not
docstrings: those are for developers) and fails on one that reads as Dutch."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DUTCH = frozenset(
    {
        *("het", "een", "niet", "uw", "bericht", "berichten", "machtiging", "machtigingen"),
        *("gemachtigde", "namens", "wij", "kunt", "moet", "geen", "wilt", "heeft", "wordt"),
        *("deze", "dit", "alleen", "ingelogd", "inloggen", "uitloggen", "organisatie"),
        *("herinnering", "papier", "brief", "naar", "voor", "met", "zijn", "ook", "nog", "mag"),
        *("staat", "bij", "handelen", "gelezen", "aanzetten", "uitzetten", "wijzigen"),
        *("toestemming", "gegevens"),
    }
)
"""Words that are Dutch and (almost) never English: one of these makes a literal Dutch."""
COMMON = frozenset({"de", "van", "en", "te", "dat", "u", "op", "er", "om", "aan", "uit"})
"""Short words Dutch shares with English or with names ("Piet van Dijk", "de Boer"): a
literal reads as Dutch when it has two different words of either list."""
SURELY_DUTCH = DUTCH - {"met", "voor", "naar", "zijn", "ook", "nog", "mag", "staat", "bij"}
WORD = re.compile(r"[a-zà-ÿ]+")

ALLOWED = {
    "machtigen/demo.py": "the demonstration data: the names of people and organisations and"
    " the sample messages that afnemers send (their content, in their words), not the"
    " service's own texts",
    "api/v1/app.py": "the OpenAPI description for developers of afnemers, in English, naming"
    " the Dutch legal term (machtigingen) it is about",
}
"""Files whose Dutch literals are not the service speaking to a person, and why."""


def docstrings(tree: ast.AST) -> set[int]:
    """The string statements of a module: docstrings and attribute docstrings."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def reads_as_dutch(text: str) -> bool:
    words = set(WORD.findall(text.lower()))
    return bool(words & SURELY_DUTCH) or len(words & (DUTCH | COMMON)) >= 2


def literals(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string literal but the docstrings; an f-string as one text, its values as "…"."""
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [p.value if isinstance(p, ast.Constant) else "…" for p in node.values]
            found.append((node.lineno, "".join(str(part) for part in parts)))
            skip |= {id(part) for part in node.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            found.append((node.lineno, node.value))
    return found


def dutch_literals(source: str) -> list[tuple[int, str]]:
    return sorted(
        (line, text)
        for line, text in literals(ast.parse(source))
        if " " in text.strip() and reads_as_dutch(text)
    )


def test_no_dutch_text_in_python_outside_the_catalogs():
    found = {}
    files = [path for package in ("api", "machtigen") for path in (ROOT / package).rglob("*.py")]
    assert len(files) > 100
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        if name in ALLOWED:
            continue
        for line, text in dutch_literals(path.read_text()):
            found[f"{name}:{line}"] = text
    assert found == {}


def test_every_allowed_file_still_has_dutch_literals():
    """An allowance that no longer has anything to allow is removed, not kept as a blind spot."""
    for name in ALLOWED:
        assert dutch_literals((ROOT / name).read_text()), name


def test_the_check_finds_the_texts_that_used_to_be_in_python():
    old = """
CANNOT_ACT_FOR = {"nl": "U kunt niet namens deze persoon handelen. Er is niets veranderd."}
REMINDER = "U heeft dit bericht al drie weken niet gelezen."
def when(lang):
    return f"Op {day} om {time}" if lang == "nl" else f"On {day} at {time},"
PHRASE = ("stopte", f"met handelen {who}", "stopped", f"acting {who}")
LOG = "notification.sent"
ENGLISH = "Deliver what is due now and stop."
"""
    assert [line for line, _text in dutch_literals(old)] == [2, 3, 5, 6]
    assert not reads_as_dutch(
        "There is nothing here for you: it does not exist, or it is not yours."
    )
    assert not reads_as_dutch("Piet van Dijk")
