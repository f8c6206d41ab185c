"""The sealer: chains committed audit events and signs checkpoints, after the fact.

``record`` stays a plain INSERT on the hot path; this runs from ``machtigen audit seal`` or
as a step of ``machtigen jobs``. Each batch is one transaction that

1. takes the sealing lock (an UPDATE of the ``audit_seal.lock`` row in ``job_lease``: a row
   lock on PostgreSQL, the write lock on SQLite), so two sealers on two hosts take turns and
   the second continues where the first stopped;
2. reads the latest checkpoint (tree size, last sealed ``seq``);
3. takes the next events in ``seq`` order up to the *safe horizon*: a ``seq`` below which
   every transaction that will ever commit an event has committed. A transaction holding a
   lower ``seq`` may commit after one holding a higher one; sealing past it would leave it
   out forever. On PostgreSQL the horizon is ``max(seq)`` once every transaction that held
   a write lock on ``audit_event`` when it was read has ended (``pg_locks``; a writer takes
   that lock before it draws its ``seq``). This never blocks a writer, unlike ``LOCK
   TABLE``, which would queue the hot path behind a slow transaction. On SQLite there is
   one writer at a time, and the sealer is it;
4. checks each event's MAC (``machtigen.audit.mac``): an event the service did not write
   (an INSERT made with the database's credentials alone) is refused — never sealed, logged,
   counted and itself recorded as an ``audit.event_refused`` event — and ``machtigen audit
   verify`` names it from then on;
5. computes leaf hashes, account-chain links and the new tree nodes, inserts them into the
   append-only tables and a signed checkpoint; after the commit the checkpoint is also
   exported to the sink outside the database. A checkpoint's ``last_seq`` is the highest
   ``seq`` the batch examined, refused events included.

Event rows are never updated.
"""

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, func, select, text, update
from sqlmodel import col

from machtigen.audit.chain import (
    TILE_HEIGHT,
    Frontier,
    Link,
    entry_bytes,
    event_fields,
    leaf_hash,
    origin_commitment,
)
from machtigen.audit.checkpoints import Checkpoint, CheckpointSink, sign
from machtigen.audit.mac import MacKeys, current
from machtigen.audit.models import (
    AUDIT_CHECKPOINT,
    AUDIT_EVENT,
    AUDIT_SEAL,
    AUDIT_TREE_NODE,
    AuditCheckpoint,
    AuditEvent,
)
from machtigen.audit.store import TreeReader, latest_checkpoint
from machtigen.authz.actors import SystemActor
from machtigen.clock import Clock
from machtigen.keys import KeySet, SigningKey
from machtigen.leases import JobLease, ensure_lease_row

log = logging.getLogger(__name__)

LOCK_ROW = "audit_seal.lock"
SUBJECT_CHUNK = 500
HEAD_CACHE_LIMIT = 2_000_000

EVENT_COLUMNS = [column for column in AUDIT_EVENT.columns]
WRITERS_ON_AUDIT_EVENT = text(
    "SELECT DISTINCT virtualtransaction FROM pg_locks"
    " WHERE locktype = 'relation' AND relation = 'audit_event'::regclass"
    " AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()"
)
STILL_RUNNING = text(
    "SELECT DISTINCT virtualtransaction FROM pg_locks"
    " WHERE locktype = 'relation' AND relation = 'audit_event'::regclass"
    " AND virtualtransaction = ANY(:writers)"
)


@dataclass
class SealReport:
    sealed: int = 0
    checkpoints: list[Checkpoint] = field(default_factory=list)
    tree_size: int = 0
    horizon: int | None = None
    waiting_for: list[str] = field(default_factory=list)
    """Transactions still writing events when the horizon wait ran out (PostgreSQL)."""
    exported: int = 0
    refused: list["Refusal"] = field(default_factory=list)
    """Events whose MAC does not verify: not sealed (``audit verify`` names them too)."""
    stopped: bool = False
    """A shutdown was asked for: the run ended after the batch in hand."""


@dataclass(frozen=True)
class Refusal:
    seq: int
    action: str
    reason: str

    def __str__(self) -> str:
        return f"seq {self.seq} ({self.action}): {self.reason}"


@dataclass
class Sealer:
    engine: Engine
    key: SigningKey
    clock: Clock
    origin: str
    sink: CheckpointSink | None = None
    batch_size: int = 10_000
    horizon_wait_seconds: float = 10.0
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}")
    keyset: KeySet | None = None
    """With a key set, each checkpoint is signed by the key that signs at that moment."""
    macs: MacKeys | None = None
    """The audit MAC keys that events are checked with (default: this process's)."""
    should_stop: Callable[[], bool] = lambda: False
    """Asked between batches: True ends the run after the batch in hand (SIGTERM)."""
    _heads: dict[UUID, tuple[int, bytes]] = field(default_factory=dict)
    _heads_at: int = -1
    """The tree size the cached heads belong to: another sealer's progress invalidates them."""

    def run(self, *, max_batches: int | None = None) -> SealReport:
        report = SealReport()
        postgres = self.engine.dialect.name == "postgresql"
        horizon = self._postgresql_horizon(report) if postgres else None
        report.horizon = horizon
        if postgres and horizon is None:
            self.export_pending(report)
            return report
        batches = 0
        while max_batches is None or batches < max_batches:
            if self.should_stop():
                report.stopped = True
                break
            checkpoint = self._seal_batch(horizon, report)
            if checkpoint is None:
                break
            report.checkpoints.append(checkpoint)
            batches += 1
        self.export_pending(report)
        return report

    def signing_key(self) -> SigningKey:
        if self.keyset is None:
            return self.key
        signer = self.keyset.signer(self.clock.now())
        return self.key if signer.kid == self.key.kid else SigningKey.from_key(signer)

    # --- the horizon --------------------------------------------------------------------

    def _postgresql_horizon(self, report: SealReport) -> int | None:
        """The highest ``seq`` below which no uncommitted event can still appear."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            horizon = connection.scalar(select(func.max(col(AuditEvent.seq)))) or 0
            writers = list(connection.scalars(WRITERS_ON_AUDIT_EVENT))
            deadline = time.monotonic() + self.horizon_wait_seconds
            pause = 0.002
            while writers:
                if time.monotonic() >= deadline:
                    report.waiting_for = writers
                    return None
                time.sleep(pause)
                pause = min(pause * 2, 0.1)
                writers = list(connection.scalars(STILL_RUNNING, {"writers": writers}))
        return int(horizon)

    # --- one batch ----------------------------------------------------------------------

    def _seal_batch(self, horizon: int | None, report: SealReport) -> Checkpoint | None:
        try:
            return self._seal_batch_once(horizon, report)
        except BaseException:
            self._heads.clear()
            self._heads_at = -1
            raise

    def _seal_batch_once(self, horizon: int | None, report: SealReport) -> Checkpoint | None:
        with self.engine.begin() as connection:
            self._lock(connection)
            latest = latest_checkpoint(connection)
            tree_size = latest.tree_size if latest else 0
            last_seq = latest.last_seq if latest else 0
            if horizon is None:  # SQLite: we hold the only write lock, all else is committed
                horizon = int(connection.scalar(select(func.max(col(AuditEvent.seq)))) or 0)
            rows = connection.execute(
                select(*EVENT_COLUMNS)
                .where(col(AuditEvent.seq) > last_seq, col(AuditEvent.seq) <= horizon)
                .order_by(col(AuditEvent.seq))
                .limit(self.batch_size)
            ).all()
            report.tree_size = tree_size
            if not rows:
                return None
            examined = int(rows[-1].seq)
            rows = self._refuse_forged(connection, rows, report)
            if not rows:
                # Nothing genuine yet after them: the refusals just recorded are sealed by
                # the next run, which then moves past the refused events.
                return None
            if tree_size != self._heads_at:
                self._heads.clear()
            reader = TreeReader(connection)
            frontier = Frontier(tree_size, reader.frontier_hashes(tree_size))
            self._load_heads(connection, rows, last_seq)
            seals, nodes = self._seal_rows(rows, frontier)
            _bulk_insert(connection, AUDIT_SEAL, seals)
            _bulk_insert(connection, AUDIT_TREE_NODE, nodes)
            checkpoint = sign(
                Checkpoint(
                    origin=self.origin,
                    tree_size=frontier.size,
                    root_hash=frontier.root(),
                    last_seq=examined,
                    created_at=self.clock.now(),
                ),
                self.signing_key(),
            )
            stored = {name: value for name, value in asdict(checkpoint).items() if name != "origin"}
            connection.execute(AUDIT_CHECKPOINT.insert().values(**stored))
        self._heads_at = checkpoint.tree_size
        report.sealed += len(rows)
        report.tree_size = checkpoint.tree_size
        return checkpoint

    def _refuse_forged(
        self, connection: Connection, rows: Sequence[Any], report: SealReport
    ) -> list[Any]:
        """The rows whose MAC verifies; the others are reported and recorded, never sealed."""
        macs = self.macs or current()
        genuine = []
        for row in rows:
            reason = macs.check(row._mapping)
            if reason is None:
                genuine.append(row)
                continue
            refusal = Refusal(int(row.seq), str(row.action), reason)
            report.refused.append(refusal)
            log.error(
                "audit event refused by the sealer",
                extra={"seq": refusal.seq, "audit_action": refusal.action, "reason": reason},
            )
            self._record_refusal(connection, refusal)
        return genuine

    def _record_refusal(self, connection: Connection, refusal: Refusal) -> None:

        actor = SystemActor(at=self.clock.now(), job="audit_seal")
        values = {
            "occurred_at": self.clock.now(),
            "action": "audit.event_refused",
            "actor_kind": actor.kind,
            "actor_id": str(actor.key),
            "actor_name": actor.name,
            "subject_person_id": None,
            "object_type": "audit_event",
            "object_id": str(refusal.seq),
            "detail": {"seq": refusal.seq, "refused_action": refusal.action[:64]},
            "ip": None,
            "user_agent": None,
            "means": None,
            "loa": None,
        }
        macs = self.macs or current()
        connection.execute(AUDIT_EVENT.insert().values(**macs.sign(values)))

    def _lock(self, connection: Connection) -> None:
        ensure_lease_row(connection, LOCK_ROW)
        connection.execute(
            update(JobLease).where(col(JobLease.name) == LOCK_ROW).values(holder=self.holder)
        )

    def _load_heads(self, connection: Connection, rows: Sequence[Any], last_seq: int) -> None:
        """The newest sealed event of every person in this batch (index and leaf hash)."""
        if len(self._heads) > HEAD_CACHE_LIMIT:
            self._heads.clear()
        missing = sorted(
            {
                row.subject_person_id
                for row in rows
                if row.subject_person_id is not None and row.subject_person_id not in self._heads
            }
        )
        event, newer = AUDIT_EVENT.alias("e"), AUDIT_EVENT.alias("newer")
        seal = AUDIT_SEAL
        newest = (
            select(func.max(newer.c.seq))
            .where(
                newer.c.subject_person_id == event.c.subject_person_id,
                newer.c.seq <= last_seq,
            )
            .scalar_subquery()
        )
        for start in range(0, len(missing), SUBJECT_CHUNK):
            chunk = missing[start : start + SUBJECT_CHUNK]
            statement = (
                select(event.c.subject_person_id, seal.c.account_index, seal.c.leaf_hash)
                .join(seal, seal.c.seq == event.c.seq)
                .where(event.c.subject_person_id.in_(chunk), event.c.seq == newest)
            )
            for subject, index, digest in connection.execute(statement):
                self._heads[subject] = (int(index), bytes(digest))

    def _seal_rows(
        self, rows: Sequence[Any], frontier: Frontier
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        seals: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for row in rows:
            values = row._mapping
            subject = row.subject_person_id
            head = self._heads.get(subject) if subject is not None else None
            account_index = None if subject is None else (0 if head is None else head[0] + 1)
            salt = os.urandom(16)
            link = Link(
                leaf_index=frontier.size,
                account_index=account_index,
                account_prev=None if head is None else head[1],
                origin=origin_commitment(salt, row.ip, row.user_agent),
            )
            digest = leaf_hash(entry_bytes(event_fields(values), link))
            if subject is not None and account_index is not None:
                self._heads[subject] = (account_index, digest)
            seals.append(
                {
                    "seq": int(row.seq),
                    "occurred_at": row.occurred_at,
                    "leaf_index": link.leaf_index,
                    "account_index": account_index,
                    "account_prev": link.account_prev,
                    "origin_salt": salt,
                    "leaf_hash": digest,
                }
            )
            nodes.extend(
                {"level": level, "idx": index, "hash": value}
                for level, index, value in frontier.append(digest)
                if level % TILE_HEIGHT == 0
            )
        return seals, nodes

    # --- export -------------------------------------------------------------------------

    def export_pending(self, report: SealReport) -> None:
        """Append every checkpoint the sink does not have yet (also after a crash)."""
        if self.sink is None:
            return
        exported = self.sink.last_tree_size()
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(AUDIT_CHECKPOINT)
                .where(col(AuditCheckpoint.tree_size) > exported)
                .order_by(col(AuditCheckpoint.tree_size))
            ).all()
        records = [
            Checkpoint.from_row(row, self.origin).record(self._public_jwk(row.key_id))
            for row in rows
        ]
        self.sink.append(records)
        report.exported += len(records)

    def _public_jwk(self, kid: str) -> dict[str, Any] | None:
        if kid == self.key.kid:
            return self.key.public_jwk
        key = self.keyset.get(kid) if self.keyset is not None else None
        return key.public_jwk() if key is not None and key.private_key is not None else None


def _bulk_insert(connection: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """COPY on PostgreSQL (the sealer writes two rows per event), executemany elsewhere."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    names = list(rows[0])
    driver = connection.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table.name} ({', '.join(names)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[name] for name in names])


def log_origin(public_url: str) -> str:
    """The log's name in every checkpoint: the service's own address."""
    return f"{public_url.rstrip('/')}/audit"


def sealer_for(
    engine: Engine, settings: Any, clock: Clock, should_stop: Callable[[], bool] = lambda: False
) -> Sealer:
    """The sealer as configured: the checkpoint keys, the checkpoint directory."""
    from machtigen.audit.checkpoints import FileSink
    from machtigen.keys import AUDIT_CHECKPOINT, load_keyset

    directory = settings.audit_checkpoint_dir
    keyset = load_keyset(settings, AUDIT_CHECKPOINT)
    return Sealer(
        engine=engine,
        key=SigningKey.from_key(keyset.signer(clock.now())),
        keyset=keyset,
        should_stop=should_stop,
        clock=clock,
        origin=log_origin(settings.public_url),
        sink=FileSink(directory) if directory else None,
        batch_size=settings.audit_seal_batch_size,
        horizon_wait_seconds=settings.audit_horizon_wait_seconds,
    )
