"""The coordinator's figures, read from the roll-ups (never by scanning the redemptions).

Sums come from `stat_day` (one row per day, shop and category). Unique people come from the member
sets: whole months (or ISO weeks, for the week trend) of the period from bitmaps, OR-ed; the days at
either edge from the daily id arrays, or from the all-shop daily bitmaps when no shop filter applies.
A year's figure reads a few thousand small rows whatever the number of redemptions.
"""
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, timedelta

from babel.dates import format_interval
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import func, literal, or_, select

from baiye import lists
from baiye.clock import day_start_utc, local_date, period_key, utcnow
from baiye.errors import invalid
from baiye.extensions import db
from shops.models import Offer, Shop
from verification.members.models import Member

from .models import StatAllMembers, StatDay, StatDayMembers, StatMonthMembers, StatWeekMembers
from .rollups import FORMS, month_end, month_start, unpack_ids, week_end, week_start

GROUPS = ("industry", "street", "category", "shop", "day", "week", "month")
STATUSES = ("approved", "pending", "suspended", "rejected")


@dataclass(frozen=True)
class Filters:
    """A period (inclusive local days; None = open) and the optional filters."""

    start: date | None = None
    end: date | None = None
    street: str | None = None
    industry: str | None = None
    category: str | None = None
    shop_id: int | None = None

    @property
    def narrows_shops(self):
        return bool(self.street or self.industry or self.shop_id)

    def describe(self):
        """The period and filters in words, for titles of exports and the printed report."""
        return " · ".join(self.described())

    def described(self):
        """The parts of describe(): the period first, then each filter's label."""
        parts = [_("%(start)s 至 %(end)s", start=self.start.isoformat() if self.start else "…",
                   end=self.end.isoformat() if self.end else "…")]
        if self.street:
            parts.append(lists.street_label(self.street))
        if self.industry:
            parts.append(lists.industry_label(self.industry))
        if self.category:
            parts.append(lists.category_label(self.category))
        if self.shop_id:
            shop = db.session.get(Shop, self.shop_id)
            parts.append(shop.name if shop else f"#{self.shop_id}")
        return parts


def shop_conditions(filters):
    """WHERE conditions on `shop` for the street, industry and shop filters."""
    conditions = []
    if filters.street:
        conditions.append(Shop.street == filters.street)
    if filters.industry:
        conditions.append(Shop.industry == filters.industry)
    if filters.shop_id:
        conditions.append(Shop.id == filters.shop_id)
    return conditions


def _shops(filters):
    """{id: (name, industry, street)} of the shops the filters select (all when none)."""
    rows = db.session.execute(select(Shop.id, Shop.name, Shop.industry, Shop.street)
                              .where(*shop_conditions(filters))).all()
    return {r.id: r for r in rows}


def _rollup_conditions(model, day_column, filters, shop_ids, start=None, end=None):
    conditions = []
    start, end = start or filters.start, end or filters.end
    if start:
        conditions.append(day_column >= start)
    if end:
        conditions.append(day_column <= end)
    if filters.category:
        conditions.append(model.category == filters.category)
    if filters.narrows_shops:
        conditions.append(model.shop_id.in_(shop_ids or [-1]))
    return conditions


def period_bounds(filters):
    """The period with open ends closed at the first and last day that has data (None when empty)."""
    start, end = filters.start, filters.end
    if start is None or end is None:
        first, last = db.session.execute(select(func.min(StatDay.day), func.max(StatDay.day))).one()
        if first is None:
            return None
        start, end = start or first, end or last
    return (start, end) if start <= end else None


# --- unique people --------------------------------------------------------------------------

def _split(start, end, first_of, last_of):
    """Whole periods (months or weeks) inside [start, end], and the day ranges at the edges outside them."""
    first_full = start if first_of(start) == start else last_of(start) + timedelta(days=1)
    last_full = end if last_of(end) == end else first_of(end) - timedelta(days=1)
    if first_full > last_full:
        return None, [(start, end)]
    edges = []
    if start < first_full:
        edges.append((start, first_full - timedelta(days=1)))
    if last_full < end:
        edges.append((last_full + timedelta(days=1), end))
    return (first_full, first_of(last_full)), edges


def _bits_rows(model, column, filters, shops, first, last, grain=None):
    """(first day, shop or None, category, bitmap int) rows of a bitmap table over [first, last]."""
    table = model.__table__
    conditions = [table.c[column] >= first, table.c[column] <= last]
    if grain:
        conditions.append(table.c.grain == grain)
    if filters.category:
        conditions.append(table.c.category == filters.category)
    if grain is None and filters.narrows_shops:
        conditions.append(table.c.shop_id.in_(list(shops) or [-1]))
    shop = literal(None) if grain else table.c.shop_id
    query = select(table.c[column], shop, table.c.category, table.c.bits).where(*conditions)
    return [(d, s, c, int.from_bytes(b, "little")) for d, s, c, b in db.session.connection().execute(query)]


def _member_rows(filters, shops, bounds, grain, everywhere):
    """The member sets covering the period: ([(first day, shop, category, bitmap int)], [(day, shop, category,
    id array bytes)]). Whole months or weeks come from bitmaps (none for the day grain); when `everywhere`
    (no shop needed) from the network-wide bitmaps, a few rows per period; else per shop, with the edge
    days from the per-shop daily id arrays."""
    start, end = bounds
    if grain == "month":
        whole, edges = _split(start, end, month_start, month_end)
        coarse = StatMonthMembers, "month"
    elif grain == "week":
        whole, edges = _split(start, end, week_start, week_end)
        coarse = StatWeekMembers, "week"
    else:
        whole, edges, coarse = None, [(start, end)], None
    bit_rows, array_rows = [], []
    if whole:
        if everywhere:
            bit_rows += _bits_rows(StatAllMembers, "first", filters, shops, *whole, grain=grain)
        else:
            bit_rows += _bits_rows(*coarse, filters, shops, *whole)
    for first, last in edges:
        if everywhere:
            bit_rows += _bits_rows(StatAllMembers, "first", filters, shops, first, last, grain="day")
            continue
        table = StatDayMembers.__table__
        query = select(table.c.day, table.c.shop_id, table.c.category, table.c.members).where(
            *_rollup_conditions(table.c, table.c.day, filters, shops, start=first, end=last))
        array_rows += db.session.connection().execute(query).all()
    return bit_rows, array_rows


def _count_people(bit_rows, array_rows, key):
    """{group: distinct members} over the rows, grouped by `key(day, shop_id, category)`."""
    bitmaps, arrays = {}, {}
    for first, shop_id, category, bits in bit_rows:
        group = key(first, shop_id, category)
        bitmaps[group] = bitmaps.get(group, 0) | bits
    for day, shop_id, category, blob in array_rows:
        arrays.setdefault(key(day, shop_id, category), []).append(blob)
    counts = {}
    for group in set(bitmaps) | set(arrays):
        bitmap = bitmaps.get(group, 0)
        blobs = arrays.get(group, ())
        if not bitmap and len(blobs) == 1:
            counts[group] = len(blobs[0]) // 4  # one row's ids are distinct already
            continue
        ids = set(unpack_ids(b"".join(blobs)))
        if not bitmap:
            counts[group] = len(ids)
            continue
        raw = bitmap.to_bytes((bitmap.bit_length() + 7) // 8, "little")
        size = len(raw)
        counts[group] = bitmap.bit_count() + sum(1 for m in ids if (m >> 3) >= size or not raw[m >> 3] >> (m & 7) & 1)
    return counts


def _one_group(day, shop_id, category):
    return None


# --- grouping --------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def week_key(day):
    return period_key(day, "week")


@lru_cache(maxsize=4096)
def month_key(day):
    return day.strftime("%Y-%m")


def week_dates(key):
    """The Monday and Sunday of an ISO week key (`2026-W49`)."""
    year, week = key.split("-W")
    monday = date.fromisocalendar(int(year), int(week), 1)
    return monday, monday + timedelta(days=6)


def week_label(key):
    """An ISO week as people read it, in the request's language: 12月7日–13日, Dec 7 – 13."""
    monday, sunday = week_dates(key)
    # CLDR joins the days with 至 in Chinese; a dash keeps the label as short as a chart's axis needs.
    return format_interval(monday, sunday, "MMMd", locale=get_locale() or "zh").replace("至", "–")


def _grouper(by, shops):
    """The key function over roll-up rows for a breakdown (see `people`)."""
    if by == "industry":
        def fn(d, s, c):
            return shops[s].industry if s in shops else None
    elif by == "street":
        def fn(d, s, c):
            return shops[s].street if s in shops else None
    elif by == "shop":
        def fn(d, s, c):
            return s
    elif by == "category":
        def fn(d, s, c):
            return c
    elif by == "month":
        def fn(d, s, c):
            return month_key(d)
    elif by == "week":
        def fn(d, s, c):
            return week_key(d)
        fn.grain = "week"
    elif by == "day":
        def fn(d, s, c):
            return d.isoformat()
        fn.grain = "day"
    else:
        raise ValueError(by)
    fn.needs_shop = by in ("industry", "street", "shop")
    return fn


class Figures:
    """One period and filters, read from the roll-ups once and grouped many ways (a dashboard asks for
    eight groupings: they share two sum queries and one read of each kind of member set)."""

    def __init__(self, filters):
        self.filters = filters
        self.shops = _shops(filters)
        self.bounds = period_bounds(filters)
        self._cache = {}

    def _once(self, name, load):
        if name not in self._cache:
            self._cache[name] = load()
        return self._cache[name]

    def _summed(self, group_columns):
        columns = [func.sum(StatDay.redemptions), func.sum(StatDay.bill), func.sum(StatDay.discount),
                   *(func.sum(getattr(StatDay, form)) for form in FORMS)]
        query = (select(*group_columns, *columns)
                 .where(*_rollup_conditions(StatDay, StatDay.day, self.filters, self.shops))
                 .group_by(*group_columns))
        return db.session.execute(query).all()

    def sums(self, by=None):
        """{group: [redemptions, bill, discount, *redemptions by form (FORMS)]}: by day from one query, everything
        else from per shop and category."""
        result = {}
        width = 3 + len(FORMS)
        if by in ("day", "week", "month"):
            fold = {"week": week_key, "month": month_key, "day": date.isoformat}[by]
            rows = ((fold(row[0]), *row[1:]) for row in self._once("per_day", lambda: self._summed([StatDay.day])))
        else:
            key = _grouper(by, self.shops) if by else _one_group
            rows = ((key(None, row[0], row[1]), *row[2:]) for row in self._once(
                "per_shop", lambda: self._summed([StatDay.shop_id, StatDay.category])))
        for group, *values in rows:
            acc = result.setdefault(group, [0] * width)
            for index, value in enumerate(values):
                acc[index] += int(value or 0)
        if by is None and not result:
            result[None] = [0] * width
        return result

    def people(self, key=None):
        """Distinct members served per group of `key` (see `_grouper`; None: the whole selection)."""
        if self.bounds is None:
            return {}
        key = key or _one_group
        grain = getattr(key, "grain", "month")
        everywhere = not self.filters.narrows_shops and not getattr(key, "needs_shop", False)
        rows = self._once(("members", grain, everywhere), lambda: _member_rows(
            self.filters, self.shops, self.bounds, grain, everywhere))
        return _count_people(*rows, key)


def people(filters, key=None):
    """Distinct members served, per group: {group_key: count} (see `Figures.people`)."""
    return Figures(filters).people(key)


def _time_keys(by, bounds):
    """Every day/week/month of the period, so a trend shows the quiet ones as zero."""
    if bounds is None:
        return []
    start, end = bounds
    keys, day = [], start
    fold = {"day": date.isoformat, "week": week_key, "month": month_key}[by]
    while day <= end:
        k = fold(day)
        if not keys or keys[-1] != k:
            keys.append(k)
        day += timedelta(days=1)
    return keys


MAX_DAY_ROWS = 1100  # a day-by-day breakdown covers at most about three years


def breakdown(filters, by, figures=None):
    """Rows {key, label, redemptions, beneficiaries, bill, discount} grouped by `by`."""
    if by not in GROUPS:
        raise ValueError(by)
    figures = figures or Figures(filters)
    bounds = figures.bounds  # an open end closes at the data's first or last day
    if by == "day" and bounds and (bounds[1] - bounds[0]).days >= MAX_DAY_ROWS:
        raise invalid({"from": [_("按日统计的期间不能超过3年，请按周或按月统计。")]})
    shops = figures.shops
    sums = figures.sums(by)
    counts = figures.people(_grouper(by, shops))
    if by in ("industry", "street", "category"):
        pairs = {"industry": lists.industries, "street": lists.streets, "category": lists.categories}[by]()
        if by == "category" and filters.category:
            pairs = [(k, v) for k, v in pairs if k == filters.category]
        if by in ("industry", "street") and getattr(filters, by):
            pairs = [(k, v) for k, v in pairs if k == getattr(filters, by)]
        known = {k for k, _label in pairs}
        pairs += [(k, k) for k in sorted(set(sums) - known, key=str) if k is not None]
        keys = pairs
    elif by == "shop":
        ordered = sorted((s for s in sums if sums[s][0]), key=lambda s: (-sums[s][0], -sums[s][2], s))
        keys = [(s, shops[s].name if s in shops else f"#{s}") for s in ordered]
    elif by == "week":
        keys = [(k, week_label(k)) for k in _time_keys(by, figures.bounds)]
    else:
        keys = [(k, k) for k in _time_keys(by, figures.bounds)]
    rows = []
    for key, label in keys:
        n, bill, discount, *forms = sums.get(key, (0,) * (3 + len(FORMS)))
        rows.append({"key": key, "label": str(label), "redemptions": n, "beneficiaries": counts.get(key, 0),
                     "bill": bill, "discount": discount, "by_form": by_form(n, forms)})
    return rows


def by_form(redemptions, forms):
    """{form: redemptions} for FORMS, and `unrecorded` for redemptions logged before forms were kept (if any)."""
    counts = dict(zip(FORMS, forms))
    unrecorded = redemptions - sum(forms)
    if unrecorded:
        counts["unrecorded"] = unrecorded
    return counts


def summary(filters, now=None, figures=None):
    """The headline figures for a period and filters (voided redemptions excluded)."""
    now = now or utcnow()
    figures = figures or Figures(filters)
    n, bill, discount, *forms = figures.sums()[None]
    status = dict.fromkeys(STATUSES, 0)
    for value, count in db.session.execute(
            select(Shop.status, func.count()).where(*shop_conditions(filters)).group_by(Shop.status)):
        status[value] = count
    return {
        "shops": status,
        "offers_active": active_offers(filters, now),
        "members": enrolled_members(filters, now),
        "redemptions": n,
        "beneficiaries": figures.people().get(None, 0),
        "bill": bill,
        "discount": discount,
        "by_form": by_form(n, forms),
    }


def active_offers(filters, now):
    """Offers running on the period's last day (today when open) at approved shops."""
    day = min(filters.end, local_date(now)) if filters.end else local_date(now)
    query = (select(func.count(Offer.id)).join(Shop, Shop.id == Offer.shop_id)
             .where(Shop.status == "approved", Offer.is_active.is_(True), Offer.starts_on <= day,
                    or_(Offer.ends_on.is_(None), Offer.ends_on >= day), *shop_conditions(filters)))
    if filters.category:
        query = query.where(or_(Offer.categories == "",
                                ("," + Offer.categories + ",").like(f"%,{filters.category},%")))
    return db.session.scalar(query) or 0


def enrolled_members(filters, now):
    """Members enrolled by the end of the period (members belong to no shop: shop filters do not apply)."""
    query = select(func.count(Member.id))
    if filters.end:
        query = query.where(Member.created_at < day_start_utc(filters.end + timedelta(days=1)))
    if filters.category:
        query = query.where(Member.category == filters.category)
    return db.session.scalar(query) or 0


def inactive_shops(days, filters, now=None):
    """Approved shops with no (live) redemption in the last `days` days, with their phone for follow-up.

    Each item: {shop, approved_on, last_day, new}; `new` when the shop was approved within those days, so has
    not yet had them to redeem in (listed apart as 新加入, before the dormant ones are counted).
    """
    today = local_date(now or utcnow())
    since = today - timedelta(days=days - 1)
    active = set(db.session.scalars(
        select(StatDay.shop_id).where(StatDay.day >= since, StatDay.day <= today, StatDay.redemptions > 0)
        .group_by(StatDay.shop_id)))
    shops = db.session.scalars(select(Shop).where(Shop.status == "approved", *shop_conditions(filters))
                               .order_by(Shop.street, Shop.name)).all()
    quiet = [s for s in shops if s.id not in active]
    last_seen = {}
    if quiet:
        last_seen = dict(db.session.execute(
            select(StatDay.shop_id, func.max(StatDay.day))
            .where(StatDay.shop_id.in_([s.id for s in quiet]), StatDay.redemptions > 0)
            .group_by(StatDay.shop_id)).all())
    items = []
    for shop in quiet:
        approved_on = local_date(shop.approved_at) if shop.approved_at else None
        items.append({"shop": shop, "approved_on": approved_on, "last_day": last_seen.get(shop.id),
                      "new": approved_on is not None and approved_on >= since})
    return items


def typical_bill(shop_id, now=None, days=90):
    """A shop's average bill (fen) over its last `days` days of redemptions, from the roll-ups; None without any."""
    today = local_date(now or utcnow())
    count, bill = db.session.execute(
        select(func.sum(StatDay.redemptions), func.sum(StatDay.bill))
        .where(StatDay.shop_id == shop_id, StatDay.day > today - timedelta(days=days), StatDay.day <= today)).one()
    return int(bill) // int(count) if count else None


def public_totals():
    """Programme totals for everyone: no personal data, no filters."""
    figures = Figures(Filters())
    n, _bill, discount, *_forms = figures.sums()[None]
    approved = db.session.scalar(select(func.count(Shop.id)).where(Shop.status == "approved")) or 0
    return {"shops": approved, "redemptions": n, "beneficiaries": figures.people().get(None, 0),
            "discount": discount}
