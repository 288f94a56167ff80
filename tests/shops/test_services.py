"""The directory service without HTTP: what a category filter lists, and shops near a position."""
import pytest

from baiye.audit import AuditEntry
from baiye.errors import DomainError
from baiye.extensions import db
from shops import services

# Three points in one district: the position the phone reports, a shop about 1.1 km north of it, one at it.
HERE = {"lat": 30.2741, "lng": 120.1551}


def names(entries):
    return [entry.name for entry in entries]


def test_a_category_filter_lists_only_that_categorys_offers(make):
    shop = make.shop(name="老兵面馆")
    make.offer(shop, title="退役军人九五折", categories="veteran", value=5)
    make.offer(shop, title="军属九折", categories="family,active_duty")
    make.offer(shop, title="人人八折", categories="", value=20)
    entries, total = services.directory(category="family")
    assert total == 1 and [o.title for o in entries[0].offers] == ["军属九折", "人人八折"]
    entries, _ = services.directory(category="veteran")
    assert [o.title for o in entries[0].offers] == ["退役军人九五折", "人人八折"]
    entries, _ = services.directory()
    assert [o.title for o in entries[0].offers] == ["退役军人九五折", "军属九折", "人人八折"]


def test_a_shop_with_no_offer_for_the_category_is_not_listed_under_it(make):
    shop = make.shop()
    make.offer(shop, title="退役军人九五折", categories="veteran", value=5)
    assert services.directory(category="family") == ([], 0)
    assert names(services.directory(category="veteran")[0]) == [shop.name]


def test_near_lists_nearest_first_with_distances_and_shops_without_a_location_last(make):
    far = make.shop(name="甲·远", lat=HERE["lat"] + 0.01, lng=HERE["lng"])  # 0.01° of latitude: 1112 m
    near = make.shop(name="乙·近", lat=HERE["lat"], lng=HERE["lng"] + 0.001)
    unknown = make.shop(name="丙·未定位")
    entries, total = services.directory(near=HERE)
    assert total == 3 and names(entries) == [near.name, far.name, unknown.name]
    assert [e.distance_m for e in entries] == [96, 1112, None]
    # paging happens after sorting
    assert names(services.directory(near=HERE, page=2, per_page=1)[0]) == [far.name]
    # without a position: by name, no distances, as before
    entries, _ = services.directory()
    assert names(entries) == sorted(names(entries)) and {e.distance_m for e in entries} == {None}


def test_distance_is_the_great_circle_distance():
    # Beijing Tiananmen to Shanghai People's Square: about 1067 km
    assert services.distance_m({"lat": 39.9087, "lng": 116.3975}, {"lat": 31.2304, "lng": 121.4737}) == \
        pytest.approx(1_067_000, rel=0.01)
    assert services.distance_m(HERE, HERE) == 0


def test_a_location_outside_china_is_kept_with_a_warning():
    assert services.location_warning(None) is None
    assert services.location_warning(HERE) is None
    assert "不在中国境内" in services.location_warning({"lat": 30.2741, "lng": -120.1551})  # a sign lost


def test_a_coordinator_corrects_a_shops_location_audited(make):
    shop = make.shop()
    coordinator = make.coordinator()
    services.set_location(shop, coordinator, HERE)
    assert (shop.lat, shop.lng) == (HERE["lat"], HERE["lng"])
    entry = db.session.query(AuditEntry).filter_by(action="shop.location").one()
    assert entry.detail == {"before": None, "after": HERE}
    services.set_location(shop, coordinator, None)
    assert shop.location is None
    with pytest.raises(DomainError) as refused:
        services.set_location(shop, shop.owner, HERE)
    assert refused.value.code == "forbidden"
