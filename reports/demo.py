"""Demo redemptions: a realistic year of the network, bulk-inserted (a million in well under two minutes).

Runs after the other demo areas. Uses their approved shops and offers and their members; when no
members exist yet it enrols plain ones (each with one active credential) itself. Redemptions are
written straight through the DB-API (COPY on PostgreSQL), then the roll-ups are rebuilt in bulk.
"""
import math
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import func, select

from baiye.accounts.models import User
from baiye.clock import local_date, zone
from baiye.extensions import db
from shops.models import Shop
from verification.members.models import Credential, Member
from verification.till.models import Redemption

from .rollups import rebuild_rollups

DEFAULT_REDEMPTIONS = 3000  # a few weeks of a small network, when no number is asked for
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华志国红玉梅文斌德福海"
CATEGORY_WEIGHTS = (("veteran", 45), ("family", 30), ("active_duty", 15), ("martyr_family", 10))
TYPICAL_BILL = {"catering": 9000, "retail": 12000, "lodging": 32000, "health": 20000, "education": 60000,
                "transport": 5000, "tourism": 8000, "leisure": 7000, "services": 5000, "auto": 30000,
                "telecom": 10000, "finance": 0, "other": 8000}
CHUNK = 50_000
STAMP = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format for DateTime on SQLite


def build(rng, now, password, echo, redemptions=None, **options):
    """Members if there are none, then `redemptions` redemptions over the last year; roll-ups rebuilt."""
    existing = db.session.scalar(select(func.count(Redemption.id)))
    if redemptions is None:
        if existing:
            rebuild_rollups()
            return
        redemptions, days = DEFAULT_REDEMPTIONS, 56
    else:
        days = 365
    shops = db.session.scalars(select(Shop).where(Shop.status == "approved").order_by(Shop.id)).all()
    if not shops or not redemptions:
        rebuild_rollups()
        return
    members = _members(rng, now, max(300, min(60_000, redemptions // 40)), echo)
    owners = dict(db.session.execute(select(User.shop_id, func.min(User.id)).where(User.role == "owner")
                                     .group_by(User.shop_id)).all())
    today = local_date(now)
    offers = {s.id: [o for o in s.offers if o.is_active] for s in shops}
    shops = [s for s in shops if offers[s.id]]
    started = datetime.now()
    rows = _redemptions(rng, now, today, days, redemptions, shops, offers, members, owners)
    generated = (datetime.now() - started).total_seconds()
    _insert(rows)
    echo(f"demo: {redemptions:,} redemptions made in {generated:.1f}s, inserted in "
         f"{(datetime.now() - started).total_seconds() - generated:.1f}s")
    started = datetime.now()
    rebuild_rollups()
    echo(f"demo: statistics roll-ups rebuilt in {(datetime.now() - started).total_seconds():.1f}s")


def _members(rng, now, wanted, echo):
    """[(member_id, credential_id, category)]: the members with an active card, topped up with plain new
    ones (one card each) to `wanted`, so a big run has a realistic number of people."""
    existing = [tuple(r) for r in db.session.execute(
        select(Member.id, Credential.id, Member.category).join(Credential, Credential.member_id == Member.id)
        .where(Credential.status == "active"))]
    if len(existing) >= wanted:
        return existing
    wanted -= len(existing)
    start_id = (db.session.scalar(select(func.max(Member.id))) or 0) + 1
    start_cred = (db.session.scalar(select(func.max(Credential.id))) or 0) + 1
    categories = [c for c, w in CATEGORY_WEIGHTS for _ in range(w)]
    member_rows, credential_rows = [], []
    expires = local_date(now) + timedelta(days=3 * 365)
    for i in range(wanted):
        member_id, credential_id = start_id + i, start_cred + i
        enrolled = now - timedelta(days=rng.randrange(30, 420), minutes=rng.randrange(600))
        member_rows.append(dict(id=member_id, name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2)))),
                                category=rng.choice(categories), phone=f"1{rng.choice('3589')}{rng.randrange(10**8, 10**9)}",
                                id_hash=None, id_last4=f"{rng.randrange(10000):04d}", expires_on=expires,
                                station="区退役军人服务站", created_at=enrolled, purged_at=None))
        credential_rows.append(dict(id=credential_id, member_id=member_id, public_id=f"{rng.getrandbits(128):032x}",
                                    card_no=f"BYD{member_id:09d}", serial=1, status="active", issued_at=enrolled,
                                    revoked_at=None, revoked_reason=None))
    for chunk in range(0, wanted, 5000):
        db.session.execute(Member.__table__.insert(), member_rows[chunk:chunk + 5000])
        db.session.execute(Credential.__table__.insert(), credential_rows[chunk:chunk + 5000])
    if db.session.get_bind().dialect.name == "postgresql":
        for table in ("member", "credential"):
            db.session.execute(db.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                       f"(SELECT max(id) FROM {table}))"))
    echo(f"demo: {wanted:,} members enrolled, one card each")
    return existing + [(m["id"], c["id"], m["category"]) for m, c in zip(member_rows, credential_rows)]


def _discount(offer, bill):
    if offer.kind == "percent_off":
        return (bill * offer.value + 50) // 100  # half up to the fen
    if offer.kind == "amount_off":
        return min(offer.value or 0, bill)
    return 0


def _redemptions(rng, now, today, days, count, shops, offers, members, owners):
    """Rows in column order: members have favourite shops, busy weekends, growth over the year."""
    tz = zone()
    popularity = [rng.paretovariate(1.4) for _ in shops]
    activity = [rng.paretovariate(1.8) for _ in members]
    favourites = [rng.choices(range(len(shops)), weights=popularity, k=rng.choice((1, 2, 2, 3, 4)))
                  for _ in members]
    day_list = [today - timedelta(days=d) for d in range(days)]
    day_weights = [(1.35 if d.weekday() >= 5 else 1.0) * (0.6 + 0.4 * (days - i) / days) for i, d in enumerate(day_list)]
    picked_members = rng.choices(range(len(members)), weights=activity, k=count)
    picked_days = rng.choices(day_list, weights=day_weights, k=count)
    eligible = {}
    midnight = {}
    rows = []
    latest = now - timedelta(minutes=5)
    picked_days.sort()  # logged in time order, as a till would
    for n in range(count):
        m = picked_members[n]
        member_id, credential_id, category = members[m]
        s = rng.choice(favourites[m]) if rng.random() < 0.85 else rng.choices(range(len(shops)), weights=popularity)[0]
        shop = shops[s]
        key = (shop.id, category)
        choices = eligible.get(key)
        if choices is None:
            choices = eligible[key] = [o for o in offers[shop.id] if o.takes(category)] or offers[shop.id]
        offer = rng.choice(choices)
        typical = TYPICAL_BILL.get(shop.industry, 8000) or 5000
        bill = max(500, int(math.exp(rng.gauss(math.log(typical), 0.55))) // 10 * 10)
        if offer.min_spend and bill < offer.min_spend:
            bill = offer.min_spend + rng.randrange(0, 5000, 100)
        day = picked_days[n]
        base = midnight.get(day)
        if base is None:
            base = midnight[day] = datetime.combine(day, time.min, tz).astimezone(timezone.utc).replace(tzinfo=None)
        created = base + timedelta(seconds=rng.randrange(9 * 3600, 21 * 3600))
        if created > latest:
            created = latest - timedelta(seconds=rng.randrange(3600))
            day = local_date(created)
        voided = rng.random() < 0.01
        rows.append((shop.id, offer.id, owners.get(shop.id), member_id, credential_id, category, bill,
                     _discount(offer, bill), created, day, None,
                     created + timedelta(minutes=3) if voided else None, "录入错误" if voided else None,
                     owners.get(shop.id) if voided else None))
    rows.sort(key=lambda r: r[8])
    return rows


COLUMNS = ("shop_id", "offer_id", "cashier_id", "member_id", "credential_id", "category", "bill", "discount",
           "created_at", "day", "idempotency_key", "voided_at", "void_reason", "voided_by_id")


def _insert(rows):
    """Bulk insert on the session's own connection (so it commits with the rest of the demo)."""
    connection = db.session.connection()
    raw = connection.connection.driver_connection
    cursor = raw.cursor()
    if connection.dialect.name == "postgresql":
        with cursor.copy(f"COPY redemption ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    # A big page cache for the load: the indexes on member and offer are written in random order.
    cursor.execute("PRAGMA cache_size=-400000")
    sql = f"INSERT INTO redemption ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
    for start in range(0, len(rows), CHUNK):
        cursor.executemany(sql, [r[:8] + (r[8].strftime(STAMP), r[9].isoformat()) + r[10:11]
                                 + ((r[11].strftime(STAMP) if r[11] else None),) + r[12:]
                                 for r in rows[start:start + CHUNK]])
    cursor.execute("PRAGMA cache_size=-2000")

