"""Redemptions made the way the redemption service makes them: insert, flush, signal, commit."""
import itertools
from datetime import date, timedelta

from baiye.clock import day_start_utc, local_date, utcnow
from baiye.extensions import db
from verification.members.models import Credential, Member
from verification.till.models import Redemption
from verification.till.signals import redemption_logged, redemption_voided

_seq = itertools.count(1)


def make_member(category="veteran", name="张三明", created_at=None):
    n = next(_seq)
    member = Member(name=name, category=category, phone="13900000000", id_last4=f"{n:04d}"[-4:],
                    expires_on=date(2099, 12, 31), created_at=created_at or utcnow())
    db.session.add(member)
    db.session.flush()
    db.session.add(Credential(member=member, public_id=f"pub{n:08d}", card_no=f"C{n:09d}", serial=1))
    db.session.commit()
    return member


def log_redemption(shop, offer, member, bill=10000, discount=1000, day=None, category=None):
    """Insert a redemption on `day` (local; today by default) and send redemption_logged."""
    day = day or local_date(utcnow())
    created = day_start_utc(day) + timedelta(hours=12)
    redemption = Redemption(shop_id=shop.id, offer_id=offer.id, member_id=member.id,
                            credential_id=member.credentials[0].id, category=category or member.category,
                            bill=bill, discount=discount, created_at=created, day=day)
    db.session.add(redemption)
    db.session.flush()
    redemption_logged.send(redemption)
    db.session.commit()
    return redemption


def void_redemption(redemption, reason="录错了", now=None):
    """Void and send redemption_voided, as the service does."""
    redemption.voided_at = now or utcnow()
    redemption.void_reason = reason
    redemption_voided.send(redemption)
    db.session.commit()
    return redemption


def recount(start=None, end=None, street=None, industry=None, category=None, shop_id=None, by=None):
    """The figures straight from the redemptions, for checking the roll-ups: {group: (n, people, bill, discount)}."""
    from baiye.clock import period_key
    from shops.models import Shop

    groups = {}
    for r in db.session.query(Redemption).filter(Redemption.voided_at.is_(None)):
        shop = db.session.get(Shop, r.shop_id)
        if (start and r.day < start) or (end and r.day > end) or (street and shop.street != street) \
                or (industry and shop.industry != industry) or (category and r.category != category) \
                or (shop_id and r.shop_id != shop_id):
            continue
        key = {None: None, "industry": shop.industry, "street": shop.street, "category": r.category,
               "shop": r.shop_id, "day": r.day.isoformat(), "week": period_key(r.day, "week"),
               "month": period_key(r.day, "month")}[by]
        acc = groups.setdefault(key, [0, set(), 0, 0])
        acc[0] += 1
        acc[1].add(r.member_id)
        acc[2] += r.bill
        acc[3] += r.discount
    return {k: (v[0], len(v[1]), v[2], v[3]) for k, v in groups.items()}
