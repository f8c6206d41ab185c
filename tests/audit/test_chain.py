"""The tree is RFC 6962's: compared with a direct implementation of MTH for every size."""

import hashlib

import pytest

from machtigen.audit.chain import (
    Frontier,
    ProofError,
    fold_perfect,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    perfect_subtrees,
    range_hash,
    root_from_inclusion,
    stored_span,
)
from machtigen.audit.text import encode_free_text, spreadsheet_safe


def mth(leaves):
    """RFC 6962 §2.1, literally."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


LEAVES = [leaf_hash(str(i).encode()) for i in range(70)]


def test_leaf_and_node_hashes_are_domain_separated():
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


def test_frontier_roots_and_inclusion_proofs_match_rfc_6962():
    nodes, frontier = {}, Frontier()
    for index, leaf in enumerate(LEAVES):
        for level, idx, value in frontier.append(leaf):
            nodes[(level, idx)] = value
        assert frontier.root() == mth(LEAVES[: index + 1])

    def perfect(level, idx):
        return LEAVES[idx] if level == 0 else nodes[(level, idx)]

    for size in range(1, len(LEAVES) + 1):
        root = mth(LEAVES[:size])
        for index in range(size):
            path = [range_hash(a, b, perfect) for a, b in inclusion_ranges(index, size)]
            assert root_from_inclusion(index, size, LEAVES[index], path) == root
            if path:
                assert root_from_inclusion(index, size, LEAVES[index - 1], path) != root
        restored = Frontier(size, [perfect(level, i) for level, i in perfect_subtrees(0, size)])
        assert restored.root() == root
    for (level, idx), value in nodes.items():
        base, first, stop = stored_span(level, idx)
        assert fold_perfect([perfect(base, i) for i in range(first, stop)]) == value


def test_a_proof_of_the_wrong_length_is_refused():
    with pytest.raises(ProofError):
        root_from_inclusion(3, 8, LEAVES[3], [LEAVES[0]])
    with pytest.raises(ProofError):
        inclusion_ranges(8, 8)


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("plain text", "plain text"),
        ("two\nlines", "two\\nlines"),
        ("cr\r\nlf", "cr\\r\\nlf"),
        ("back\\slash", "back\\\\slash"),
        ("sep\u2028arator", "sep\\u2028arator"),
        ("rtl\u202eevil", "rtl\\u202eevil"),
        ("bell\x07", "bell\\x07"),
    ],
)
def test_free_text_is_one_visible_line(raw, encoded):
    assert encode_free_text(raw) == encoded


def test_spreadsheet_formulas_are_neutralised():
    assert spreadsheet_safe("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    assert spreadsheet_safe("+31 6") == "'+31 6"
    assert spreadsheet_safe("Koen") == "Koen"
