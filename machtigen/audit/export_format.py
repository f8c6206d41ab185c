"""The export file's format, shared by the writer (audit/export.py) and the offline checker
(audit/verify.py): its name, the CSV columns, and reading a CSV export back into the document."""

import csv
import io
import json
from typing import Any

EXPORT_FORMAT = "machtigen-audit-export/1"
"""The ``format`` member of an export document; the checker refuses any other."""

CSV_COLUMNS = (
    "record",
    "seq",
    "occurred_at",
    "text",
    "action",
    "who",
    "means",
    "loa",
    "ip",
    "leaf_index",
    "account_index",
    "leaf_hash",
    "data",
)
"""The columns of a CSV export; ``data`` holds the record as JSON, the others are for people."""


def document_from_csv(text: str) -> dict[str, Any]:
    """Back from CSV to the export document, for ``machtigen audit verify``."""
    document: dict[str, Any] = {"events": [], "unsealed": []}
    for row in csv.DictReader(io.StringIO(text)):
        data = json.loads(row["data"])
        if row["record"] == "event":
            document["events"].append(data)
        elif row["record"] == "unsealed":
            document["unsealed"].append(data)
        elif row["record"] == "export":
            document.update(data)
    return document
