"""The audit trail: one row per security-relevant act, written in the act's transaction,
and the append-only tables that seal it (Merkle leaves, tree nodes, signed checkpoints)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from machtigen.db import UTCDateTime
from machtigen.models_base import moment, sequence_field


class AuditEvent(SQLModel, table=True):
    """On PostgreSQL range-partitioned by month of ``occurred_at`` (migration 0007; the
    primary key there is (seq, occurred_at)); one table on SQLite."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_subject_seq", "subject_person_id", "seq"),
        Index("ux_audit_event_event_id", "event_id", "occurred_at", unique=True),
    )

    seq: int | None = sequence_field()
    occurred_at: datetime = moment()
    action: str = Field(max_length=64)
    actor_kind: str = Field(max_length=16)
    actor_id: str = Field(max_length=64)
    actor_name: str = Field(default="", max_length=200)
    subject_person_id: UUID | None = Field(default=None, foreign_key="person.id")
    """Whose account the act concerns (the represented person when a representative acts)."""
    object_type: str | None = Field(default=None, max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=300)
    means: str | None = Field(default=None, max_length=32)
    loa: str | None = Field(default=None, max_length=64)
    event_id: UUID | None = None
    """Unique per event (with ``occurred_at``): a copied row is refused. See ``audit.mac``."""
    mac_key_id: str | None = Field(default=None, max_length=64)
    """The ``audit_mac`` key that made ``mac`` (``legacy``: written before MACs, sealed then)."""
    mac: bytes | None = Field(default=None, sa_column=Column(LargeBinary(32), nullable=True))
    """HMAC-SHA-256 over the event's canonical form (``machtigen.audit.mac``)."""


class AuditSeal(SQLModel, table=True):
    """How one event was sealed: its leaf in the global Merkle tree and its account-chain link.

    Written once by the sealer, never changed (grants and triggers refuse UPDATE and DELETE).
    The event row itself is never touched: the hot path only ever INSERTs events.
    """

    __tablename__ = "audit_seal"
    __table_args__ = (
        UniqueConstraint("leaf_index", "occurred_at", name="uq_audit_seal_leaf_index"),
    )

    seq: int = Field(
        sa_column=Column(
            BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
        )
    )
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    """The event's moment: both tables are partitioned by its month on PostgreSQL."""
    leaf_index: int = Field(sa_column=Column(BigInteger, nullable=False))
    """Position in the global tree (events in ``seq`` order, gaps of rolled-back seqs skipped)."""
    account_index: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    """Position in the subject's own chain (0 = first); empty for events about nobody."""
    account_prev: bytes | None = Field(default=None, sa_column=Column(LargeBinary(32)))
    """The leaf hash of the subject's previous event (empty for the first)."""
    origin_salt: bytes = Field(sa_column=Column(LargeBinary(16), nullable=False))
    """Random salt of the commitment to IP address and user agent (redactable in an export)."""
    leaf_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class AuditTreeNode(SQLModel, table=True):
    """A complete subtree of the global Merkle tree, kept for inclusion proofs.

    Only every fourth level is kept (a "tile" of 16 below each): the levels between are
    recomputed from at most 16 stored hashes. Level 0 (the leaves) is ``audit_seal``.
    """

    __tablename__ = "audit_tree_node"

    level: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    idx: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))


class AuditCheckpoint(SQLModel, table=True):
    """A signed tree head: the log's size and Merkle root at one moment, signed with the
    service's key (a JWS) and also exported outside the database."""

    __tablename__ = "audit_checkpoint"
    __table_args__ = (UniqueConstraint("tree_size", name="uq_audit_checkpoint_tree_size"),)

    id: int | None = sequence_field()
    tree_size: int = Field(sa_column=Column(BigInteger, nullable=False))
    root_hash: bytes = Field(sa_column=Column(LargeBinary(32), nullable=False))
    last_seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    """The highest event ``seq`` in the tree; every committed event up to it is sealed."""
    created_at: datetime = moment()
    key_id: str = Field(max_length=64)
    signed: str = Field(sa_column=Column(Text, nullable=False))
    """The compact JWS (ES256) over the checkpoint's fields."""


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a model (SQLModel's classes do not declare ``__table__`` for mypy)."""
    table: Table = getattr(model, "__table__")  # noqa: B009
    return table


AUDIT_EVENT = table_of(AuditEvent)
AUDIT_SEAL = table_of(AuditSeal)
AUDIT_TREE_NODE = table_of(AuditTreeNode)
AUDIT_CHECKPOINT = table_of(AuditCheckpoint)
