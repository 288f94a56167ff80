#!/usr/bin/env python3
"""Check a 百业千店 evidence pack: python3 verify_pack.py 证据包.zip [--jwks FILE_OR_URL]

Needs Python 3.9+ and the `cryptography` package (pip install cryptography); nothing else.

The pack's ledger/ folder holds the period's ledger entries (entries.jsonl, one event per line, exactly the
bytes the log hashed), a signed checkpoint of the whole log (checkpoint.txt, a C2SP signed note: origin,
tree size, root hash), the hashes that tie the entries to that root (proof.json) and the figures the pack
reports (totals.json). This program:
  1. checks the checkpoint's Ed25519 signature with the service's public key (ledger/jwks.json, or the
     published one given with --jwks: https://<site>/.well-known/jwks.json);
  2. rebuilds the Merkle tree root (RFC 6962 hashing) from the entries and the proof's hashes and compares
     it with the signed root: an entry changed, removed, added or moved makes them differ;
  3. recounts the period's redemptions from the entries (a voided one does not count) and compares the
     count, the people served, the bills and the discounts, in all and by category and by shop, with the
     figures the pack reports.
Exit status 0 when everything agrees ("通过"), 1 otherwise, saying what differs.
"""
import argparse
import base64
import hashlib
import json
import sys
import urllib.request
import zipfile
from bisect import bisect_left

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

SIGNATURE_DASH = "\u2014 "  # a signed note's signature lines start with an em dash and a space
ED25519_NOTE_TYPE = b"\x01"


class PackError(Exception):
    """What differs, in words."""


# --- RFC 6962 hashing ------------------------------------------------------------------------

def leaf_hash(body):
    return hashlib.sha256(b"\x00" + body).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(size):
    """RFC 6962's split point: the largest power of two smaller than `size` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def root_from(known, given, lo, hi):
    """The hash of the subtree over leaves [lo, hi): from `known` ({index: leaf hash}, with its indices sorted
    in `known.order`) where it holds leaves, else from `given` ({(lo, hi): hash}, the proof)."""
    first = bisect_left(known.order, lo)
    if first == len(known.order) or known.order[first] >= hi:
        if (lo, hi) not in given:
            raise PackError(f"the proof lacks the hash of leaves {lo}..{hi - 1}")
        return given[(lo, hi)]
    if hi - lo == 1:
        return known[lo]
    k = split(hi - lo)
    return node_hash(root_from(known, given, lo, lo + k), root_from(known, given, lo + k, hi))


class Known(dict):
    """Leaf hashes by index, with the indices in order (for root_from)."""

    def __init__(self, hashes):
        super().__init__(hashes)
        self.order = sorted(self)


# --- signed notes (C2SP signed-note, tlog-checkpoint) ----------------------------------------

def note_key_hash(name, public_raw):
    """The 4-byte key hash a signed note's signature line starts with (Ed25519 keys)."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519_NOTE_TYPE + public_raw).digest()[:4]


def parse_checkpoint(note):
    """(body, origin, size, root, [(key name, key hash, signature)]) of a checkpoint's text."""
    body, sep, signatures = note.partition("\n\n")
    if not sep or not body:
        raise PackError("the checkpoint is not a signed note (no blank line before its signatures)")
    body += "\n"
    lines = body.split("\n")
    if len(lines) < 4 or not lines[1].isdigit():
        raise PackError("the checkpoint's text is not origin, tree size and root hash")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        raise PackError("the checkpoint's root hash is not base64") from None
    if len(root) != 32:
        raise PackError("the checkpoint's root hash is not 32 bytes")
    sigs = []
    for line in signatures.splitlines():
        if not line.startswith(SIGNATURE_DASH):
            raise PackError(f"not a signature line: {line[:40]!r}")
        name, _, blob = line[len(SIGNATURE_DASH):].rpartition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError:
            raise PackError("a signature of the checkpoint is not base64") from None
        sigs.append((name, raw[:4], raw[4:]))
    return body, lines[0], int(lines[1]), root, sigs


def check_signature(note, keys):
    """The kid of the key in `keys` ({kid: 32-byte public key}) that signed the note; PackError if none did."""
    body, origin, _size, _root, sigs = parse_checkpoint(note)
    for name, key_hash, signature in sigs:
        for kid, public_raw in keys.items():
            if name == origin and note_key_hash(name, public_raw) == key_hash:
                try:
                    Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, body.encode())
                except InvalidSignature:
                    raise PackError(f"the checkpoint's signature (key {kid}) is not genuine") from None
                return kid
    raise PackError("the checkpoint is not signed by any of the service's keys")


def jwks_keys(document):
    """{kid: raw public key} of a JWK set's Ed25519 keys."""
    keys = {}
    for key in json.loads(document).get("keys", []):
        if key.get("kty") == "OKP" and key.get("crv") == "Ed25519":
            keys[key["kid"]] = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
    return keys


# --- the pack --------------------------------------------------------------------------------

def read_entries(data):
    """The entries' leaf hashes by index, and their lines, from entries.jsonl's bytes."""
    hashes, lines = {}, []
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line:
            continue
        try:
            event = json.loads(line)
            index = event["seq"]
        except (ValueError, KeyError, TypeError):
            raise PackError(f"entries.jsonl line {number} is not a ledger entry") from None
        if not isinstance(index, int) or index < 0 or index in hashes:
            raise PackError(f"entries.jsonl line {number}: entry number {index!r} is invalid or repeated")
        hashes[index] = leaf_hash(line)
        lines.append(line)
    return hashes, lines


def recount(events):
    """The figures of the entries (an iterable of parsed events, read once): redemptions not voided, people,
    bill and discount, in all and by category and by shop (the shape of totals.json)."""
    redeemed, voided = {}, set()
    for e in events:
        if e["event"] == "voided":
            voided.add(e["redemption"])
        elif e["event"] == "redeemed":
            redeemed[e["redemption"]] = (str(e["category"]), str(e["shop"]), e["member"], e["bill"], e["discount"])
    kept = [row for redemption, row in redeemed.items() if redemption not in voided]

    def figures(rows):
        return {"redemptions": len(rows), "people": len({row[2] for row in rows}),
                "bill": sum(row[3] for row in rows), "discount": sum(row[4] for row in rows)}

    def by(column):
        groups = {}
        for row in kept:
            groups.setdefault(row[column], []).append(row)
        return {name: figures(rows) for name, rows in sorted(groups.items())}

    return {**figures(kept), "by_category": by(0), "by_shop": by(1)}


def compare(stated, counted, where="in all"):
    """Lines saying where the pack's figures differ from the recount."""
    problems = []
    for name in ("redemptions", "people", "bill", "discount"):
        if stated.get(name) != counted.get(name):
            problems.append(f"{name} {where}: the pack says {stated.get(name)}, the entries count {counted.get(name)}")
    for group in ("by_category", "by_shop"):
        if group not in stated:
            continue
        for key in sorted(set(stated[group]) | set(counted.get(group, {}))):
            problems += compare(stated[group].get(key, {}), counted[group].get(key, {}), f"{group[3:]} {key}")
    return problems


def fetch(source):
    if source.startswith(("https://", "http://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 - a URL the user gave
            return response.read()
    with open(source, "rb") as handle:
        return handle.read()


def verify(path, jwks=None):
    """A summary of what was checked; PackError saying what differs."""
    try:
        pack = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise PackError(f"cannot open the pack: {err}") from None
    with pack:
        def part(name):
            try:
                return pack.read("ledger/" + name)
            except KeyError:
                raise PackError(f"the pack has no ledger/{name}") from None

        note = part("checkpoint.txt").decode("utf-8")
        keys = jwks_keys(jwks if jwks is not None else part("jwks.json"))
        kid = check_signature(note, keys)
        _body, origin, size, root, _sigs = parse_checkpoint(note)
        known, lines = read_entries(part("entries.jsonl"))
        proof = json.loads(part("proof.json"))
        totals = json.loads(part("totals.json"))
    if proof.get("tree_size") != size:
        raise PackError(f"the proof is for a tree of {proof.get('tree_size')} entries, the checkpoint of {size}")
    if known and max(known) >= size:
        raise PackError(f"entry {max(known)} is beyond the checkpoint's {size} entries")
    given = {(lo, hi): base64.b64decode(h) for lo, hi, h in proof.get("hashes", [])}
    if size == 0:
        rebuilt = hashlib.sha256(b"").digest()
    else:
        rebuilt = root_from(Known(known), given, 0, size)
    if rebuilt != root:
        raise PackError("the entries do not match the signed checkpoint: an entry was changed, removed, added "
                        "or moved (the root hash rebuilt from them differs from the signed one)")
    counted = recount(json.loads(line) for line in lines)
    problems = compare(totals, counted)
    if problems:
        raise PackError("the figures differ from a recount of the entries:\n  " + "\n  ".join(problems))
    return (f"log {origin}: {size} entries, root {base64.b64encode(root).decode()}, signed by key {kid}\n"
            f"{len(lines)} entries of the period match it; {counted['redemptions']} redemptions, "
            f"{counted['people']} people, discount {counted['discount'] / 100:.2f} yuan agree with the recount")


def main(argv=None):
    parser = argparse.ArgumentParser(description="Check a 百业千店 evidence pack (核验证据包).")
    parser.add_argument("pack", help="the evidence pack, a .zip file")
    parser.add_argument("--jwks", help="the service's published keys (a file, or https://<site>/.well-known/jwks.json) "
                                       "instead of the copy in the pack")
    args = parser.parse_args(argv)
    try:
        summary = verify(args.pack, fetch(args.jwks) if args.jwks else None)
    except PackError as err:
        print(f"不通过 FAILED: {err}")
        return 1
    except (OSError, ValueError) as err:
        print(f"不通过 FAILED: cannot read {args.jwks or args.pack}: {err}")
        return 1
    except (KeyError, TypeError, AttributeError, IndexError) as err:
        print(f"不通过 FAILED: the pack's ledger files are not in the expected form ({type(err).__name__}: {err})")
        return 1
    print(f"通过 OK: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
