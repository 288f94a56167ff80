"""tools/verify_pack.py on the ledger's part of an evidence pack: it passes a true pack and names what differs
in a changed one. The pack here holds the ledger part only (ledger.services.pack_part), as the full pack's."""
import json
import subprocess
import sys
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import services
from tools import verify_pack
from verification import tokens

MARCH = datetime(2026, 3, 2, 2, 0)
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
    write(path, part.files)
    return path


def write(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def changed(path, name, change):
    """A copy of the pack with ledger/<name> passed through `change` (bytes -> bytes)."""
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files["ledger/" + name] = change(files["ledger/" + name])
    copy = path.with_name("changed.zip")
    write(copy, files)
    return copy


def check(path, *args):
    """(exit status, what it printed) of verify_pack run as a user runs it."""
    done = subprocess.run([sys.executable, str(TOOL), str(path), *args], capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout


def lines(data):
    return data.decode().splitlines()


def test_a_true_pack_passes(pack):
    status, output = check(pack)
    assert status == 0, output
    assert output.startswith("通过 OK: log baiye-qiandian/ledger: 6 entries")
    assert "4 entries of the period match it; 2 redemptions, 1 people, discount 17.00 yuan" in output


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


def test_a_checkpoint_signed_by_another_key_fails_against_the_published_keys(pack, app, tmp_path):
    # A forger signs their own checkpoint and puts their key in the pack: the pack alone cannot tell, the
    # service's published keys can.
    key = Ed25519PrivateKey.generate()
    with zipfile.ZipFile(pack) as archive:
        body = archive.read("ledger/checkpoint.txt").decode().partition("\n\n")[0] + "\n"
    blob = verify_pack.note_key_hash("baiye-qiandian/ledger", tokens.public_raw(key)) + key.sign(body.encode())
    note = body + "\n\u2014 baiye-qiandian/ledger " + __import__("base64").b64encode(blob).decode() + "\n"
    forged = changed(pack, "checkpoint.txt", lambda d: note.encode())
    jwk = {"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "forger", "x": tokens._b64(tokens.public_raw(key))}]}
    forged = changed(forged, "jwks.json", lambda d: json.dumps(jwk).encode())
    assert check(forged)[0] == 0  # self-consistent ...
    published = tmp_path / "jwks.json"
    with app.app_context():
        published.write_text(json.dumps(tokens.jwks()))
    status, output = check(forged, "--jwks", str(published))  # ... but not the service's
    assert status == 1 and "not signed by any of the service's keys" in output


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
