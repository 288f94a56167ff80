"""`flask demo --shops N`: a network of N approved shops across the streets and industries, each with offers."""
from sqlalchemy import func, select

from baiye import lists
from baiye.accounts.models import User
from baiye.accounts.services import authenticate
from baiye.extensions import db
from shops.models import Offer, Shop
from verification.till.models import Redemption


def test_demo_shops_builds_that_many_approved_shops_with_offers_and_redemptions_spread_over_them(app):
    result = app.test_cli_runner().invoke(args=["demo", "--shops", "20", "--redemptions", "3000"])
    assert result.exit_code == 0, result.output
    assert "demo: 20 shops with offers" in result.output and "demo-owner" in result.output
    shops = db.session.scalars(select(Shop)).all()
    assert len(shops) == 20 and {s.status for s in shops} == {"approved"}
    assert len({s.name for s in shops}) == 20
    # every street and every industry has a shop, where the count allows
    assert {s.street for s in shops} == set(lists.keys("STREETS"))
    assert {s.industry for s in shops} == set(lists.keys("INDUSTRIES"))
    for shop in shops:
        assert any(o.is_active for o in shop.offers)
        assert shop.owner is not None and authenticate(shop.owner.username, "demo2026") == shop.owner
    assert db.session.scalar(select(User.shop_id).where(User.username == "demo-cashier")) == shops[0].id
    # the demo's owner and cashier have names, as the till's records and the audit log show them
    assert db.session.scalar(select(User.display_name).where(User.username == "demo-owner")) == "老王"
    assert db.session.scalar(select(func.count(Redemption.id))) == 3000
    per_shop = dict(db.session.execute(select(Redemption.shop_id, func.count()).group_by(Redemption.shop_id)).all())
    assert len(per_shop) >= 15  # spread over the network, not a handful of shops
    assert db.session.scalar(select(func.count(Offer.id))) >= 20


def test_demo_shops_takes_a_positive_number(app):
    result = app.test_cli_runner().invoke(args=["demo", "--shops", "0"])
    assert result.exit_code != 0 and db.session.scalar(select(func.count(Shop.id))) == 0


def test_demo_shops_have_places_in_the_district_so_near_me_has_something_to_show(app):
    from shops.demo import CENTRE
    from shops.services import directory

    assert app.test_cli_runner().invoke(args=["demo", "--shops", "40", "--redemptions", "0"]).exit_code == 0
    shops = db.session.scalars(select(Shop)).all()
    located = [s for s in shops if s.location]
    assert 0.75 * len(shops) <= len(located) < len(shops)  # most have said where they are, not every one
    # the town's centre (城关) is nearest to the district's centre; every located shop within 12 km of it
    items, total = directory(near={"lat": CENTRE[0], "lng": CENTRE[1]}, per_page=100)
    assert total == 40 and items[0].street == "chengguan"
    distances = [item.distance_m for item in items if item.distance_m is not None]
    assert len(distances) == len(located) and distances == sorted(distances) and distances[-1] < 12_000
    assert all(item.distance_m is None for item in items[len(located):])  # without a location, listed last
