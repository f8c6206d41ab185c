"""A person's trail as a file they keep: JSON or CSV, with the proofs to check it offline.

Each sealed event carries everything its leaf hash is made of, its account-chain link
(``account_index``, ``account_prev``) and an RFC 6962 inclusion proof against the newest
signed checkpoint, which is in the file with the public key it was signed with. Events of
other actors carry the commitment to their address (``origin``) instead of the address.
``machtigen audit verify --export FILE [--jwks KEYS]`` checks a file without a database.
Events newer than the newest checkpoint are listed under ``unsealed`` (export again later).
"""

import csv
import io
import json
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlmodel import col

from machtigen.audit.chain import format_moment, origin_commitment
from machtigen.audit.checkpoints import Checkpoint
from machtigen.audit.export_format import CSV_COLUMNS, EXPORT_FORMAT
from machtigen.audit.models import AuditEvent, AuditSeal
from machtigen.audit.narrate import Viewpoint, describe
from machtigen.audit.store import TreeReader, latest_checkpoint
from machtigen.audit.text import spreadsheet_safe
from machtigen.audit.trail import (
    EVERYTHING,
    TrailEntry,
    TrailFilter,
    Who,
    _note_reading,
    authorize_trail,
    filtered_events,
    to_entries,
)
from machtigen.context import Ctx
from machtigen.identity.models import Person

MAX_EXPORT = 100_000


def export_trail(
    ctx: Ctx,
    person_id: UUID,
    trail_filter: TrailFilter = EVERYTHING,
    *,
    public_jwks: dict[str, Any] | None = None,
    origin: str = "",
) -> dict[str, Any]:
    """The export document (``machtigen-audit-export/1``), oldest event first."""
    authorize_trail(ctx, person_id)
    rows = ctx.session.scalars(
        filtered_events(person_id, trail_filter).order_by(col(AuditEvent.seq)).limit(MAX_EXPORT + 1)
    ).all()
    truncated = len(rows) > MAX_EXPORT
    rows = rows[:MAX_EXPORT]
    entries = {entry.seq: entry for entry in to_entries(ctx, person_id, rows)}
    seals = _seals(ctx, [row.seq for row in rows if row.seq is not None])
    checkpoint = latest_checkpoint(ctx.session)
    tree_size = checkpoint.tree_size if checkpoint else 0
    reader = TreeReader(ctx.session)
    proven = [
        seals[row.seq].leaf_index
        for row in rows
        if row.seq in seals and seals[row.seq].leaf_index < tree_size
    ]
    reader.prefetch_proofs(proven, tree_size)
    person = ctx.session.get(Person, person_id)
    view = Viewpoint.export(person.full_name if person is not None else "")
    events, unsealed = [], []
    for row in rows:
        assert row.seq is not None
        record = _event_record(row, entries[row.seq], view)
        seal = seals.get(row.seq)
        if seal is None or seal.leaf_index >= tree_size:
            unsealed.append(record)
            continue
        record.update(_seal_record(row, seal, entries[row.seq]))
        record["inclusion_proof"] = [
            value.hex() for value in reader.inclusion_proof(seal.leaf_index, tree_size)
        ]
        events.append(record)
    _note_reading(ctx, person_id, "audit.exported", events=len(rows))
    return {
        "format": EXPORT_FORMAT,
        "person_id": str(person_id),
        "generated_at": ctx.now.isoformat(),
        "filter": trail_filter.as_dict(),
        "complete": trail_filter.is_empty and not truncated,
        "hashing": {
            "leaf": "SHA-256(0x00 || entry)",
            "node": "SHA-256(0x01 || left || right)",
            "origin": "SHA-256(0x02 || salt || JCS({ip, user_agent}))",
            "entry": "JCS of the event fields, v, leaf_index, account_index, account_prev, origin",
            "tree": "RFC 6962 Merkle tree over all events of the service; inclusion proofs"
            " per RFC 9162 2.1.3",
        },
        "checkpoint": _checkpoint_record(checkpoint, public_jwks, origin),
        "events": events,
        "unsealed": unsealed,
    }


def export_json(
    ctx: Ctx,
    person_id: UUID,
    trail_filter: TrailFilter = EVERYTHING,
    *,
    public_jwks: dict[str, Any] | None = None,
) -> bytes:
    document = export_trail(ctx, person_id, trail_filter, public_jwks=public_jwks)
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def export_csv(
    ctx: Ctx,
    person_id: UUID,
    trail_filter: TrailFilter = EVERYTHING,
    *,
    lang: str = "nl",
    public_jwks: dict[str, Any] | None = None,
) -> str:
    """One row per event (a sentence in ``lang`` and the proof columns), then the
    checkpoint and the export's own description. The ``data`` column holds the JSON that
    verification needs; every other cell is safe to open in a spreadsheet."""
    document = export_trail(ctx, person_id, trail_filter, public_jwks=public_jwks)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for kind in ("events", "unsealed"):
        for record in document[kind]:
            writer.writerow(_csv_row("event" if kind == "events" else "unsealed", record, lang))
    meta = {key: value for key, value in document.items() if key not in ("events", "unsealed")}
    writer.writerow(["export", "", "", "", "", "", "", "", "", "", "", "", _json(meta)])
    return buffer.getvalue()


def _csv_row(kind: str, record: dict[str, Any], lang: str) -> list[str]:
    data = {key: value for key, value in record.items() if key != "text"}
    cells = [
        kind,
        str(record["seq"]),
        record["occurred_at"],
        record["text"][lang],
        record["action"],
        record["who"],
        record.get("means") or "",
        record.get("loa") or "",
        record.get("ip") or "",
        str(record.get("leaf_index", "")),
        str(record.get("account_index", "")),
        record.get("leaf_hash", ""),
    ]
    return [spreadsheet_safe(cell) for cell in cells] + [_json(data)]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _seals(ctx: Ctx, seqs: list[int]) -> dict[int, AuditSeal]:
    found: dict[int, AuditSeal] = {}
    for start in range(0, len(seqs), 1000):
        chunk = seqs[start : start + 1000]
        for seal in ctx.session.scalars(select(AuditSeal).where(col(AuditSeal.seq).in_(chunk))):
            found[seal.seq] = seal
    return found


def _event_record(row: AuditEvent, entry: TrailEntry, view: Viewpoint) -> dict[str, Any]:
    """The event as sealed, and its sentence as anyone reading the file reads it."""
    own = entry.actor.who == Who.SELF
    return {
        "seq": row.seq,
        "occurred_at": format_moment(row.occurred_at),
        "action": row.action,
        "actor_kind": row.actor_kind,
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "subject_person_id": None if row.subject_person_id is None else str(row.subject_person_id),
        "object_type": row.object_type,
        "object_id": row.object_id,
        "detail": row.detail,
        "means": row.means,
        "loa": row.loa,
        "ip": row.ip if own else None,
        "user_agent": row.user_agent if own else None,
        "who": _who_label(entry),
        "text": {"nl": describe(entry, view, "nl"), "en": describe(entry, view, "en")},
    }


def _who_label(entry: TrailEntry) -> str:
    actor = entry.actor
    if actor.who == Who.SELF:
        return "self"
    name = actor.name or actor.kind
    return f"{name} ({actor.office})" if actor.office else name


def _seal_record(row: AuditEvent, seal: AuditSeal, entry: TrailEntry) -> dict[str, Any]:
    record: dict[str, Any] = {
        "leaf_index": seal.leaf_index,
        "account_index": seal.account_index,
        "account_prev": None if seal.account_prev is None else bytes(seal.account_prev).hex(),
        "leaf_hash": bytes(seal.leaf_hash).hex(),
    }
    if entry.actor.who == Who.SELF:
        record["origin_salt"] = bytes(seal.origin_salt).hex()
    else:
        salt = bytes(seal.origin_salt)
        record["origin"] = origin_commitment(salt, row.ip, row.user_agent).hex()
    return record


def _checkpoint_record(
    checkpoint: Any, public_jwks: dict[str, Any] | None, origin: str
) -> dict[str, Any] | None:
    if checkpoint is None:
        return None
    jwk = None
    for key in (public_jwks or {}).get("keys", []):
        if key.get("kid") == checkpoint.key_id:
            jwk = key
    return Checkpoint.from_row(checkpoint, origin).record(jwk)


__all__ = ["export_csv", "export_json", "export_trail"]
