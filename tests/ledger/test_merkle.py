"""The tree's roots and proofs against RFC 6962's definitions, checked with RFC 9162's verification algorithms
(written here from the RFC, independently of ledger.merkle)."""
import random

import pytest

from ledger.merkle import EMPTY_ROOT, Known, Tree, leaf_hash, node_hash, root_from


def mth(hashes):
    """RFC 6962 section 2.1, literally."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(mth(hashes[:k]), mth(hashes[k:]))


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 section 2.1.3.2."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(m, n, proof, first, second):
    """RFC 9162 section 2.1.4.2."""
    if m == n:
        return not proof and first == second
    if m & (m - 1) == 0:
        proof = [first] + proof
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first and sr == second


def leaves(n):
    return [leaf_hash(f"entry {i}".encode()) for i in range(n)]


def test_leaf_and_node_hashes_are_rfc_6962s():
    # RFC 6962 prefixes: 0x00 for a leaf, 0x01 for a node; the empty tree hashes the empty string.
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 31, 32, 33, 64, 100])
def test_every_prefix_root_and_proof_agrees_with_the_rfc(size):
    hashes = leaves(size)
    tree = Tree(hashes)
    assert tree.root() == mth(hashes)
    for prefix in range(size + 1):
        root = mth(hashes[:prefix])
        assert tree.root(prefix) == root
        for index in range(prefix):
            assert verify_inclusion(index, prefix, hashes[index], tree.inclusion(index, prefix), root)
        for old in range(1, prefix + 1):
            assert verify_consistency(old, prefix, tree.consistency(old, prefix), mth(hashes[:old]), root)


def test_a_wrong_proof_does_not_verify():
    hashes = leaves(21)
    tree = Tree(hashes)
    path = tree.inclusion(6)
    assert not verify_inclusion(7, 21, hashes[6], path, tree.root())  # another index
    assert not verify_inclusion(6, 21, hashes[7], path, tree.root())  # another leaf
    assert not verify_consistency(5, 21, tree.consistency(6), mth(hashes[:5]), tree.root())


@pytest.mark.parametrize("size", [1, 2, 6, 17, 64, 129])
def test_a_batch_proof_rebuilds_the_root_from_any_set_of_leaves(size):
    hashes = leaves(size)
    tree = Tree(hashes)
    rng = random.Random(size)
    for _ in range(20):
        indices = rng.sample(range(size), rng.randint(0, size))
        given = {(lo, hi): h for lo, hi, h in tree.batch_proof(indices)}
        assert root_from(Known({i: hashes[i] for i in indices}), given, 0, size) == tree.root()
        if indices:  # one leaf changed: another root
            changed = {i: hashes[i] for i in indices} | {indices[0]: leaf_hash(b"changed")}
            assert root_from(Known(changed), given, 0, size) != tree.root()
