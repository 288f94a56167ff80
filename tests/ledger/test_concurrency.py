"""The log does not fork: 50 redemptions at once on a real server, appended by several appenders at once (the
test's threads, as several app servers' appenders would be), on SQLite and PostgreSQL; and gunicorn's own
appender picks up what the till commits."""
import threading
import time

import pytest
from sqlalchemy import func, select

from baiye.accounts.services import issue_api_token
from baiye.clock import utcnow
from baiye.extensions import db
from ledger import services
from ledger.models import LedgerEntry
from verification.till.models import Redemption

from ..live import gunicorn
from ..verification.helpers import fire, make_member, post


def test_fifty_parallel_redemptions_and_four_appenders_make_one_log(app, make, server):
    shop = make.shop()
    cashier = make.cashier(shop)
    offer = make.offer(shop)
    cards = [make_member(name=f"并发{i}").card_no for i in range(50)]
    token = issue_api_token(cashier)
    db.session.commit()
    offer_id = offer.id
    db.session.remove()

    stop = threading.Event()
    errors = []

    def appender():
        with app.app_context():
            try:
                while not stop.is_set():
                    services.append_pending(utcnow())
            except Exception as err:  # noqa: BLE001 - reported below
                errors.append(err)
            finally:
                db.session.remove()

    appenders = [threading.Thread(target=appender) for _ in range(4)]
    for thread in appenders:
        thread.start()
    results = fire(server + "/api/v1/redemptions", token,
                   [{"code": card, "offer_id": offer_id, "bill": 1000 + i} for i, card in enumerate(cards)])
    time.sleep(0.5)
    stop.set()
    for thread in appenders:
        thread.join(timeout=60)
    assert not errors, errors
    assert sorted(status for status, _ in results) == [201] * 50, results

    services.checkpoint(utcnow())
    logged = db.session.execute(select(LedgerEntry.seq, LedgerEntry.redemption_id).order_by(LedgerEntry.seq)).all()
    assert [seq for seq, _ in logged] == list(range(50))  # one index each, no gap, no fork
    assert sorted(r for _, r in logged) == sorted(answer["id"] for _, answer in results)
    report = services.verify()
    assert report.intact and report.size == 50 and report.pending == 0, report.problems


@pytest.fixture
def appending_server(app, config, tmp_path):
    """gunicorn with the shipped settings (gunicorn.conf.py), its ledger appender on and running every second."""
    env = dict(DATABASE_URL=config["DATABASE_URL"], SECRET_KEY=config["SECRET_KEY"],
               FLASK_ID_HASH_KEY=config["ID_HASH_KEY"], FLASK_RATELIMIT_ENABLED="false", LEDGER_APPENDER="on",
               FLASK_LEDGER_APPEND_SECONDS="1")
    with gunicorn(env, tmp_path / "gunicorn.log", args=("-c", "gunicorn.conf.py", "--workers", "1")) as base:
        yield base


def test_gunicorn_runs_the_appender_beside_its_workers(make, appending_server, tmp_path):
    shop = make.shop()
    cashier = make.cashier(shop)
    offer = make.offer(shop)
    card = make_member()
    token = issue_api_token(cashier)
    db.session.commit()
    body = {"code": card.card_no, "offer_id": offer.id, "bill": 5000}
    db.session.remove()
    status, answer = post(appending_server + "/api/v1/redemptions", token, body)
    assert status == 201, answer
    deadline = time.monotonic() + 20
    while not db.session.scalar(select(func.count()).select_from(LedgerEntry)):
        assert time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
        time.sleep(0.2)
        db.session.remove()
    entry = db.session.scalars(select(LedgerEntry)).one()
    assert entry.redemption_id == answer["id"] == db.session.scalar(select(Redemption.id))
