from datetime import date

from sqlalchemy import delete, func, select

from baiye.extensions import db
from reports import stats
from reports.models import StatDay
from verification.members.models import Member
from verification.till.models import Redemption

from .helpers import recount


def test_stats_rebuild_command(app, network):
    network.log(0, 0, day=date(2026, 10, 3), bill=10000, discount=1000)
    network.log(1, 1, day=date(2026, 10, 4), bill=3000, discount=300)
    db.session.execute(delete(StatDay))
    db.session.commit()
    assert stats.summary(stats.Filters())["redemptions"] == 0
    result = app.test_cli_runner().invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt" in result.output
    s = stats.summary(stats.Filters())
    assert (s["redemptions"], s["bill"], s["beneficiaries"]) == (2, 13000, 2)


def test_stats_rebuild_rejects_a_bad_date(app):
    result = app.test_cli_runner().invoke(args=["stats", "rebuild", "--from", "2026-13-01"])
    assert result.exit_code != 0 and "Invalid value" in result.output


def test_demo_makes_the_asked_number_of_redemptions(app):
    result = app.test_cli_runner().invoke(args=["demo", "--redemptions", "2000"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(Redemption.id))) == 2000
    assert db.session.scalar(select(func.count(Member.id))) >= 300
    days = db.session.scalars(select(Redemption.day)).all()
    assert (max(days) - min(days)).days > 300  # spread over the year
    voided = db.session.scalar(select(func.count(Redemption.id)).where(Redemption.voided_at.is_not(None)))
    assert 0 < voided < 100
    for by in (None, "street", "week"):
        got = {r["key"]: (r["redemptions"], r["beneficiaries"], r["bill"], r["discount"])
               for r in stats.breakdown(stats.Filters(), by) if r["redemptions"]} if by else None
        if by:
            assert got == recount(by=by)
    s = stats.summary(stats.Filters())
    assert (s["redemptions"], s["beneficiaries"], s["bill"], s["discount"]) == recount()[None]
    wrong = [r for r in db.session.scalars(select(Redemption)) if r.discount > r.bill]
    assert not wrong
