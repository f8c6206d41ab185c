"""Checking the audit trail against its signed checkpoints, and naming what broke.

``verify_log`` reads the whole log from the database (streaming, in ``seq`` order) and
recomputes every leaf, every account chain, the tree and each checkpoint's root; it checks
every event's MAC (with the audit MAC keys, when given) and names each event the service did
not write, sealed or not; it also compares the checkpoints with the copies exported outside
the database. ``verify_export``
checks one person's export file offline: no database, only the file and a public key.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from machtigen.audit.chain import (
    TILE_HEIGHT,
    Frontier,
    Link,
    ProofError,
    entry_bytes,
    event_fields,
    leaf_hash,
    origin_commitment,
    root_from_inclusion,
)
from machtigen.audit.checkpoints import (
    Checkpoint,
    CheckpointInvalid,
    FileSink,
    TrustedKeys,
    matches,
)
from machtigen.audit.export_format import EXPORT_FORMAT, document_from_csv
from machtigen.audit.mac import MacKeys
from machtigen.audit.models import (
    AUDIT_CHECKPOINT,
    AUDIT_EVENT,
    AUDIT_SEAL,
    AUDIT_TREE_NODE,
    AuditCheckpoint,
    AuditEvent,
    AuditSeal,
    AuditTreeNode,
)

STREAM = 20_000


@dataclass(frozen=True)
class Finding:
    place: str
    """Where: ``seq 1234 (leaf 1200)``, ``checkpoint at tree size 5000``, ``event #3``."""
    problem: str

    def __str__(self) -> str:
        return f"{self.place}: {self.problem}"


@dataclass
class VerifyReport:
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: int = 0
    sealed: int = 0
    pending: int = 0
    """Committed events after the last checkpoint: not sealed yet, so not verified yet."""
    checkpoints: int = 0
    max_findings: int = 100

    @property
    def ok(self) -> bool:
        return not self.findings

    def fail(self, place: str, problem: str) -> None:
        if len(self.findings) < self.max_findings:
            self.findings.append(Finding(place, problem))


# --- the whole log, from the database -----------------------------------------------------


def verify_log(
    engine: Engine,
    keys: TrustedKeys,
    *,
    sink: FileSink | None = None,
    max_findings: int = 100,
    macs: MacKeys | None = None,
) -> VerifyReport:
    report = VerifyReport(max_findings=max_findings)
    checkpoints = _checked_checkpoints(engine, keys, report)
    last = checkpoints[-1] if checkpoints else None
    if macs is None:
        report.notes.append("no audit MAC keys given: the events' MACs were not checked")
    computed_nodes = _walk_events(engine, checkpoints, last, report, macs)
    _check_nodes(engine, computed_nodes, report)
    if sink is not None:
        _check_exported(sink, keys, checkpoints, report)
    return report


def _checked_checkpoints(
    engine: Engine, keys: TrustedKeys, report: VerifyReport
) -> list[Checkpoint]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AUDIT_CHECKPOINT).order_by(col(AuditCheckpoint.tree_size))
        ).all()
    checkpoints = []
    previous: Checkpoint | None = None
    for row in rows:
        checkpoint = Checkpoint.from_row(row, origin="")
        place = f"checkpoint at tree size {checkpoint.tree_size}"
        try:
            payload = keys.verify(checkpoint.signed)
        except CheckpointInvalid as error:
            report.fail(place, str(error))
        else:
            if not matches(payload, checkpoint):
                report.fail(place, "its columns differ from what was signed")
        if previous is not None and checkpoint.last_seq <= previous.last_seq:
            report.fail(place, f"its last seq {checkpoint.last_seq} does not grow")
        checkpoints.append(checkpoint)
        previous = checkpoint
    report.checkpoints = len(checkpoints)
    return checkpoints


def _stream(engine: Engine, statement: Any) -> Iterator[Any]:
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=STREAM).execute(
            statement
        )
        yield from result


def _merged(engine: Engine) -> Iterator[tuple[int, Any, Any]]:
    """Events and seals side by side in ``seq`` order (either may be missing)."""
    events = _stream(engine, select(AUDIT_EVENT).order_by(col(AuditEvent.seq)))
    seals = _stream(engine, select(AUDIT_SEAL).order_by(col(AuditSeal.seq)))
    event, seal = next(events, None), next(seals, None)
    while event is not None or seal is not None:
        if event is not None and (seal is None or event.seq < seal.seq):
            yield int(event.seq), event, None
            event = next(events, None)
        elif seal is not None and (event is None or seal.seq < event.seq):
            yield int(seal.seq), None, seal
            seal = next(seals, None)
        else:
            assert event is not None and seal is not None
            yield int(event.seq), event, seal
            event, seal = next(events, None), next(seals, None)


def _walk_events(
    engine: Engine,
    checkpoints: list[Checkpoint],
    last: Checkpoint | None,
    report: VerifyReport,
    macs: MacKeys | None = None,
) -> dict[tuple[int, int], bytes]:
    """One pass in ``seq`` order: MACs, leaves, leaf order, account chains, checkpoint roots."""
    by_size = {checkpoint.tree_size: checkpoint for checkpoint in checkpoints}
    sealed_up_to = last.last_seq if last else 0
    frontier = Frontier()
    heads: dict[bytes, tuple[int, bytes, int]] = {}
    nodes: dict[tuple[int, int], bytes] = {}
    range_start_seq: int | None = None
    previous_size = 0
    covered = 0
    """The last seq the previous checkpoint covered: later leaves must lie beyond it."""
    for seq, event, seal in _merged(engine):
        if event is not None:
            report.events += 1
            forged = macs.check(event._mapping) if macs is not None else None
            if forged is not None:
                state = "sealed all the same" if seal is not None else "not sealed"
                report.fail(f"seq {seq}", f"{event.action}: {forged} ({state})")
                if seal is None:
                    if seq > sealed_up_to:
                        report.pending += 1
                    continue
        if seal is None:
            if seq <= sealed_up_to:
                report.fail(
                    f"seq {seq}",
                    "the event is not sealed, although the checkpoint at tree size"
                    f" {last.tree_size if last else 0} covers every event up to seq"
                    f" {sealed_up_to}: it was inserted afterwards",
                )
            else:
                report.pending += 1
            continue
        report.sealed += 1
        leaf_index = int(seal.leaf_index)
        place = f"seq {seq} (leaf {leaf_index})"
        if seq <= covered:
            report.fail(
                place,
                f"sealed after a checkpoint that already covered every event up to seq {covered}",
            )
        if leaf_index != frontier.size:
            report.fail(
                place,
                f"sealed as leaf {leaf_index} where leaf {frontier.size} was expected: sealed"
                " events were reordered, removed or inserted",
            )
        stored = bytes(seal.leaf_hash)
        if event is None:
            report.fail(place, "the event is missing: it was sealed and then deleted")
        else:
            _check_leaf(event, seal, stored, place, report)
            _check_chain(event, seal, stored, heads, place, report)
        range_start_seq = seq if range_start_seq is None else range_start_seq
        for level, index, value in frontier.append(stored):
            if level % TILE_HEIGHT == 0 and (last is None or frontier.size <= last.tree_size):
                nodes[(level, index)] = value
        checkpoint = by_size.get(frontier.size)
        if checkpoint is not None:
            _check_root(checkpoint, frontier, previous_size, range_start_seq, seq, report)
            previous_size, range_start_seq = frontier.size, None
            covered = checkpoint.last_seq
    for checkpoint in checkpoints:
        if checkpoint.tree_size > frontier.size:
            report.fail(
                f"checkpoint at tree size {checkpoint.tree_size}",
                f"the database holds only {frontier.size} sealed events: sealed events"
                " were removed",
            )
    return nodes


def _check_leaf(event: Any, seal: Any, stored: bytes, place: str, report: VerifyReport) -> None:
    link = Link(
        leaf_index=int(seal.leaf_index),
        account_index=None if seal.account_index is None else int(seal.account_index),
        account_prev=None if seal.account_prev is None else bytes(seal.account_prev),
        origin=origin_commitment(bytes(seal.origin_salt), event.ip, event.user_agent),
    )
    if leaf_hash(entry_bytes(event_fields(event._mapping), link)) != stored:
        report.fail(
            place,
            f"the event ({event.action} at {event.occurred_at.isoformat()}) differs from what"
            " was sealed: its content, seq, address or chain link was changed",
        )


def _check_chain(
    event: Any,
    seal: Any,
    stored: bytes,
    heads: dict[bytes, tuple[int, bytes, int]],
    place: str,
    report: VerifyReport,
) -> None:
    subject = event.subject_person_id
    if subject is None:
        if seal.account_index is not None:
            report.fail(place, "an event about nobody carries an account-chain link")
        return
    index = None if seal.account_index is None else int(seal.account_index)
    prev = None if seal.account_prev is None else bytes(seal.account_prev)
    head = heads.get(subject.bytes)
    expected_index = 0 if head is None else head[0] + 1
    if index != expected_index:
        before = "no earlier event" if head is None else f"seq {head[2]} (index {head[0]})"
        report.fail(
            place,
            f"the account chain of person {subject} is broken: index {index} follows"
            f" {before}; events of this person were removed, inserted or reordered",
        )
    elif (prev is None) != (head is None) or (head is not None and prev != head[1]):
        report.fail(
            place,
            f"the account chain of person {subject} is broken: the link to the previous"
            " event does not match it",
        )
    heads[subject.bytes] = (index if index is not None else expected_index, stored, int(seal.seq))


def _check_root(
    checkpoint: Checkpoint,
    frontier: Frontier,
    previous_size: int,
    first_seq: int | None,
    last_seq: int,
    report: VerifyReport,
) -> None:
    place = f"checkpoint at tree size {checkpoint.tree_size}"
    if frontier.root() != checkpoint.root_hash:
        report.fail(
            place,
            f"leaves {previous_size}..{checkpoint.tree_size - 1} (seq {first_seq}..{last_seq})"
            " do not give the signed root: an event among them was changed, inserted,"
            " removed or reordered together with its seal",
        )
    if checkpoint.last_seq < last_seq:
        report.fail(place, f"signed last seq {checkpoint.last_seq}, but leaf is seq {last_seq}")


def _check_nodes(
    engine: Engine, computed: dict[tuple[int, int], bytes], report: VerifyReport
) -> None:
    """The stored tree nodes that inclusion proofs are built from match the leaves."""
    seen = 0
    for row in _stream(
        engine,
        select(AUDIT_TREE_NODE).order_by(col(AuditTreeNode.level), col(AuditTreeNode.idx)),
    ):
        key = (int(row.level), int(row.idx))
        expected = computed.get(key)
        place = f"tree node level {key[0]} index {key[1]}"
        if expected is None:
            report.fail(place, "a stored node that no sealed leaves make: inserted")
        elif expected != bytes(row.hash):
            report.fail(place, "differs from the leaves below it (proofs through it fail)")
        else:
            seen += 1
    if seen < len(computed):
        report.fail("tree nodes", f"{len(computed) - seen} stored nodes are missing or wrong")


def _check_exported(
    sink: FileSink, keys: TrustedKeys, checkpoints: list[Checkpoint], report: VerifyReport
) -> None:
    """Every checkpoint exported outside the database is still in it, unchanged."""
    in_database = {checkpoint.tree_size: checkpoint for checkpoint in checkpoints}
    try:
        exported = sink.read_all()
    except CheckpointInvalid as error:
        report.fail(str(sink.path), str(error))
        return
    newest = 0
    for number, record in enumerate(exported, start=1):
        place = f"{sink.path.name} line {number} (tree size {record.get('tree_size')})"
        try:
            payload = keys.verify(str(record.get("jws", "")))
        except CheckpointInvalid as error:
            report.fail(place, str(error))
            continue
        size = int(payload.get("tree_size", -1))
        newest = max(newest, size)
        ours = in_database.get(size)
        if ours is None:
            report.fail(
                place,
                "this signed checkpoint is not in the database: the log was rolled back or"
                " truncated",
            )
        elif payload.get("root_hash") != ours.root_hash.hex():
            report.fail(place, "the database holds another root for this tree size")
    unexported = sum(1 for size in in_database if size > newest)
    if unexported:
        report.notes.append(f"{unexported} checkpoints are not in {sink.path} yet")


# --- one person's export, offline -------------------------------------------------------


def verify_export(document: dict[str, Any], keys: TrustedKeys | None) -> VerifyReport:
    """Check an export file: its checkpoint, every event's inclusion proof, the chain."""
    report = VerifyReport()
    if document.get("format") != EXPORT_FORMAT:
        report.fail("export", f"not a {EXPORT_FORMAT} document")
        return report
    checkpoint = document.get("checkpoint")
    root, size = _export_checkpoint(checkpoint, keys, report)
    person = document.get("person_id")
    complete = bool(document.get("complete"))
    previous: tuple[int, bytes, int] | None = None
    last_seq = 0
    for position, record in enumerate(document.get("events", []), start=1):
        report.events += 1
        place = f"event #{position} (seq {record.get('seq')})"
        try:
            digest, index, prev, seq = _export_leaf(record)
        except (KeyError, TypeError, ValueError) as error:
            report.fail(place, f"incomplete or malformed: {error}")
            continue
        if record.get("subject_person_id") != person:
            report.fail(place, "it concerns another person than this export")
        if seq <= last_seq:
            report.fail(place, f"out of order: seq {seq} after seq {last_seq}")
        last_seq = max(last_seq, seq)
        if not _export_inclusion(record, digest, root, size, place, report):
            # Chain on with the hash that was sealed: the next event is not to blame.
            digest = bytes.fromhex(str(record.get("leaf_hash") or digest.hex()))
        previous = _export_chain(previous, digest, index, prev, seq, complete, place, report)
        report.sealed += 1
    report.pending = len(document.get("unsealed", []))
    if report.pending:
        report.notes.append(
            f"{report.pending} events after the checkpoint are not sealed yet and not verified"
        )
    return report


def _export_checkpoint(
    checkpoint: Any, keys: TrustedKeys | None, report: VerifyReport
) -> tuple[bytes | None, int]:
    if not isinstance(checkpoint, dict):
        report.fail("checkpoint", "the export has no checkpoint")
        return None, 0
    if keys is None:
        embedded = checkpoint.get("jwk")
        keys = TrustedKeys({"keys": [embedded] if isinstance(embedded, dict) else []})
        report.notes.append(
            "the public key was taken from the export itself (kid"
            f" {checkpoint.get('kid')}); compare it with the published key, or pass --jwks"
        )
    try:
        payload = keys.verify(str(checkpoint.get("jws", "")))
    except CheckpointInvalid as error:
        report.fail(f"checkpoint at tree size {checkpoint.get('tree_size')}", str(error))
        return None, 0
    report.checkpoints = 1
    return bytes.fromhex(payload["root_hash"]), int(payload["tree_size"])


def _export_leaf(record: dict[str, Any]) -> tuple[bytes, int | None, bytes | None, int]:
    if "origin_salt" in record:
        origin = origin_commitment(
            bytes.fromhex(record["origin_salt"]), record.get("ip"), record.get("user_agent")
        )
    else:
        origin = bytes.fromhex(record["origin"])
    index = record["account_index"]
    prev = None if record["account_prev"] is None else bytes.fromhex(record["account_prev"])
    link = Link(int(record["leaf_index"]), index, prev, origin)
    return leaf_hash(entry_bytes(event_fields(record), link)), index, prev, int(record["seq"])


def _export_inclusion(
    record: dict[str, Any],
    digest: bytes,
    root: bytes | None,
    size: int,
    place: str,
    report: VerifyReport,
) -> bool:
    if root is None:
        return False
    try:
        proof = [bytes.fromhex(value) for value in record.get("inclusion_proof", [])]
        proven = root_from_inclusion(int(record["leaf_index"]), size, digest, proof)
    except (ProofError, ValueError) as error:
        report.fail(place, f"the inclusion proof cannot be checked: {error}")
        return False
    if proven != root:
        report.fail(
            place,
            "not in the signed log: its content does not match what was sealed (changed,"
            " made up, or its proof was altered)",
        )
        return False
    return True


def _export_chain(
    previous: tuple[int, bytes, int] | None,
    digest: bytes,
    index: int | None,
    prev: bytes | None,
    seq: int,
    complete: bool,
    place: str,
    report: VerifyReport,
) -> tuple[int, bytes, int]:
    expected = 0 if previous is None else previous[0] + 1
    current = index if index is not None else expected
    if index is None:
        report.fail(place, "it has no place in the person's chain")
    elif complete and index != expected:
        after = "the start" if previous is None else f"seq {previous[2]} (index {previous[0]})"
        report.fail(
            place,
            f"the chain is broken: index {index} follows {after}; events were left out,"
            " added or reordered",
        )
    elif previous is not None and index == previous[0] + 1 and prev != previous[1]:
        report.fail(place, f"the chain is broken: its link does not match seq {previous[2]}")
    elif previous is None and index == 0 and prev is not None:
        report.fail(place, "the first event of the chain links to an earlier one")
    return current, digest, seq


def load_export(path: str | Path) -> dict[str, Any]:
    """An export file: the JSON document, or a CSV export (its ``entry`` column)."""
    raw = Path(path).read_text(encoding="utf-8-sig")
    if raw.lstrip().startswith("{"):
        document: dict[str, Any] = json.loads(raw)
        return document
    return document_from_csv(raw)
