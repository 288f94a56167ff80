"""The Merkle tree of the ledger (RFC 6962 / RFC 9162 hashing): roots and proofs over a list of leaf hashes.

The hashing itself is tools/verify_pack.py's, the program shipped to inspectors, so that the server and the
inspector hash alike by construction. `Tree` holds every level of the tree once (about two hashes per leaf)
and answers any subtree's hash by lookup: RFC 6962's recursion only ever asks for a perfect subtree
([i·2^j, (i+1)·2^j)) or one that ends at the tree's right edge, and building the levels pairwise, carrying an
odd last node up unchanged, gives exactly those hashes.
"""
import hashlib
from bisect import bisect_left

from tools.verify_pack import Known, leaf_hash, node_hash, root_from, split

EMPTY_ROOT = hashlib.sha256(b"").digest()

__all__ = ["EMPTY_ROOT", "Tree", "leaf_hash", "node_hash", "root_from", "Known"]


class Tree:
    """The tree over `leaves` (their leaf hashes, in order)."""

    def __init__(self, leaves):
        self.levels = [list(leaves)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            if len(below) % 2:
                above.append(below[-1])
            self.levels.append(above)

    @property
    def size(self):
        return len(self.levels[0])

    def subtree(self, lo, hi):
        """The hash of the subtree over leaves [lo, hi) of a tree of any size ≥ hi, as RFC 6962's recursion
        meets it: [lo, hi) perfect and aligned, or ending at this tree's edge."""
        level = (hi - lo - 1).bit_length()
        if hi - lo != 1 << level and hi != self.size:
            # A prefix tree's right-edge subtree that is not one of this tree's nodes: build it from its parts.
            k = split(hi - lo)
            return node_hash(self.subtree(lo, lo + k), self.subtree(lo + k, hi))
        return self.levels[level][lo >> level]

    def root(self, size=None):
        """The root of the first `size` leaves (all by default): RFC 6962's MTH(D[0:size])."""
        size = self.size if size is None else size
        if size == 0:
            return EMPTY_ROOT
        return self.subtree(0, size)

    def inclusion(self, index, size=None):
        """RFC 6962 PATH(index, D[0:size]): the audit path, bottom up."""
        size = self.size if size is None else size
        path, lo, hi = [], 0, size
        while hi - lo > 1:
            k = split(hi - lo)
            if index < lo + k:
                path.append(self.subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.subtree(lo, lo + k))
                lo += k
        return path[::-1]

    def consistency(self, old, new=None):
        """RFC 6962 PROOF(old, D[0:new]): that the tree of `old` leaves is a prefix of the tree of `new`."""
        new = self.size if new is None else new
        if old == 0 or old == new:
            return []
        path, lo, hi, whole = [], 0, new, True
        while True:
            n = hi - lo
            if old - lo == n:  # the old tree's part is this whole subtree
                if not whole:
                    path.append(self.subtree(lo, hi))
                break
            k = split(n)
            if old - lo <= k:
                path.append(self.subtree(lo + k, hi))
                hi = lo + k
            else:
                path.append(self.subtree(lo, lo + k))
                lo, whole = lo + k, False
        return path[::-1]

    def batch_proof(self, indices, size=None):
        """The hashes that, with the leaves at `indices`, rebuild the root of the first `size` leaves
        (tools/verify_pack.root_from): [(lo, hi, hash)] of every subtree holding none of them."""
        size = self.size if size is None else size
        order = sorted(indices)
        hashes = []

        def walk(lo, hi):
            first = bisect_left(order, lo)
            if first == len(order) or order[first] >= hi:
                hashes.append((lo, hi, self.subtree(lo, hi)))
            elif hi - lo > 1:
                k = split(hi - lo)
                walk(lo, lo + k)
                walk(lo + k, hi)

        if size:
            walk(0, size)
        return hashes
