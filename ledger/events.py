"""The ledger's events as leaves: canonical bytes made from a redemption row, the same at every reading.

A leaf is compact JSON with sorted keys and ASCII only, so any JSON library reads it and the exact bytes can
be rebuilt from the row. It holds what the totals need and a pseudonymous member key, never a name, phone or
ID: the retention purge leaves every leaf, and so the whole log, unchanged.

    {"v":1,"seq":7,"event":"redeemed","redemption":42,"at":"2026-12-06T07:12:38.123456Z","day":"2026-12-06",
     "shop":3,"offer":9,"category":"veteran","bill":12000,"discount":1200,"form":"phone_qr","member":"9f2c…"}
    {"v":1,"seq":8,"event":"voided","redemption":42,"at":"2026-12-06T07:20:01.000000Z","day":"2026-12-06",
     "shop":3,"member":"9f2c…"}

`seq` is the entry's index in the log, so an entry moved to another place no longer matches. A void is an
event of its own (`day` is its redemption's day, so it travels with its period); nothing is ever edited.
"""
import hashlib
import hmac
import json
from functools import lru_cache

from verification import tokens

EVENTS = ("redeemed", "voided")
VERSION = 1
# The redemption columns a leaf is made from (ledger.services reads exactly these).
COLUMNS = ("id", "created_at", "day", "shop_id", "offer_id", "category", "bill", "discount", "credential_form",
           "member_id", "voided_at")


@lru_cache(maxsize=4)
def _pseudonym_key(id_hash_key):
    return hmac.digest(id_hash_key, b"baiye-ledger-member-v1", "sha256")


def member_key(member_id):
    """The member's pseudonym in the ledger: a keyed hash of their row id (keyed by ID_HASH_KEY, which must
    never change: the ledger's leaves depend on it, as the duplicate check does)."""
    return _member_key(_pseudonym_key(tokens.id_hash_key()), member_id)


@lru_cache(maxsize=65536)
def _member_key(key, member_id):
    return hmac.new(key, b"member %d" % member_id, hashlib.sha256).hexdigest()[:32]


def stamp(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_time(event, row):
    return row.created_at if event == "redeemed" else row.voided_at


def leaf(seq, event, row):
    """The leaf's bytes for `event` of the redemption `row` (any object with COLUMNS as attributes)."""
    body = {"v": VERSION, "seq": seq, "event": event, "redemption": row.id, "at": stamp(event_time(event, row)),
            "day": row.day.isoformat(), "shop": row.shop_id, "member": member_key(row.member_id)}
    if event == "redeemed":
        body.update(offer=row.offer_id, category=row.category, bill=row.bill, discount=row.discount,
                    form=row.credential_form)
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def differences(stored, rebuilt):
    """Which fields of two leaves' texts differ, in words: 'bill 12000 in the ledger, 12001 in the database'."""
    try:
        old, new = json.loads(stored), json.loads(rebuilt)
    except ValueError:
        return ["the entry's text is not a ledger leaf"]
    return [f"{name} {old.get(name)!r} in the ledger, {new.get(name)!r} in the database"
            for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)] or ["its text differs"]
