"""The redemption rules, called as plain functions with an explicit `now`."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import bindparam, select

from baiye.errors import DomainError
from baiye.extensions import db
from verification.till.sql import Prepared, till_cursor
from shops.models import Offer
from verification.till import operations as redemptions
from verification.till.models import Redemption
from verification.till.operations import LoggedRedemption
from verification.till.models import ScanLog, UsageCounter
from verification.till.signals import redemption_logged, redemption_voided


@pytest.fixture(autouse=True)
def start_of_2026(clock):
    """The till, its offers and its member are made with the clock at 1 January 2026; each redemption and
    void then passes its own `now` later that year."""
    clock.at(datetime(2026, 1, 1))


@pytest.fixture(autouse=True)
def request_context(app):
    """Messages are translated for a request's locale; the services run inside one as in the app."""
    with app.test_request_context():
        yield


def utc(*parts):
    return datetime(*parts)


@pytest.mark.parametrize("kind,value,bill,expected", [
    ("percent_off", 15, 333, 50),      # 49.95 rounds half up
    ("percent_off", 10, 5, 1),         # 0.5 rounds up
    ("percent_off", 10, 4, 0),         # 0.4 rounds down
    ("percent_off", 12, 12345, 1481),  # 1481.4
    ("percent_off", 99, 1, 1),
    ("amount_off", 2000, 1500, 1500),  # never more than the bill
    ("amount_off", 2000, 8800, 2000),
    ("gift", 800, 5000, 0),
    ("priority", None, 5000, 0),
])
def test_discount(kind, value, bill, expected):
    assert redemptions.discount_for(Offer(kind=kind, value=value), bill) == expected


def attempt(till, offer, now, **kw):
    try:
        redemption, _ = redemptions.redeem(till.shop, till.cashier, till.card.card_no, offer.id, 1000, now=now, **kw)
        return redemption
    except DomainError as err:
        return err.code


@pytest.mark.parametrize("period,first,same,next_", [
    # Local day in Asia/Shanghai (UTC+8): 16:00 UTC is local midnight.
    ("day", utc(2026, 11, 21, 1, 0), utc(2026, 11, 21, 15, 59), utc(2026, 11, 21, 16, 0)),
    # ISO week, Monday first: Sunday 22 Nov 23:59 local is still the week of Monday 16 Nov.
    ("week", utc(2026, 11, 16, 0, 30), utc(2026, 11, 22, 15, 59), utc(2026, 11, 22, 16, 0)),
    # Month: 30 Nov 23:59 local is November; 1 Dec 00:00 local is 30 Nov 16:00 UTC.
    ("month", utc(2026, 11, 1, 0, 0), utc(2026, 11, 30, 15, 59), utc(2026, 11, 30, 16, 0)),
])
def test_limit_periods_in_local_time(make, till, period, first, same, next_):
    offer = make.offer(till.shop, limit_per_member=1, limit_period=period, starts_on=first.date().replace(day=1))
    assert isinstance(attempt(till, offer, first), LoggedRedemption)
    assert attempt(till, offer, same) == "limit_reached"
    later = attempt(till, offer, next_)
    assert isinstance(later, LoggedRedemption)
    assert later.day == next_.date() + timedelta(days=1)  # stored as the local day


def test_limit_none_counts_over_the_offers_life(make, till):
    offer = make.offer(till.shop, limit_per_member=2, limit_period="none", starts_on=utc(2026, 1, 1).date())
    assert isinstance(attempt(till, offer, utc(2026, 3, 1, 3)), LoggedRedemption)
    assert isinstance(attempt(till, offer, utc(2026, 9, 1, 3)), LoggedRedemption)
    assert attempt(till, offer, utc(2026, 11, 1, 3)) == "limit_reached"
    assert db.session.get(UsageCounter, (till.card.member_id, offer.id, "all")).used == 2


def test_limits_are_per_member(make, till):
    from ..helpers import make_member

    offer = make.offer(till.shop, limit_per_member=1, limit_period="day")
    now = utc(2026, 11, 21, 3)
    assert isinstance(attempt(till, offer, now), LoggedRedemption)
    other = make_member(name="李四")
    redemption, created = redemptions.redeem(till.shop, till.cashier, other.card_no, offer.id, 100, now=now)
    assert created and redemption.member_id == other.member_id


def test_void_gives_back_the_use_of_the_redemptions_own_period(make, till):
    offer = make.offer(till.shop, limit_per_member=1, limit_period="week", starts_on=utc(2026, 11, 1).date())
    monday = utc(2026, 11, 16, 2)
    redemption = attempt(till, offer, monday)
    coordinator = make.coordinator()
    redemptions.void(redemption.id, coordinator, "重复登记", now=utc(2026, 11, 23, 2))  # next week
    assert db.session.get(UsageCounter, (till.card.member_id, offer.id, "2026-W47")).used == 0
    assert isinstance(attempt(till, offer, utc(2026, 11, 20, 2)), LoggedRedemption)


def test_void_gives_the_use_back_to_the_period_it_took_even_after_the_offer_changes(make, till):
    offer = make.offer(till.shop, limit_per_member=1, limit_period="day", starts_on=utc(2026, 11, 1).date())
    redemption = attempt(till, offer, utc(2026, 11, 18, 2))
    assert redemption.usage_period == "2026-11-18"
    offer.limit_period = "week"  # the owner changes the period afterwards
    db.session.commit()
    attempt(till, offer, utc(2026, 11, 18, 3))  # the week counter is separate: one use there
    redemptions.void(redemption.id, make.coordinator(), "录错了", now=utc(2026, 11, 18, 4))
    assert db.session.get(UsageCounter, (till.card.member_id, offer.id, "2026-11-18")).used == 0
    assert db.session.get(UsageCounter, (till.card.member_id, offer.id, "2026-W47")).used == 1


def test_unlimited_redemption_takes_no_counter_and_its_void_gives_none_back(make, till):
    offer = make.offer(till.shop, title="不限次", starts_on=utc(2026, 11, 1).date())
    redemption = attempt(till, offer, utc(2026, 11, 18, 2))
    assert redemption.usage_period == ""
    redemptions.void(redemption.id, make.coordinator(), "录错了", now=utc(2026, 11, 18, 3))
    assert db.session.scalars(select(UsageCounter)).all() == []


def test_void_window_boundary(app, till):
    now = utc(2026, 11, 21, 3)
    redemption = attempt(till, till.offer, now)
    window = app.config["VOID_WINDOW_MINUTES"]
    with pytest.raises(DomainError) as err:
        redemptions.void(redemption.id, till.cashier, "晚了", now=utc(2026, 11, 21, 3, window, 1))
    assert err.value.code == "void_window_passed" and err.value.status == 403
    voided = redemptions.void(redemption.id, till.owner, "输错", now=utc(2026, 11, 21, 3, window))
    assert voided.voided_at == utc(2026, 11, 21, 3, window) and voided.voided_by_id == till.owner.id


BILL_OF = Prepared(select(Redemption.bill).where(Redemption.id == bindparam("id")))


def test_signals_are_sent_inside_the_transaction(till):
    seen = []

    def on_logged(redemption):
        # The row is already written in the transaction the receiver runs in, which till_cursor() reaches (the
        # sender is a LoggedRedemption built from the inserted values, not a session-tracked object).
        row = till_cursor().first(BILL_OF, id=redemption.id)
        seen.append(("logged", redemption.id, isinstance(redemption, LoggedRedemption) and row is not None
                     and row.bill == redemption.bill))

    def on_voided(redemption):
        seen.append(("voided", redemption.id, redemption.voided_at is not None))

    redemption_logged.connect(on_logged)
    redemption_voided.connect(on_voided)
    try:
        redemption = attempt(till, till.offer, utc(2026, 11, 21, 3))
        redemptions.void(redemption.id, till.cashier, "测试", now=utc(2026, 11, 21, 3, 5))
    finally:
        redemption_logged.disconnect(on_logged)
        redemption_voided.disconnect(on_voided)
    assert seen == [("logged", redemption.id, True), ("voided", redemption.id, True)]


def test_a_failing_receiver_rolls_the_redemption_back(till):
    def broken(redemption):
        raise RuntimeError("roll-up failed")

    redemption_logged.connect(broken)
    try:
        with pytest.raises(RuntimeError):
            redemptions.redeem(till.shop, till.cashier, till.card.card_no, till.offer.id, 100)
    finally:
        redemption_logged.disconnect(broken)
    db.session.rollback()
    assert db.session.query(Redemption).count() == 0


def test_refusal_is_logged_even_though_redemption_rolls_back(make, till):
    offer = make.offer(till.shop, categories="family")
    with pytest.raises(DomainError):
        redemptions.redeem(till.shop, till.cashier, till.card.card_no, offer.id, 100)
    db.session.rollback()  # a later rollback must not lose the committed refusal
    log = db.session.query(ScanLog).one()
    assert (log.reason, log.offer_id, log.code_tail) == ("not_eligible", offer.id, till.card.card_no[-4:])


def test_verify_without_log_writes_nothing(till):
    result = redemptions.verify_for_shop(till.shop, till.cashier, "880099999992", log=False)
    assert result.valid is False and result.reason == "unknown" and "查无此证" in result.reason_text
    assert db.session.query(ScanLog).count() == 0
