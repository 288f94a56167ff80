"""Limits and idempotency against a real gunicorn server with several workers, on SQLite and PostgreSQL."""
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from baiye.accounts.services import issue_api_token
from baiye.extensions import db
from verification.models import Redemption
from verification.redemption_models import UsageCounter

from .helpers import make_member

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(app, config, tmp_path):
    """gunicorn (3 workers x 4 threads) serving the test's database; yields its base URL."""
    port = free_port()
    env = dict(os.environ, DATABASE_URL=config["DATABASE_URL"], SECRET_KEY=config["SECRET_KEY"],
               FLASK_RATELIMIT_ENABLED="false", FLASK_ID_HASH_KEY=config["ID_HASH_KEY"])
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "3", "--threads", "4", "--worker-class", "gthread",
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "2", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text(errors="replace"))
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def post(url, token, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def fire(url, token, bodies):
    """Send the bodies at the same moment from as many threads; the answers in order."""
    results = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies))

    def one(i):
        barrier.wait()
        results[i] = post(url, token, bodies[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_twenty_racing_redemptions_log_exactly_one(make, server):
    shop = make.shop()
    cashier = make.cashier(shop)
    offer = make.offer(shop, title="每天一次", limit_per_member=1, limit_period="day")
    unlimited = make.offer(shop, title="不限次")
    card = make_member()
    token = issue_api_token(cashier)
    db.session.commit()
    card_no, offer_id, unlimited_id = card.card_no, offer.id, unlimited.id
    db.session.remove()

    url = server + "/api/v1/redemptions"
    body = {"code": card_no, "offer_id": offer_id, "bill": 5000}
    results = fire(url, token, [dict(body, idempotency_key=f"race-{i}") for i in range(20)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 19, results
    assert {answer["error"]["code"] for status, answer in results if status == 409} == {"limit_reached"}

    db.session.remove()
    assert db.session.query(Redemption).filter_by(offer_id=offer_id).count() == 1
    assert db.session.query(UsageCounter).filter_by(offer_id=offer_id).one().used == 1

    # The same idempotency key, twice at the same moment and once more after: one redemption.
    same = dict(body, offer_id=unlimited_id, idempotency_key="double-tap")
    results = fire(url, token, [same, same])
    again = post(url, token, same)
    assert sorted(status for status, _ in results) == [200, 201], results
    assert again[0] == 200
    assert len({answer["id"] for _, answer in results + [again]}) == 1
    db.session.remove()
    assert db.session.query(Redemption).filter_by(offer_id=unlimited_id).count() == 1
