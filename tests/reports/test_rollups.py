"""The roll-ups equal a full recount after redemptions, voids and back-dated changes."""
import random
from datetime import date, timedelta

from sqlalchemy import select

from baiye.extensions import db
from reports import stats
from reports.models import StatAllMembers, StatDay, StatDayMembers, StatMonthMembers, StatWeekMembers
from reports.rollups import rebuild_rollups
from verification.till.models import Redemption

from .helpers import recount

TODAY = date(2026, 11, 21)
PERIODS = [
    (None, None),
    (date(2026, 9, 1), date(2026, 11, 30)),       # whole months
    (date(2026, 8, 17), date(2026, 10, 3)),       # edges on both sides
    (date(2026, 10, 5), date(2026, 10, 5)),       # one day
    (date(2026, 10, 31), date(2026, 11, 1)),      # across a month boundary
    (date(2025, 1, 1), date(2025, 1, 31)),        # no data
]
FILTERS = [{}, {"street": "chengguan"}, {"industry": "lodging"}, {"category": "veteran"}, {"shop_id": "shop1"},
           {"street": "chengguan", "category": "family"}]


def busy(network, seed=7):
    """Redemptions over three months, then voids: fresh, back-dated, and every one of a member-day."""
    rng = random.Random(seed)
    made = []
    for _ in range(160):
        day = TODAY - timedelta(days=rng.randrange(0, 100))
        made.append(network.log(rng.randrange(3), rng.randrange(5), day=day,
                                bill=rng.randrange(1000, 30000), discount=rng.randrange(0, 1000)))
    for r in rng.sample(made, 25):
        network.void(r)
    oldest = min(made, key=lambda r: r.day)
    if oldest.voided_at is None:
        network.void(oldest)  # a void of an old redemption corrects that old day
    return made


def figures(network, start, end, extra, by=None):
    extra = dict(extra)
    if extra.get("shop_id") == "shop1":
        extra["shop_id"] = network.shops[1].id
    f = stats.Filters(start=start, end=end, **extra)
    if by is None:
        s = stats.summary(f)
        got = {None: (s["redemptions"], s["beneficiaries"], s["bill"], s["discount"])} if s["redemptions"] else {}
    else:
        got = {r["key"]: (r["redemptions"], r["beneficiaries"], r["bill"], r["discount"])
               for r in stats.breakdown(f, by) if r["redemptions"]}
    return got, recount(start, end, by=by, **extra)


def test_rollups_equal_a_recount(network):
    busy(network)
    for start, end in PERIODS:
        for extra in FILTERS:
            for by in (None, "industry", "street", "category", "shop", "day", "week", "month"):
                got, want = figures(network, start, end, extra, by)
                assert got == want, (start, end, extra, by)


def test_rebuild_gives_the_same_rollups(network):
    busy(network, seed=11)

    def snapshot():
        return (sorted((r.day, r.shop_id, r.category, r.redemptions, r.bill, r.discount)
                       for r in db.session.scalars(select(StatDay)) if r.redemptions),
                sorted((r.day, r.shop_id, r.category, r.members) for r in db.session.scalars(select(StatDayMembers))),
                sorted((r.month, r.shop_id, r.category, r.bits) for r in db.session.scalars(select(StatMonthMembers))),
                sorted((r.week, r.shop_id, r.category, r.bits) for r in db.session.scalars(select(StatWeekMembers))),
                sorted((r.grain, r.first, r.category, r.bits) for r in db.session.scalars(select(StatAllMembers))))

    incremental = snapshot()
    rebuild_rollups()
    db.session.commit()
    assert snapshot() == incremental


def test_back_dated_change_fixed_by_rebuilding_its_months(network):
    busy(network, seed=3)
    # A direct data fix (no signal): a redemption moved to another day, another removed.
    moved = db.session.scalars(select(Redemption).where(Redemption.voided_at.is_(None),
                                                        Redemption.day >= date(2026, 10, 1))).first()
    moved_from = moved.day
    moved.day = date(2026, 8, 20)
    db.session.commit()
    got, want = figures(network, None, None, {}, by="day")
    assert got != want  # the roll-ups do not know yet
    rebuild_rollups(date(2026, 8, 1), date(2026, 8, 31))
    rebuild_rollups(moved_from, moved_from)
    db.session.commit()
    for start, end in PERIODS:
        got, want = figures(network, start, end, {})
        assert got == want
        for by in ("day", "week", "month", "shop"):
            got, want = figures(network, start, end, {}, by=by)
            assert got == want


def test_void_of_last_visit_removes_the_person(network):
    first = network.log(0, 0, day=date(2026, 10, 5))
    second = network.log(0, 0, day=date(2026, 10, 5))
    october = stats.Filters(start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert stats.summary(october)["beneficiaries"] == 1
    network.void(first)
    assert stats.summary(october)["beneficiaries"] == 1  # still served by the second
    network.void(second)
    s = stats.summary(october)
    assert (s["redemptions"], s["beneficiaries"], s["bill"], s["discount"]) == (0, 0, 0, 0)
    for model in (StatMonthMembers, StatWeekMembers, StatAllMembers):
        assert db.session.scalars(select(model)).all() == []


def test_breakdowns_add_up_to_the_summary(network):
    busy(network, seed=5)
    for start, end in PERIODS[:3]:
        for extra in FILTERS[:4]:
            f = stats.Filters(start=start, end=end, **extra)
            s = stats.summary(f)
            for by in stats.GROUPS:
                rows = stats.breakdown(f, by)
                for field in ("redemptions", "bill", "discount"):
                    assert sum(r[field] for r in rows) == s[field], (by, field, extra)
                people = [r["beneficiaries"] for r in rows]
                assert max(people, default=0) <= s["beneficiaries"] <= sum(people)
            # Each member has one category here, so the category rows add up exactly.
            assert sum(r["beneficiaries"] for r in stats.breakdown(f, "category")) == s["beneficiaries"]


def test_voided_redemptions_are_left_out(network):
    kept = network.log(0, 0, bill=5000, discount=500)
    gone = network.log(1, 1, bill=9000, discount=900)
    network.void(gone)
    s = stats.summary(stats.Filters())
    assert (s["redemptions"], s["beneficiaries"], s["bill"], s["discount"]) == (1, 1, 5000, 500)
    assert [r["key"] for r in stats.breakdown(stats.Filters(), "shop")] == [kept.shop_id]
    assert stats.public_totals()["redemptions"] == 1
