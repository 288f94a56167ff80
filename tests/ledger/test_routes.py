"""The ledger through its doors: the public checkpoints, a coordinator's proof, and the operator commands."""
import base64
from datetime import datetime, timedelta

from sqlalchemy import text

from baiye.extensions import db
from ledger import services
from ledger.merkle import leaf_hash

from ..conftest import assert_error
from .test_merkle import verify_inclusion

MARCH = datetime(2026, 3, 2, 2, 0)


def test_checkpoints_are_public_newest_first(ledger_till, client):
    ledger_till.redeem(5000, MARCH)
    first = services.checkpoint(MARCH + timedelta(minutes=1))
    ledger_till.redeem(6000, MARCH + timedelta(minutes=2))
    second = services.checkpoint(MARCH + timedelta(minutes=3))
    response = client.get("/api/v1/ledger/checkpoints")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(i["id"], i["size"]) for i in items] == [(second.id, 2), (first.id, 1)]
    assert items[0]["root"] == base64.b64encode(second.root).decode()
    assert items[0]["note"] == second.note and items[0]["signature"] in second.note
    assert items[0]["signed_at"] == "2026-03-02T02:03:00Z"  # RFC 3339: with its zone (UTC)
    assert client.get("/api/v1/ledger/checkpoints?limit=1&before=2").get_json()["items"][0]["id"] == first.id
    assert_error(client.get("/api/v1/ledger/checkpoints?limit=0"), 422, "validation_error")
    assert_error(client.get("/api/v1/ledger/checkpoints?before=x"), 422, "validation_error")


def test_a_coordinator_gets_a_proof_others_do_not(ledger_till, api, make):
    redemption = ledger_till.redeem(5000, MARCH)
    coordinator = api.as_(make.coordinator())
    services.append_pending(MARCH)
    assert_error(coordinator.get(f"/ledger/proof/{redemption.id}"), 409, "not_in_checkpoint")
    cp = services.checkpoint(MARCH + timedelta(minutes=1))
    response = coordinator.get(f"/ledger/proof/{redemption.id}")
    assert response.status_code == 200
    entry = response.get_json()["entries"][0]
    path = [base64.b64decode(h) for h in entry["audit_path"]]
    assert verify_inclusion(entry["seq"], cp.size, leaf_hash(entry["body"].encode()), path, cp.root)
    assert_error(coordinator.get("/ledger/proof/999999"), 404, "not_found")
    assert_error(coordinator.get("/ledger/proof/99999999999999999999"), 404, "not_found")
    assert_error(api.as_(ledger_till.cashier).get(f"/ledger/proof/{redemption.id}"), 403, "forbidden")
    assert_error(api.get(f"/ledger/proof/{redemption.id}"), 401, "not_signed_in")


def test_a_redemption_not_yet_appended_is_said_so(ledger_till, api, make):
    redemption = ledger_till.redeem(5000, MARCH)
    assert_error(api.as_(make.coordinator()).get(f"/ledger/proof/{redemption.id}"), 409, "not_in_ledger")


def test_the_commands_append_sign_and_verify(ledger_till, app):
    runner = app.test_cli_runner()
    ledger_till.redeem(5000, MARCH)
    result = runner.invoke(args=["ledger", "append", "--all"])
    assert result.exit_code == 0 and "appended 1 event(s)" in result.output
    result = runner.invoke(args=["ledger", "checkpoint"])
    assert result.exit_code == 0, result.output
    cp = services.latest_checkpoint()
    assert f"checkpoint {cp.id}: size 1 root {services.b64(cp.root)}" in result.output
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0 and f"intact: size 1 root {services.b64(cp.root)}" in result.output
    db.session.execute(text("UPDATE redemption SET discount = discount - 1"))
    db.session.commit()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "DIFFERS: entry #0 (redeemed redemption" in result.output
    assert "discount 500 in the ledger, 499" in result.output


def test_the_demo_starts_with_every_redemption_under_a_signed_checkpoint(app):
    from sqlalchemy import func, select

    from verification.till.models import Redemption

    result = app.test_cli_runner().invoke(args=["demo", "--redemptions", "300"])
    assert result.exit_code == 0, result.output
    voided = db.session.scalar(select(func.count()).select_from(Redemption).where(Redemption.voided_at.is_not(None)))
    assert services.latest_checkpoint().size == 300 + voided
    assert services.verify().intact


def test_a_broken_log_is_not_signed_again(ledger_till, app):
    ledger_till.redeem(5000, MARCH)
    ledger_till.redeem(6000, MARCH + timedelta(minutes=1))
    services.checkpoint(MARCH + timedelta(minutes=2))
    db.session.execute(text("DELETE FROM ledger_entry WHERE seq = 0"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ledger", "checkpoint"])
    assert result.exit_code == 1 and result.exception.__class__ is SystemExit
    assert "the ledger holds 1 entries but its head says 2: run `flask ledger verify`" in result.output


def test_the_ledger_page_shows_the_latest_checkpoint_to_anyone(ledger_till, client):
    page = client.get("/ledger").get_data(as_text=True)
    assert "还没有检查点" in page
    ledger_till.redeem(5000, MARCH)
    cp = services.checkpoint(MARCH + timedelta(minutes=1))
    page = client.get("/ledger").get_data(as_text=True)
    assert services.b64(cp.root) in page and cp.kid in page and "2026-03-02 10:01" in page  # local time
    assert 'href="/.well-known/jwks.json"' in page and 'href="/docs/ledger.md"' in page
    assert 'href="/ledger"' in client.get("/public").get_data(as_text=True)
    document = client.get("/docs/ledger.md")
    assert document.status_code == 200 and document.mimetype == "text/markdown"
    assert "RFC 6962" in document.get_data(as_text=True)


def test_the_verifier_is_published_with_its_hash(client):
    from ledger.views import VERIFIER

    answer = client.get("/ledger/verify_pack.py")
    assert answer.status_code == 200 and answer.data == VERIFIER.read_bytes()
    assert "attachment" in answer.headers["Content-Disposition"]
    import hashlib

    assert hashlib.sha256(answer.data).hexdigest() in client.get("/ledger").get_data(as_text=True)
