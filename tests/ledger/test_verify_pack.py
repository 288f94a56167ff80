"""tools/verify_pack.py on the ledger's part of an evidence pack: it passes a true pack and names what differs
in a changed one. The pack here holds the ledger part only (ledger.services.pack_part), as the full pack's."""
import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import notes, services
from tools import verify_pack
from verification import tokens

MARCH = datetime(2026, 3, 2, 2, 0)
MANIFEST = "ledger/manifest.txt"
TOOL = Path(__file__).resolve().parents[2] / "tools" / "verify_pack.py"


@pytest.fixture
def pack(ledger_till, app, tmp_path):
    """A pack for 2 March 2026: three redemptions that day (one voided), one the day before and one after."""
    ledger_till.redeem(7000, MARCH - timedelta(days=1))
    ledger_till.redeem(5000, MARCH)
    second = ledger_till.redeem(8800, MARCH + timedelta(minutes=1))
    ledger_till.redeem(12000, MARCH + timedelta(minutes=2))
    ledger_till.void(second, MARCH + timedelta(minutes=10))
    ledger_till.redeem(3000, MARCH + timedelta(days=1))
    cp = services.checkpoint(MARCH + timedelta(days=1, hours=1))
    with app.test_request_context():
        part = services.pack_part(date(2026, 3, 2), date(2026, 3, 2), cp)
    assert part.agrees and part.entries == 4
    path = tmp_path / "pack.zip"
    with app.app_context():
        write(path, signed(part.files, cp))
    return path


def signed(files, cp, period=(date(2026, 3, 2), date(2026, 3, 2))):
    """`files` and the service's signed manifest of them (as evidence.pack.build ends a pack)."""
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in files.items() if name != MANIFEST}
    entries = len(files["ledger/entries.jsonl"].splitlines())
    manifest = notes.sign_manifest(*period, cp, entries, digests, MARCH + timedelta(days=2))
    return {**files, MANIFEST: manifest.encode()}


def write(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def changed(path, name, change, resign=True):
    """A copy of the pack with ledger/<name> passed through `change` (bytes -> bytes), its manifest signed again
    by the service's key (`resign`: so what the ledger's own checks catch is seen past the manifest), or not."""
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files["ledger/" + name] = change(files["ledger/" + name])
    if resign:
        files = signed(files, services.latest_checkpoint())
    copy = path.with_name("changed.zip")
    write(copy, files)
    return copy


def check(path, *args):
    """(exit status, what it printed) of verify_pack run as a user runs it."""
    done = subprocess.run([sys.executable, str(TOOL), str(path), *args], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout


def lines(data):
    return data.decode().splitlines()


def test_a_true_pack_passes(pack, app, tmp_path):
    published = tmp_path / "published.json"
    with app.app_context():
        published.write_text(json.dumps(tokens.jwks()))
    status, output = check(pack, "--jwks", str(published))
    assert status == 0, output
    assert output.startswith("通过 OK: the pack of 2026-03-02..2026-03-02, every file as the service signed it; "
                             "log baiye-qiandian/ledger: 6 entries")
    assert "4 entries of the period match it; 2 redemptions, 1 people, discount 17.00 yuan" in output
    status, output = check(pack)  # with the key the pack carries: said so, and how to check it against the site's
    assert status == 0 and "仅用证据包自带的公钥核对" in output and "--jwks" in output


@pytest.mark.parametrize("name", ["entries.jsonl", "checkpoint.txt", "proof.json", "jwks.json", "totals.json"])
def test_any_file_changed_by_whoever_holds_the_pack_fails_on_the_manifest(pack, name):
    status, output = check(changed(pack, name, lambda d: d + b" ", resign=False))
    assert status == 1 and f"ledger/{name}: changed since the service built the pack" in output


def test_a_file_added_or_taken_out_fails(pack):
    with zipfile.ZipFile(pack) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    write(pack.with_name("added.zip"), {**files, "照片/城关街道/假照片.jpg": b"\xff\xd8"})
    assert "照片/城关街道/假照片.jpg: not in the manifest (added)" in check(pack.with_name("added.zip"))[1]
    del files["ledger/proof.json"]
    write(pack.with_name("less.zip"), files)
    assert "ledger/proof.json: missing from the pack" in check(pack.with_name("less.zip"))[1]


def test_a_one_byte_change_of_a_bill_fails(pack):
    status, output = check(changed(pack, "entries.jsonl", lambda d: d.replace(b'"bill":12000', b'"bill":12001')))
    assert status == 1 and "the entries do not match the signed checkpoint" in output


def test_a_deleted_entry_fails(pack):
    status, output = check(changed(pack, "entries.jsonl", lambda d: "\n".join(lines(d)[1:]).encode()))
    assert status == 1 and "the proof lacks the hash of leaves" in output


def test_entries_swapped_in_order_fail(pack):
    def swap(data):
        rows = [json.loads(line) for line in lines(data)]
        rows[0]["seq"], rows[1]["seq"] = rows[1]["seq"], rows[0]["seq"]
        return "\n".join(json.dumps(r, sort_keys=True, separators=(",", ":")) for r in rows).encode()

    status, output = check(changed(pack, "entries.jsonl", swap))
    assert status == 1 and "the entries do not match the signed checkpoint" in output


def test_a_forged_checkpoint_fails(pack):
    with zipfile.ZipFile(pack) as archive:
        note = archive.read("ledger/checkpoint.txt").decode()
    root = note.split("\n")[2]
    forged = changed(pack, "checkpoint.txt", lambda d: d.replace(root.encode(), b"A" * 43 + b"="))
    status, output = check(forged)
    assert status == 1 and "signature" in output and "is not genuine" in output


def test_a_pack_signed_by_another_key_fails_against_the_published_keys(pack, app, tmp_path, monkeypatch):
    # A forger signs their own checkpoint and manifest and puts their key in the pack: the pack alone cannot tell
    # (verify_pack says it checked with the pack's own key only), the service's published keys can.
    published = tmp_path / "jwks.json"
    with app.app_context():
        published.write_text(json.dumps(tokens.jwks()))
    forger = tokens.Keys((("forger", tokens._b64(bytes(range(32)))),), "forger")
    monkeypatch.setattr(tokens, "signing_keys", lambda: forger)
    with app.app_context():
        cp = services.latest_checkpoint()
        _kid, note = notes.sign(cp.size, cp.root, cp.signed_at)
        jwks = json.dumps(tokens.jwks()).encode()
        forged = changed(changed(pack, "checkpoint.txt", lambda d: note.encode(), resign=False), "jwks.json",
                         lambda d: jwks)
    status, output = check(forged)
    assert status == 0 and "signed by key forger" in output and "仅用证据包自带的公钥核对" in output
    status, output = check(forged, "--jwks", str(published))
    assert status == 1 and "the manifest is not signed by any of the service's keys" in output


def test_figures_that_differ_from_the_entries_fail(pack):
    def inflate(data):
        totals = json.loads(data)
        totals["discount"] += 100
        totals["by_category"]["veteran"]["redemptions"] += 1
        return json.dumps(totals).encode()

    status, output = check(changed(pack, "totals.json", inflate))
    assert status == 1
    assert "discount in all: the pack says 1800, the entries count 1700" in output
    assert "redemptions category veteran: the pack says 3, the entries count 2" in output


def test_a_file_that_is_not_a_pack_is_refused(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    status, output = check(junk)
    assert status == 1 and "cannot open the pack" in output


@pytest.mark.parametrize("name,content", [
    ("proof.json", b'{"tree_size": 6, "hashes": 7}'),
    ("proof.json", b"not json"),
    ("totals.json", b'{"by_shop": []}'),
    ("entries.jsonl", b'{"seq": 0}\n'),
    ("checkpoint.txt", b"\xff\xfe"),
    ("checkpoint.txt", "baiye-qiandian/ledger\n6\nAAAA\n\n\u2014 baiye-qiandian/ledger !!!\n".encode()),
])
def test_a_hostile_pack_gets_a_plain_refusal_not_a_traceback(pack, name, content):
    status, output = check(changed(pack, name, lambda d: content))
    assert status == 1 and output.startswith("不通过 FAILED: "), output
