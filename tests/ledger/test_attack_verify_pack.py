"""Outside review (attack-ledger): hostile evidence packs that tools/verify_pack.py passes or crashes on.

Each test here states what verify_pack should do and fails today. The pack is the `pack` fixture of
test_verify_pack.py (2 March 2026: three redemptions that day, one voided; one the day before, one after), built by
the service and checked against the service's *published* keys wherever a signature matters, so none of these needs
the signing key: they are what anyone holding a genuine pack (a coordinator, a courier, a mail server) can do.
"""
import base64
import json
import resource
import subprocess
import sys
import zipfile
from bisect import bisect_left
from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import services
from tools import verify_pack
from verification import tokens

from .test_verify_pack import MARCH, TOOL, check, pack, signed, write  # noqa: F401 - the fixture

__all__ = ["pack"]


def files_of(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def published(app, tmp_path):
    """The service's published keys (/.well-known/jwks.json) as a file, for --jwks."""
    path = tmp_path / "published-jwks.json"
    with app.app_context():
        path.write_text(json.dumps(tokens.jwks()))
    return path


def keep_only(path, keep, **totals_changes):
    """A copy of the pack holding only the entries `keep(event)` accepts: the proof's hashes re-derived from the
    genuine proof (a hash of any subtree is computable from the entries and the proof's hashes), totals.json
    restated as the recount of what is left. Needs no key: the checkpoint is the genuine one."""
    files = files_of(path)
    known, _events = verify_pack.read_entries(files["ledger/entries.jsonl"])
    proof = json.loads(files["ledger/proof.json"])
    given = {(lo, hi): base64.b64decode(h) for lo, hi, h in proof["hashes"]}
    everything = verify_pack.Known(known)
    kept = [line for line in files["ledger/entries.jsonl"].split(b"\n") if line and keep(json.loads(line))]
    order = sorted(json.loads(line)["seq"] for line in kept)
    hashes = []

    def walk(lo, hi):
        first = bisect_left(order, lo)
        if first == len(order) or order[first] >= hi:
            hashes.append([lo, hi, base64.b64encode(verify_pack.root_from(everything, given, lo, hi)).decode()])
        elif hi - lo > 1:
            k = verify_pack.split(hi - lo)
            walk(lo, lo + k)
            walk(lo + k, hi)

    walk(0, proof["tree_size"])
    proof["hashes"] = hashes
    totals = json.loads(files["ledger/totals.json"])
    totals.update(verify_pack.recount([json.loads(line) for line in kept]), **totals_changes)
    files["ledger/entries.jsonl"] = b"".join(line + b"\n" for line in kept)
    files["ledger/proof.json"] = json.dumps(proof).encode()
    files["ledger/totals.json"] = json.dumps(totals).encode()
    copy = path.with_name("forged.zip")
    write(copy, files)
    return copy


# --- a pack's entries chosen by whoever holds it ------------------------------------------------------------

def test_a_pack_with_a_void_taken_out_and_the_totals_restated_fails(pack, published):
    # Drop the period's one void: its redemption counts again (2 redemptions become 3, discount 17.00 -> 25.80
    # yuan), the proof still rebuilds the signed root because the void's leaf hash goes into proof.json instead.
    forged = keep_only(pack, lambda event: event["event"] != "voided")
    status, output = check(forged, "--jwks", str(published))
    assert status == 1, f"a void taken out of the pack went unnoticed, with the service's own keys:\n{output}"
    assert "ledger/entries.jsonl: changed since the service built the pack" in output


def test_a_pack_with_a_redemption_taken_out_and_the_totals_restated_fails(pack, published):
    kept = {json.loads(line)["redemption"] for line in files_of(pack)["ledger/entries.jsonl"].split(b"\n") if line}
    dropped = min(kept)
    forged = keep_only(pack, lambda event: event["redemption"] != dropped)
    status, output = check(forged, "--jwks", str(published))
    assert status == 1, f"a redemption taken out of the pack went unnoticed:\n{output}"
    assert "ledger/entries.jsonl: changed since the service built the pack" in output


def test_entries_outside_the_stated_period_fail(ledger_till, app, tmp_path, published):
    # A pack of 1-3 March stated as the pack of 2 March: three days' figures passed off as one day's.
    ledger_till.redeem(7000, MARCH - timedelta(days=1))
    ledger_till.redeem(5000, MARCH)
    ledger_till.redeem(3000, MARCH + timedelta(days=1))
    cp = services.checkpoint(MARCH + timedelta(days=1, hours=1))
    with app.test_request_context():
        part = services.pack_part(date(2026, 3, 1), date(2026, 3, 3), cp)
    totals = json.loads(part.files["ledger/totals.json"])
    totals["from"] = totals["to"] = "2026-03-02"
    files = dict(part.files, **{"ledger/totals.json": json.dumps(totals).encode()})
    path = tmp_path / "relabelled.zip"
    with app.app_context():  # even a manifest the service signed for 2 March (a fault of the builder) is caught
        write(path, signed(files, cp))
    status, output = check(path, "--jwks", str(published))
    assert status == 1, f"entries of 1 and 3 March passed as 2 March's figures:\n{output}"
    assert "is of a day outside the pack's period 2026-03-02..2026-03-02" in output


def test_a_pack_signed_by_a_key_it_carries_itself_is_not_reported_plainly_as_genuine(pack):
    # The instructions (验证说明.txt, step 3) run `python3 verify_pack.py 证据包.zip` without --jwks and say a pack
    # "not made by this system" gives 不通过 FAILED. A forger who signs with a key of their own, ships it in
    # ledger/jwks.json under the service's kid, gets 通过 OK "signed by key <the service's kid>".
    key = Ed25519PrivateKey.generate()
    files = files_of(pack)
    kid = json.loads(files["ledger/jwks.json"])["keys"][0]["kid"]
    body = files["ledger/checkpoint.txt"].decode().partition("\n\n")[0] + "\n"
    blob = verify_pack.note_key_hash("baiye-qiandian/ledger", tokens.public_raw(key)) + key.sign(body.encode())
    files["ledger/checkpoint.txt"] = (body + "\n\u2014 baiye-qiandian/ledger " + base64.b64encode(blob).decode()
                                      + "\n").encode()
    files["ledger/jwks.json"] = json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": kid,
                                                      "x": tokens._b64(tokens.public_raw(key))}]}).encode()
    forged = pack.with_name("self-signed.zip")
    write(forged, files)
    status, output = check(forged)
    assert status == 1 or "--jwks" in output, (
        "a pack signed only by the key it carries is reported as plainly genuine, under the service's kid:\n"
        + output)


# --- hostile packs: a plain refusal, never a traceback -------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("name,content", [
    ("proof.json", DEEP),
    ("totals.json", DEEP),
    ("jwks.json", DEEP),
    ("entries.jsonl", b'{"seq":' + DEEP + b"}\n"),
])
def test_deeply_nested_json_gets_a_plain_refusal_not_a_traceback(pack, name, content):
    files = files_of(pack)
    files["ledger/" + name] = content
    hostile = pack.with_name("deep.zip")
    write(hostile, files)
    status, output = check(hostile)
    assert status == 1 and output.startswith("不通过 FAILED: "), f"exit {status}, printed {output!r}"


def test_a_huge_tree_size_gets_a_plain_refusal_not_a_traceback(tmp_path):
    # Self-signed (the pack's own key: the default run), size 2**1200: root_from recurses 1200 deep.
    key = Ed25519PrivateKey.generate()
    size = 2 ** 1200
    body = f"o/x\n{size}\n{base64.b64encode(bytes(32)).decode()}\n"
    blob = verify_pack.note_key_hash("o/x", tokens.public_raw(key)) + key.sign(body.encode())
    path = tmp_path / "huge.zip"
    write(path, {
        "ledger/checkpoint.txt": body + "\n\u2014 o/x " + base64.b64encode(blob).decode() + "\n",
        "ledger/jwks.json": json.dumps({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k",
                                                  "x": tokens._b64(tokens.public_raw(key))}]}),
        "ledger/entries.jsonl": '{"seq":0,"event":"redeemed"}\n',
        "ledger/proof.json": json.dumps({"tree_size": size, "hashes": []}),
        "ledger/totals.json": "{}"})
    status, output = check(path)
    assert status == 1 and output.startswith("不通过 FAILED: "), f"exit {status}, printed {output!r}"


def _limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (1536 << 20, 1536 << 20))


def test_a_zip_bomb_is_refused_without_exhausting_memory(pack):
    # 512 MiB of newlines as entries.jsonl deflate to about 0.5 MB; verify_pack reads the member whole and splits
    # it into a list of 512 Mi lines (4 GiB of pointers). Under a 1.5 GiB address-space limit it dies with a
    # MemoryError traceback; without one it takes the inspector's machine down.
    files = files_of(pack)
    bomb = pack.with_name("bomb.zip")
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, data in files.items():
            if name != "ledger/entries.jsonl":
                archive.writestr(name, data)
        with archive.open("ledger/entries.jsonl", "w", force_zip64=True) as out:
            chunk = b"\n" * (1 << 24)
            for _ in range(32):
                out.write(chunk)
    assert bomb.stat().st_size < 5 << 20
    done = subprocess.run([sys.executable, str(TOOL), str(bomb)], capture_output=True, text=True, timeout=120,
                          preexec_fn=_limit_memory)
    assert done.returncode == 1 and done.stdout.startswith("不通过 FAILED: "), (
        f"exit {done.returncode}, printed {done.stdout!r}, {done.stderr[-300:]!r}")
