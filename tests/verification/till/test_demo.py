"""The demo's redemptions: realistic, within the rules, and nothing without members."""
import random
from collections import Counter

from baiye.clock import local_date, period_key, utcnow
from baiye.extensions import db
from shops import demo as shop_demo
from shops.models import Offer
from verification.till import demo as redemption_demo
from verification.till.models import Redemption, UsageCounter
from verification.till.operations import discount_for

from ..helpers import make_member


def test_nothing_without_members(app):
    rng, now, said = random.Random(1), utcnow(), []
    shop_demo.build(rng=rng, now=now, password="demo2026", echo=said.append)
    redemption_demo.build(rng=rng, now=now, password="demo2026", echo=said.append)
    assert db.session.query(Redemption).count() == 0
    assert "no members" in said[-1]


def test_a_few_weeks_within_the_rules(app):
    rng, now = random.Random(7), utcnow()
    shop_demo.build(rng=rng, now=now, password="demo2026", echo=lambda m: None)
    for i, category in enumerate(["veteran", "family", "active_duty", "martyr_family"] * 10):
        make_member(name=f"成员{i}", category=category)
    redemption_demo.build(rng=rng, now=now, password="demo2026", echo=lambda m: None)
    db.session.commit()
    items = db.session.query(Redemption).all()
    assert len(items) > 300
    days = {r.day for r in items}
    assert len(days) >= 15 and max(days) <= local_date(now)
    uses = Counter()
    for r in items:
        assert r.shop.status == "approved" and r.offer.takes(r.category) and r.created_at <= now
        assert r.day == local_date(r.created_at)
        assert r.discount == discount_for(r.offer, r.bill)
        assert not r.offer.min_spend or r.bill >= r.offer.min_spend
        if r.offer.limit_per_member:
            uses[(r.member_id, r.offer_id, period_key(r.day, r.offer.limit_period))] += 1
    assert uses and all(n <= db.session.get(Offer, offer_id).limit_per_member
                        for (_, offer_id, _), n in uses.items())
    for counter in db.session.query(UsageCounter).all():
        standing = sum(1 for r in items if r.member_id == counter.member_id and r.offer_id == counter.offer_id
                       and not r.voided_at and period_key(r.day, r.offer.limit_period) == counter.period)
        assert counter.used == standing
