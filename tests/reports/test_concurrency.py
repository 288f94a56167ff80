"""Redemptions logged at the same moment by several tills all land in the roll-ups."""
import threading
from datetime import date

from baiye.extensions import db
from reports import stats
from verification.till.models import Redemption
from verification.till.signals import redemption_logged

from .helpers import recount

DAY = date(2026, 10, 9)


def test_concurrent_first_visits_are_all_counted(app, network):
    work = [(s, m) for s in range(3) for m in range(5)] * 2
    shops = [s.id for s in network.shops]
    offers = [o.id for o in network.offers]
    members = [(m.id, m.credentials[0].id, m.category) for m in network.members]
    errors = []
    barrier = threading.Barrier(6)

    def till(items):
        with app.app_context():
            barrier.wait()
            for s, m in items:
                member_id, credential_id, category = members[m]
                try:
                    r = Redemption(shop_id=shops[s], offer_id=offers[s], member_id=member_id,
                                   credential_id=credential_id, category=category, bill=1000, discount=100, day=DAY)
                    db.session.add(r)
                    db.session.flush()
                    redemption_logged.send(r)
                    db.session.commit()
                except Exception as err:  # noqa: BLE001 — collected and asserted below
                    db.session.rollback()
                    errors.append(repr(err))
            db.session.remove()

    threads = [threading.Thread(target=till, args=(work[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    db.session.expire_all()
    s = stats.summary(stats.Filters(start=DAY, end=DAY))
    assert (s["redemptions"], s["beneficiaries"], s["bill"], s["discount"]) == recount(DAY, DAY)[None] == (30, 5, 30000, 3000)
    rows = {r["key"]: (r["redemptions"], r["beneficiaries"]) for r in stats.breakdown(stats.Filters(), "shop")}
    assert rows == {shop: (10, 5) for shop in shops}
