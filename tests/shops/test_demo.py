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
    assert db.session.scalar(select(func.count(Redemption.id))) == 3000
    per_shop = dict(db.session.execute(select(Redemption.shop_id, func.count()).group_by(Redemption.shop_id)).all())
    assert len(per_shop) >= 15  # spread over the network, not a handful of shops
    assert db.session.scalar(select(func.count(Offer.id))) >= 20


def test_demo_shops_takes_a_positive_number(app):
    result = app.test_cli_runner().invoke(args=["demo", "--shops", "0"])
    assert result.exit_code != 0 and db.session.scalar(select(func.count(Shop.id))) == 0
