"""Limits and idempotency against a real gunicorn server with several workers, on SQLite and PostgreSQL."""
from baiye.accounts.services import issue_api_token
from baiye.extensions import db
from verification.till.models import Redemption, UsageCounter

from ..helpers import fire, make_member, post


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
