"""Checkpoints as C2SP signed notes (c2sp.org/tlog-checkpoint, c2sp.org/signed-note), signed with Ed25519.

    baiye-qiandian/ledger
    1093
    Z3vJ0y4tJrjGJ2l2PqH2vB3n0p5G6cQz0xG5bQm3yJ4=
    time 2026-12-06T02:00:00Z

    — baiye-qiandian/ledger qQn6CkV0…(base64 of the 4-byte key hash and the 64-byte signature)

The first three lines are the checkpoint proper (origin, tree size, root hash); `time` is an extension line
saying when it was signed. An evidence pack's manifest is a signed note too (sign_manifest). The signature covers every line above the blank one. The key is the service's
current Ed25519 signing key (verification.tokens, published at /.well-known/jwks.json with its kid). A note
never reads as a signed QR code: its first line holds a "/", which a code's key id cannot.
"""
import base64

from flask import current_app

from tools.verify_pack import PackError, check_signature, note_key_hash, parse_checkpoint
from verification import tokens

__all__ = ["b64", "sign", "sign_manifest", "origin", "signature_of", "verify", "PackError", "parse_checkpoint"]


def origin():
    return current_app.config["LEDGER_ORIGIN"]


def b64(raw):
    """Standard base64, as checkpoints write a root hash and signed notes a signature."""
    return base64.b64encode(raw).decode()


def sign_note(lines):
    """(kid, note text): `lines` (the first is the origin, the key's name) signed with the service's signing key."""
    keys = tokens.signing_keys()
    key = keys.private[keys.signing_kid]
    body = "".join(line + "\n" for line in lines)
    blob = note_key_hash(lines[0], tokens.public_raw(key)) + key.sign(body.encode())
    return keys.signing_kid, f"{body}\n\u2014 {lines[0]} {b64(blob)}\n"


def sign(size, root, signed_at):
    """(kid, note text) of a checkpoint signed now with the service's signing key."""
    return sign_note([origin(), str(size), b64(root), f"time {signed_at:%Y-%m-%dT%H:%M:%SZ}"])


def sign_manifest(first_day, last_day, checkpoint, entries, digests, built_at):
    """The signed manifest of an evidence pack (tools/verify_pack.parse_manifest): its period, checkpoint, number
    of ledger entries and the SHA-256 of every other file, {name: hex digest}. Its second line is not a number,
    so it never reads as a checkpoint, nor a checkpoint as a manifest."""
    return sign_note([origin(), "evidence-pack 1", f"period {first_day.isoformat()} {last_day.isoformat()}",
                      f"checkpoint {checkpoint.size} {b64(checkpoint.root)}",
                      f"entries {entries}", f"built {built_at:%Y-%m-%dT%H:%M:%SZ}",
                      *(f"file {digest} {name}" for name, digest in sorted(digests.items()))])[1]


def signature_of(note):
    """The base64 signature (key hash and signature) of a note's first signature line."""
    return note.rstrip("\n").rpartition(" ")[2]


def verify(note):
    """The kid of the configured key that signed `note`; PackError when none did or it is not genuine."""
    keys = tokens.signing_keys()
    return check_signature(note, {kid: tokens.public_raw(key) for kid, key in keys.private.items()})
