#!/usr/bin/env python3
"""Check a 百业千店 evidence pack: python3 verify_pack.py 证据包.zip [--jwks FILE_OR_URL]

Needs Python 3.9+ and the `cryptography` package (pip install cryptography); nothing else.

With the service's Ed25519 keys (the published ones with --jwks https://<site>/.well-known/jwks.json, else the
copy in ledger/jwks.json) it checks the signed manifest (ledger/manifest.txt): every file of the pack is there
with its SHA-256; the signed checkpoint (ledger/checkpoint.txt, a C2SP note): the Merkle root (RFC 6962) rebuilt
from the period's entries (ledger/entries.jsonl) and the proof (ledger/proof.json) equals it; every entry is of
the pack's period; a recount of the entries equals the figures stated (ledger/totals.json).
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

MANIFEST = "ledger/manifest.txt"
MAX_FILE = 4 << 30  # no genuine part of a pack is larger (a zip bomb is)
SIGNATURE_DASH = "\u2014 "  # a signed note's signature lines start with an em dash and a space


class PackError(Exception):
    """What differs, in words."""


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


class Known(dict):  # leaf hashes by index, with the indices in order (for root_from)

    def __init__(self, hashes):
        super().__init__(hashes)
        self.order = sorted(self)


def note_key_hash(name, public_raw):
    """The 4-byte key hash a signed note's signature line starts with (Ed25519 keys)."""
    return hashlib.sha256(name.encode() + b"\n\x01" + public_raw).digest()[:4]


def parse_note(note, what="checkpoint"):
    """(body, its lines, [(key name, key hash, signature)]) of a signed note's text."""
    body, sep, signatures = note.partition("\n\n")
    if not sep or not body:
        raise PackError(f"the {what} is not a signed note (no blank line before its signatures)")
    body += "\n"
    sigs = []
    for line in signatures.splitlines():
        if not line.startswith(SIGNATURE_DASH):
            raise PackError(f"not a signature line: {line[:40]!r}")
        name, _, blob = line[len(SIGNATURE_DASH):].rpartition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError:
            raise PackError(f"a signature of the {what} is not base64") from None
        sigs.append((name, raw[:4], raw[4:]))
    return body, body.split("\n"), sigs


def parse_checkpoint(note):
    """(body, origin, size, root, signatures) of a checkpoint's text."""
    body, lines, sigs = parse_note(note)
    if len(lines) < 4 or not lines[1].isdigit() or len(lines[1]) > 19:
        raise PackError("the checkpoint's text is not origin, tree size and root hash")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        root = b""
    if len(root) != 32:
        raise PackError("the checkpoint's root hash is not 32 bytes in base64")
    return body, lines[0], int(lines[1]), root, sigs


def check_signature(note, keys, what="checkpoint"):
    """The kid of the key in `keys` ({kid: raw public key}) that signed the note as its first line's name."""
    body, lines, sigs = parse_note(note, what)
    for name, key_hash, signature in sigs:
        for kid, public_raw in keys.items():
            if name == lines[0] and note_key_hash(name, public_raw) == key_hash:
                try:
                    Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, body.encode())
                except InvalidSignature:
                    raise PackError(f"the {what}'s signature (key {kid}) is not genuine") from None
                return kid
    raise PackError(f"the {what} is not signed by any of the service's keys")


def parse_manifest(note):
    """({period, checkpoint, entries}, {file name: sha256 hex}) of the manifest's text (its signature apart): origin
    / "evidence-pack 1" / "period FROM TO" / "checkpoint SIZE ROOT" / "entries N" / "file SHA256 NAME" ..."""
    _body, lines, _sigs = parse_note(note, "manifest")
    fields, files = {}, {}
    for line in lines[2:-1]:
        word, _, rest = line.partition(" ")
        if word == "file":
            digest, _, name = rest.partition(" ")
            files[name] = digest
        else:
            fields[word] = rest
    if lines[1:2] != ["evidence-pack 1"] or not {"period", "checkpoint", "entries"} <= set(fields):
        raise PackError("the manifest is not an evidence pack's manifest")
    return fields, files


def jwks_keys(document):
    """{kid: raw public key} of a JWK set's Ed25519 keys."""
    keys = {}
    for key in json.loads(document).get("keys", []):
        if key.get("kty") == "OKP" and key.get("crv") == "Ed25519":
            keys[key["kid"]] = base64.urlsafe_b64decode(key["x"] + "=" * (-len(key["x"]) % 4))
    return keys


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


def recount(events, first="", last="\uffff"):
    """The figures of the entries (an iterable of parsed events, read once, each of a day in first..last):
    redemptions not voided, people, bill and discount, in all and by category and by shop (totals.json's shape)."""
    redeemed, voided = {}, set()
    for e in events:
        if not first <= e["day"] <= last:
            raise PackError(f"entry {e['seq']} is of a day outside the pack's period {first}..{last}")
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


def check_files(pack, listed):
    """Every file of the pack but the manifest is listed in it with its SHA-256, and every listed file is there."""
    names = set(pack.namelist()) - {MANIFEST}
    for name in sorted(names | set(listed)):
        if name not in listed or name not in names:
            raise PackError(f"{name}: {'not in the manifest (added)' if name in names else 'missing from the pack'}")
        digest = hashlib.sha256()
        with pack.open(name) as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != listed[name]:
            raise PackError(f"{name}: changed since the service built the pack (its SHA-256 differs from the manifest)")


def fetch(source):
    if source.startswith(("https://", "http://")):
        return urllib.request.urlopen(source, timeout=30).read()  # noqa: S310 - a URL the user gave
    with open(source, "rb") as handle:
        return handle.read()


def verify(path, jwks=None):
    """A summary of what was checked; PackError saying what differs."""
    try:
        pack = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise PackError(f"cannot open the pack: {err}") from None
    with pack:
        for info in pack.infolist():  # a zip bomb is refused before anything is read
            if info.file_size > MAX_FILE or info.file_size > 200 * info.compress_size + (1 << 20):
                raise PackError(f"{info.filename}: too large to be a genuine part of a pack ({info.file_size} bytes)")

        def part(name):
            try:
                return pack.read("ledger/" + name)
            except KeyError:
                raise PackError(f"the pack has no ledger/{name}") from None

        keys = jwks_keys(jwks if jwks is not None else part("jwks.json"))
        manifest_note = part("manifest.txt").decode("utf-8")
        check_signature(manifest_note, keys, "manifest")
        manifest, files = parse_manifest(manifest_note)
        check_files(pack, files)
        note = part("checkpoint.txt").decode("utf-8")
        kid = check_signature(note, keys)
        _body, origin, size, root, _sigs = parse_checkpoint(note)
        known, lines = read_entries(part("entries.jsonl"))
        proof = json.loads(part("proof.json"))
        totals = json.loads(part("totals.json"))
    first, _, last = manifest["period"].partition(" ")
    if manifest["checkpoint"] != f"{size} {base64.b64encode(root).decode()}" or manifest["entries"] != str(len(lines)):
        raise PackError("the manifest names another checkpoint or another number of entries than the pack holds")
    if [totals.get("from"), totals.get("to")] != [first, last]:
        raise PackError(f"the figures are stated for {totals.get('from')}..{totals.get('to')}, "
                        f"the pack is of {first}..{last}")
    if known and max(known) >= size:
        raise PackError(f"entry {max(known)} is beyond the checkpoint's {size} entries")
    given = {(lo, hi): base64.b64decode(h) for lo, hi, h in proof.get("hashes", [])}
    rebuilt = root_from(Known(known), given, 0, size) if size else hashlib.sha256(b"").digest()
    if rebuilt != root:
        raise PackError("the entries do not match the signed checkpoint: an entry was changed, removed, added "
                        "or moved (the root hash rebuilt from them differs from the signed one)")
    counted = recount((json.loads(line) for line in lines), first, last)
    problems = compare(totals, counted)
    if problems:
        raise PackError("the figures differ from a recount of the entries:\n  " + "\n  ".join(problems))
    return (f"the pack of {first}..{last}, every file as the service signed it; log {origin}: {size} entries, root "
            f"{base64.b64encode(root).decode()}, signed by key {kid} ({keys[kid].hex()})\n{len(lines)} entries of the "
            f"period match it; {counted['redemptions']} redemptions, {counted['people']} people, discount "
            f"{counted['discount'] / 100:.2f} yuan agree with the recount")


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
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, MemoryError) as err:
        print(f"不通过 FAILED: cannot read {args.jwks or args.pack} as expected ({type(err).__name__}: {err})")
        return 1
    if args.jwks:
        print(f"通过 OK: {summary}")
    else:  # the pack vouched for its own key: a forger can ship theirs
        print(f"通过 OK（仅用证据包自带的公钥核对 / checked with the key the pack carries only）: {summary}\n"
              "请用 --jwks https://<网站>/.well-known/jwks.json 再运行一次，对照系统公布的公钥。")
    return 0


if __name__ == "__main__":
    sys.exit(main())
