"""Reading the sealed tree from the database: stored hashes, complete subtrees, proofs."""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.audit.chain import (
    TILE_HEIGHT,
    fold_perfect,
    inclusion_ranges,
    perfect_subtrees,
    range_hash,
    stored_span,
)
from machtigen.audit.models import (
    AUDIT_CHECKPOINT,
    AuditCheckpoint,
    AuditSeal,
    AuditTreeNode,
)

CHUNK = 500


class MissingNode(LookupError):
    pass


class TreeReader:
    """Complete-subtree hashes of the sealed tree, fetched in bulk and kept for this reader."""

    def __init__(self, bind: Connection | Session) -> None:
        self.bind = bind
        self._stored: dict[tuple[int, int], bytes] = {}

    def prefetch(self, subtrees: Iterable[tuple[int, int]]) -> None:
        """Fetch every stored hash the given complete subtrees need, a few queries per level."""
        wanted: dict[int, set[int]] = defaultdict(set)
        for level, index in subtrees:
            base, first, stop = stored_span(level, index)
            wanted[base].update(i for i in range(first, stop) if (base, i) not in self._stored)
        for level, indices in wanted.items():
            ordered = sorted(indices)
            for start in range(0, len(ordered), CHUNK):
                self._fetch(level, ordered[start : start + CHUNK])

    def _fetch(self, level: int, indices: list[int]) -> None:
        if level == 0:
            statement = select(col(AuditSeal.leaf_index), col(AuditSeal.leaf_hash)).where(
                col(AuditSeal.leaf_index).in_(indices)
            )
        else:
            statement = select(col(AuditTreeNode.idx), col(AuditTreeNode.hash)).where(
                col(AuditTreeNode.level) == level, col(AuditTreeNode.idx).in_(indices)
            )
        for index, value in self.bind.execute(statement):
            self._stored[(level, int(index))] = bytes(value)

    def stored(self, level: int, index: int) -> bytes:
        found = self._stored.get((level, index))
        if found is None:
            self._fetch(level, [index])
            found = self._stored.get((level, index))
        if found is None:
            raise MissingNode(f"tree hash at level {level}, index {index} is missing")
        return found

    def perfect(self, level: int, index: int) -> bytes:
        if level % TILE_HEIGHT == 0:
            return self.stored(level, index)
        base, first, stop = stored_span(level, index)
        return fold_perfect([self.stored(base, i) for i in range(first, stop)])

    def frontier_hashes(self, size: int) -> list[bytes]:
        subtrees = perfect_subtrees(0, size)
        self.prefetch(subtrees)
        return [self.perfect(level, index) for level, index in subtrees]

    def inclusion_proof(self, leaf_index: int, tree_size: int) -> list[bytes]:
        ranges = inclusion_ranges(leaf_index, tree_size)
        return [range_hash(start, end, self.perfect) for start, end in ranges]

    def prefetch_proofs(self, leaf_indices: Iterable[int], tree_size: int) -> None:
        subtrees = [
            subtree
            for leaf in leaf_indices
            for start, end in inclusion_ranges(leaf, tree_size)
            for subtree in perfect_subtrees(start, end)
        ]
        self.prefetch(subtrees)


def latest_checkpoint(bind: Connection | Session) -> AuditCheckpoint | None:
    row = bind.execute(
        select(AUDIT_CHECKPOINT).order_by(col(AuditCheckpoint.tree_size).desc()).limit(1)
    ).first()
    return None if row is None else AuditCheckpoint(**row._asdict())
