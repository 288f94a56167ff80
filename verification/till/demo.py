"""Demo redemptions: a few weeks of realistic use of the demo shops' offers by the demo members.

Plain inserts (no signals): areas that keep roll-ups rebuild them from the table.
"""
import itertools
import math
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import delete, func, insert, select

from baiye.accounts.models import User
from baiye.clock import day_start_utc, local_date, period_bounds, period_key
from baiye.extensions import db
from shops.models import Offer, Shop

from ..members.models import Credential, Member
from .models import Redemption, UsageCounter
from .operations import discount_for

# Typical bills in yuan (low, high) by industry.
BILLS = {"catering": (25, 260), "retail": (15, 400), "lodging": (160, 600), "health": (50, 800),
         "education": (200, 3000), "transport": (10, 120), "tourism": (40, 300), "leisure": (30, 200),
         "services": (20, 150), "auto": (50, 900), "telecom": (30, 200), "finance": (0, 0), "other": (20, 300)}
VOID_REASONS = ["金额输错", "顾客取消消费", "选错优惠", "重复登记"]
CHUNK = 20_000


# The forms members identified themselves by, in demo proportions (out of 20): mostly the phone's QR.
DEMO_FORMS = ("phone_qr",) * 14 + ("card_qr",) * 3 + ("phone_digits",) * 2 + ("card_number",)


def sign_in_lines():
    return []


def _bill(rng, industry, offer):
    low, high = BILLS.get(industry, (20, 300))
    if high == 0:
        return 0
    yuan = math.exp(rng.uniform(math.log(max(low, 1)), math.log(high)))
    if offer.min_spend and yuan * 100 < offer.min_spend and rng.random() < 0.85:
        yuan = offer.min_spend / 100 + rng.uniform(0, 60)  # people spend up to the threshold
    fen = int(yuan * 100)
    return fen - fen % 100 if rng.random() < 0.6 else fen  # most bills are whole yuan


HOURS = [8, 9, 10, 11, 11, 12, 12, 12, 13, 14, 15, 16, 17, 17, 18, 18, 18, 19, 19, 20]


def _moment(rng, day_start, now):
    """A naive-UTC moment of a local day, in opening hours (busier at meal times), not after now."""
    moment = day_start + timedelta(seconds=rng.choice(HOURS) * 3600 + rng.randrange(3600))
    return moment if moment <= now else None


def build(rng, now, password, echo, redemptions=None, **options):
    """A few weeks of redemptions among the demo members and shops, within the offers' rules.

    A bulk count (`demo --redemptions N`, for benchmarks) is made by reports.demo instead.
    """
    if redemptions is not None:
        return
    today = local_date(now)
    cards = db.session.execute(
        select(Credential.id, Member.id, Member.category).join(Member)
        .where(Credential.status == "active", Member.expires_on >= today)).all()
    shops = db.session.scalars(select(Shop).where(Shop.status == "approved")).all()
    if not cards or not shops:
        echo("demo: no members or shops yet, so no redemptions")
        return
    staff = defaultdict(list)
    for user_id, shop_id in db.session.execute(select(User.id, User.shop_id).where(
            User.role.in_(("owner", "cashier")), User.shop_id.is_not(None))):
        staff[shop_id].append(user_id)
    offers = [(shop, offer) for shop in shops for offer in shop.offers if offer.is_active]
    if not offers:
        echo("demo: no offers, so no redemptions")
        return
    days = 21
    total = rng.randrange(25, 40) * days
    # Some shops are busier than others, some members come more often.
    shop_weight = {shop.id: rng.choice([1, 1, 2, 3, 5, 8]) for shop in shops}
    shop_weight[min(shop_weight)] = 12  # the demo owner's and cashier's shop has plenty to show
    offer_weights = list(itertools.accumulate(shop_weight[shop.id] for shop, _ in offers))
    card_weights = list(itertools.accumulate(rng.choice([1, 1, 1, 2, 4]) for _ in cards))
    used = defaultdict(int)
    starts = {}  # local day -> naive-UTC instant it begins
    running = {offer.id: (offer.starts_on, offer.ends_on or date.max, set(offer.category_list))
               for _, offer in offers}
    rows, made, tries = [], 0, 0
    while made < total and tries < total * 4:
        tries += 1
        day = today - timedelta(days=int(rng.triangular(0, days, 0)))  # more recent days are busier
        shop, offer = rng.choices(offers, cum_weights=offer_weights)[0]
        first, last, takes = running[offer.id]
        if not first <= day <= last:
            continue
        credential_id, member_id, category = rng.choices(cards, cum_weights=card_weights)[0]
        if takes and category not in takes:
            continue
        bill = _bill(rng, shop.industry, offer)
        if offer.min_spend and bill < offer.min_spend:
            continue
        if day not in starts:
            starts[day] = day_start_utc(day)
        moment = _moment(rng, starts[day], now)
        if moment is None:
            continue
        if offer.limit_per_member:
            slot = (member_id, offer.id, period_key(day, offer.limit_period))
            if used[slot] >= offer.limit_per_member:
                continue
            used[slot] += 1
        voided = rng.random() < 0.015
        rows.append({"shop_id": shop.id, "offer_id": offer.id, "member_id": member_id,
                     "credential_id": credential_id, "category": category,
                     "cashier_id": rng.choice(staff[shop.id]) if staff[shop.id] else None,
                     "bill": bill, "discount": discount_for(offer, bill), "created_at": moment, "day": day,
                     "idempotency_key": None, "credential_form": DEMO_FORMS[made % len(DEMO_FORMS)],
                     "voided_at": moment + timedelta(minutes=rng.randrange(1, 20)) if voided else None,
                     "void_reason": rng.choice(VOID_REASONS) if voided else None,
                     "voided_by_id": None})
        made += 1
        if len(rows) >= CHUNK:
            db.session.execute(insert(Redemption.__table__), rows)
            rows = []
    if rows:
        db.session.execute(insert(Redemption.__table__), rows)
    rebuild_counters(today)
    db.session.flush()
    echo(f"demo: {made:,} redemptions over {days} days")


def rebuild_counters(today):
    """Usage counters for the periods running today, counted from the redemptions that stand."""
    db.session.execute(delete(UsageCounter))
    limited = db.session.scalars(select(Offer).where(Offer.limit_per_member.is_not(None))).all()
    for offer in limited:
        first, last = period_bounds(today, offer.limit_period)
        counts = db.session.execute(
            select(Redemption.member_id, func.count())
            .where(Redemption.offer_id == offer.id, Redemption.voided_at.is_(None),
                   Redemption.day >= first, Redemption.day <= last)
            .group_by(Redemption.member_id)).all()
        if counts:
            key = period_key(today, offer.limit_period)
            db.session.execute(insert(UsageCounter.__table__), [
                {"member_id": member_id, "offer_id": offer.id, "period": key, "used": n}
                for member_id, n in counts])
