"""Crash safety: kill -9 gunicorn workers in the middle of a redemption load.

Every redemption acknowledged to a client is in the database, and none is there twice, even
though the clients retry (with the same idempotency key) whatever was cut off.
"""
import http.client
import os
import signal
import subprocess
import threading
import time
import urllib.error
import uuid

import pytest
from sqlalchemy import func, select

from baiye.accounts.services import issue_api_token
from baiye.extensions import db
from verification.till.models import Redemption

from ..helpers import make_member, post

CUT_OFF = (urllib.error.URLError, ConnectionError, http.client.HTTPException, TimeoutError)


def workers_of(master):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master.pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


@pytest.fixture
def gunicorn_args():
    """The shipped settings (gunicorn.conf.py: sync workers)."""
    return ["-c", "gunicorn.conf.py", "--workers", "2"]


def test_killed_workers_lose_no_acknowledged_redemption_and_log_none_twice(make, server):
    shop = make.shop()
    cashier = make.cashier(shop)
    offer = make.offer(shop, title="不限次")
    cards = [make_member().card_no for _ in range(5)]
    token = issue_api_token(cashier)
    db.session.commit()
    offer_id = offer.id
    db.session.remove()

    url = server + "/api/v1/redemptions"
    acknowledged, cut_off, lock, stop = {}, [0], threading.Lock(), threading.Event()

    def client(n):
        while not stop.is_set():
            key = f"crash-{n}-{uuid.uuid4().hex[:12]}"
            body = {"code": cards[n % len(cards)], "offer_id": offer_id, "bill": 8800, "idempotency_key": key}
            for _attempt in range(50):  # a cut-off request is retried with the same key until answered
                try:
                    status, answer = post(url, token, body)
                except CUT_OFF:
                    with lock:
                        cut_off[0] += 1
                    time.sleep(0.05)
                    continue
                assert status in (200, 201), (status, answer)
                with lock:
                    acknowledged[key] = answer["id"]
                break

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    def serving(since):
        """Wait until both workers are up and answering (a worker still booting when killed cuts nothing off)."""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if len(workers_of(server.process)) == 2 and len(acknowledged) >= since + 6:
                return True
            time.sleep(0.05)
        return False

    try:
        # kill a worker in the middle of the load until two requests were cut off (at most 12 kills)
        for _ in range(12):
            if cut_off[0] >= 2 or not serving(len(acknowledged)):
                break
            os.kill(min(workers_of(server.process)), signal.SIGKILL)  # the older: it has been answering longest
            time.sleep(0.3)
    finally:
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert cut_off[0] >= 1, "no request was cut off by the kills; the test proved nothing"
    assert len(acknowledged) > 20
    db.session.remove()
    rows = db.session.execute(select(Redemption.id, Redemption.idempotency_key)
                              .where(Redemption.idempotency_key.like("crash-%"))).all()
    by_key = {}
    for row_id, key in rows:
        by_key.setdefault(key, []).append(row_id)
    assert all(len(ids) == 1 for ids in by_key.values())  # none twice
    for key, row_id in acknowledged.items():  # every acknowledged one is there, with the id the client was told
        assert by_key.get(key) == [row_id], key
    assert set(by_key) == set(acknowledged)  # and nothing the clients were never told about
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == len(acknowledged)
