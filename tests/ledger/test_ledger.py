"""The ledger as services: append committed events, sign checkpoints, verify, and catch what was changed."""
import json
from datetime import datetime, timedelta

from sqlalchemy import select, text

from baiye.extensions import db
from ledger import events, services
from ledger.merkle import Tree
from ledger.models import LedgerCheckpoint, LedgerEntry
from tools.verify_pack import check_signature, jwks_keys, parse_checkpoint
from verification import tokens
from verification.members.retention import purge_members

from .test_merkle import verify_consistency, verify_inclusion

MARCH = datetime(2026, 3, 2, 2, 0)


def log_three(ledger_till):
    """Three redemptions on 2 March 2026, the second voided ten minutes later."""
    first = ledger_till.redeem(5000, MARCH)
    second = ledger_till.redeem(8800, MARCH + timedelta(minutes=1))
    third = ledger_till.redeem(12000, MARCH + timedelta(minutes=2))
    ledger_till.void(second, MARCH + timedelta(minutes=10))
    return first, second, third


def entries():
    return db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq)).all()


def test_committed_events_are_appended_once_in_order_with_no_personal_data(ledger_till):
    first, second, third = log_three(ledger_till)
    assert services.append_pending(MARCH + timedelta(minutes=11)) == 4
    assert services.append_pending(MARCH + timedelta(minutes=12)) == 0
    logged = entries()
    assert [(e.seq, e.event, e.redemption_id) for e in logged] == [
        (0, "redeemed", first.id), (1, "redeemed", second.id), (2, "redeemed", third.id), (3, "voided", second.id)]
    body = json.loads(logged[1].body)
    assert body == {"v": 1, "seq": 1, "event": "redeemed", "redemption": second.id, "at": "2026-03-02T02:01:00.000000Z",
                    "day": "2026-03-02", "shop": ledger_till.shop.id, "offer": ledger_till.offer.id,
                    "category": "veteran", "bill": 8800, "discount": 880, "form": "card_number",
                    "member": events.member_key(ledger_till.card.member_id)}
    member = ledger_till.card.member
    for entry in logged:  # a pseudonym, never who the member is
        assert member.name not in entry.body and member.phone not in entry.body
        assert ledger_till.card.card_no not in entry.body


def test_the_minutes_run_looks_at_recent_days_and_a_checkpoint_at_everything(ledger_till):
    old = ledger_till.redeem(5000, MARCH)
    later = MARCH + timedelta(days=5)
    assert services.append_pending(later) == 0  # five days old: left for the checkpoint
    cp = services.checkpoint(later)
    assert cp.size == 1 and entries()[0].redemption_id == old.id


def test_a_checkpoint_is_a_signed_note_anyone_can_check_with_the_published_keys(ledger_till):
    log_three(ledger_till)
    cp = services.checkpoint(MARCH + timedelta(hours=1))
    published = jwks_keys(json.dumps(tokens.jwks()))
    assert check_signature(cp.note, published) == cp.kid == tokens.signing_keys().signing_kid
    _body, origin, size, root, _sigs = parse_checkpoint(cp.note)
    assert (origin, size, root) == ("baiye-qiandian/ledger", 4, cp.root)
    assert "time 2026-03-02T03:00:00Z" in cp.note
    assert cp.root == Tree([e.leaf_hash for e in entries()]).root()


def test_each_checkpoint_proves_it_extends_the_one_before(ledger_till):
    ledger_till.redeem(5000, MARCH)
    first = services.checkpoint(MARCH + timedelta(minutes=1))
    for minutes in range(2, 7):
        ledger_till.redeem(1000 * minutes, MARCH + timedelta(minutes=minutes))
    second = services.checkpoint(MARCH + timedelta(minutes=8))
    proof = [__import__("base64").b64decode(h) for h in json.loads(second.consistency)]
    assert (first.size, second.size) == (1, 6)
    assert verify_consistency(first.size, second.size, proof, first.root, second.root)


def test_verify_passes_an_intact_log_and_counts_what_is_pending(ledger_till):
    log_three(ledger_till)
    services.checkpoint(MARCH + timedelta(hours=1))
    ledger_till.redeem(3000, MARCH + timedelta(hours=2))
    report = services.verify()
    assert report.intact, report.problems
    assert (report.size, report.checkpoints, report.pending) == (4, 1, 1)


def tampered(statement, **params):
    """Change the database behind the service's back, as someone with SQL access would; the report after."""
    db.session.execute(text(statement), params)
    db.session.commit()
    return services.verify()


def test_verify_names_the_entry_whose_bill_changed_by_one_fen(ledger_till):
    first, second, third = log_three(ledger_till)
    services.checkpoint(MARCH + timedelta(hours=1))
    report = tampered("UPDATE redemption SET bill = bill + 1 WHERE id = :id", id=third.id)
    assert not report.intact
    assert report.problems[0] == (f"entry #2 (redeemed redemption {third.id}): "
                                  "bill 12000 in the ledger, 12001 in the database")


def test_verify_names_a_deleted_redemption_and_a_deleted_entry(ledger_till):
    first, second, third = log_three(ledger_till)
    services.checkpoint(MARCH + timedelta(hours=1))
    report = tampered("DELETE FROM redemption WHERE id = :id", id=first.id)
    assert report.problems[0] == (f"entry #0 (redeemed redemption {first.id}): "
                                  "the redemption is no longer in the database (deleted)")
    report = tampered("DELETE FROM ledger_entry WHERE seq = 2")
    assert "entry #2: missing (deleted from the ledger); the next is #3" in report.problems


def test_verify_names_entries_swapped_in_order(ledger_till):
    first, second, third = log_three(ledger_till)
    services.checkpoint(MARCH + timedelta(hours=1))
    report = swap_entries(0, 2)
    assert report.problems[0].startswith(f"entry #0 (redeemed redemption {third.id}): ")
    assert "seq 2 in the ledger, 0 in the database" in report.problems[0]
    swap_entries(0, 2)
    # Moving the times of two redemptions (the order they happened in) is a change of both entries.
    report = tampered("UPDATE redemption SET created_at = :at WHERE id = :id", at=MARCH + timedelta(minutes=3),
                      id=first.id)
    assert report.problems[0].startswith(f"entry #0 (redeemed redemption {first.id}): at ")


def swap_entries(a, b):
    db.session.execute(text("UPDATE ledger_entry SET seq = -1 WHERE seq = :a"), {"a": a})
    db.session.execute(text("UPDATE ledger_entry SET seq = :a WHERE seq = :b"), {"a": a, "b": b})
    return tampered("UPDATE ledger_entry SET seq = :b WHERE seq = -1", b=b)


def test_verify_catches_an_entry_rewritten_with_its_hash_by_the_signed_root(ledger_till):
    first, second, third = log_three(ledger_till)
    services.checkpoint(MARCH + timedelta(hours=1))
    entry = entries()[2]
    body = entry.body.replace('"bill":12000', '"bill":12001')
    db.session.execute(text("UPDATE redemption SET bill = 12001 WHERE id = :id"), {"id": third.id})
    report = tampered("UPDATE ledger_entry SET body = :body, leaf_hash = :hash WHERE seq = 2", body=body,
                      hash=events_hash(body))
    assert report.problems == ["checkpoint 1 (size 4, signed 2026-03-02 03:00 UTC): the entries no longer hash to "
                               "its root: one of entries #0–#3 was changed, removed, added or moved"]


def events_hash(body):
    from ledger.merkle import leaf_hash

    return leaf_hash(body.encode())


def test_verify_catches_a_forged_checkpoint(ledger_till):
    log_three(ledger_till)
    cp = services.checkpoint(MARCH + timedelta(hours=1))
    forged_root = Tree([b"\x00" * 32]).root()
    note = cp.note.replace(services.b64(cp.root), services.b64(forged_root))
    report = tampered("UPDATE ledger_checkpoint SET note = :note, root = :root WHERE id = :id", note=note,
                      root=forged_root, id=cp.id)
    assert report.problems == ["checkpoint 1 (size 4, signed 2026-03-02 03:00 UTC): the checkpoint's signature "
                               f"(key {cp.kid}) is not genuine"]


def test_after_the_retention_purge_old_checkpoints_still_verify(ledger_till, app, clock):
    log_three(ledger_till)
    services.checkpoint(MARCH + timedelta(hours=1))
    member = ledger_till.card.member
    member.expires_on = datetime(2026, 3, 31).date()
    db.session.commit()
    now = clock.at(datetime(2028, 6, 1))
    assert purge_members(24, now=now) == 1 and member.phone is None
    report = services.verify(now)
    assert report.intact, report.problems
    assert report.checkpoints == 1


def test_an_inclusion_proof_ties_a_redemption_to_the_latest_checkpoint(ledger_till):
    first, second, third = log_three(ledger_till)
    services.checkpoint(MARCH + timedelta(hours=1))
    proof = services.proof(second.id)
    root = __import__("base64").b64decode(proof["checkpoint"]["root"])
    assert [e["event"] for e in proof["entries"]] == ["redeemed", "voided"]
    for entry in proof["entries"]:
        path = [__import__("base64").b64decode(h) for h in entry["audit_path"]]
        assert verify_inclusion(entry["seq"], 4, events_hash(entry["body"]), path, root)


def test_the_head_row_is_made_when_missing(ledger_till):
    ledger_till.redeem(5000, MARCH)
    assert services.append_pending(MARCH) == 1
    assert db.session.scalar(select(LedgerCheckpoint.id)) is None


def test_the_appender_signs_a_checkpoint_when_the_latest_is_a_day_old(ledger_till):
    ledger_till.redeem(5000, MARCH)
    first = services.checkpoint_if_due(MARCH + timedelta(minutes=1))
    assert first.size == 1
    assert services.checkpoint_if_due(MARCH + timedelta(hours=23)) is None
    ledger_till.redeem(6000, MARCH + timedelta(hours=23, minutes=30))
    second = services.checkpoint_if_due(MARCH + timedelta(hours=24, minutes=2))
    assert second.size == 2 and second.id == first.id + 1


def test_verify_reports_a_checkpoint_whose_text_is_garbage(ledger_till):
    log_three(ledger_till)
    cp = services.checkpoint(MARCH + timedelta(hours=1))
    report = tampered("UPDATE ledger_checkpoint SET note = :note WHERE id = :id",
                      note=cp.note.rsplit(" ", 1)[0] + " !!!\n", id=cp.id)
    assert report.problems == ["checkpoint 1 (size 4, signed 2026-03-02 03:00 UTC): a signature of the checkpoint "
                               "is not base64"]
