"""docs/operations.md lists every setting exactly as the settings class defines it."""

from pathlib import Path

from machtigen.config import Settings
from machtigen.settings_doc import BEGIN, END, settings_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_the_settings_table_is_the_generated_one():
    text = DOC.read_text()
    assert BEGIN in text and END in text
    written = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert written == settings_markdown().strip(), (
        "docs/operations.md drifted from machtigen/config.py: paste `machtigen settings`"
        " between the markers"
    )


def test_every_setting_is_documented_with_a_description():
    table = settings_markdown()
    for name, field in Settings.model_fields.items():
        assert f"`MACHTIGEN_{name.upper()}`" in table
        assert field.description, f"{name} has no docstring in machtigen/config.py"
