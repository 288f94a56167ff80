"""Shops and offers through the JSON API, as API.md says."""
import pytest

from baiye.audit import AuditEntry
from baiye.extensions import db
from shops.models import Offer, Shop

from ..conftest import assert_error
from ..factories import licence_no


def registration(**overrides):
    body = {"name": "老兵面馆", "industry": "catering", "street": "chengguan", "address": "城关街道88号",
            "phone": "13800138000", "licence_no": licence_no(), "hours": "10:00-22:00",
            "owner": {"username": "laobing", "password": "noodles2026"}}
    body.update(overrides)
    return body


def offer_body(**overrides):
    body = {"title": "全单9折", "kind": "percent_off", "value": 10, "min_spend": None,
            "categories": ["veteran", "active_duty"], "limit_per_member": 1, "limit_period": "day",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31"}
    body.update(overrides)
    return body


def test_meta_lists_the_deployment_lists(api):
    body = api.get("/meta").get_json()
    assert {"key": "catering", "label": "餐饮"} in body["industries"]
    assert {"key": "veteran", "label": "退役军人"} in body["categories"]
    assert body["streets"][0]["key"]


def test_register_shop_creates_pending_shop_and_owner(api):
    response = api.post("/shops", json=registration())
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending" and body["name"] == "老兵面馆" and body["id"]
    shop = db.session.get(Shop, body["id"])
    assert shop.owner.username == "laobing" and shop.owner.password_hash != "noodles2026"
    assert db.session.query(AuditEntry).filter_by(action="shop.register").count() == 1


def test_register_validation_lists_fields(api):
    body = registration(industry="space", phone="12345", licence_no="91110000000000000X", name="")
    body["owner"] = {"username": "x", "password": "short"}
    error = assert_error(api.post("/shops", json=body), 422, "validation_error")
    assert set(error["fields"]) >= {"industry", "phone", "licence_no", "name", "owner"}
    assert set(error["fields"]["owner"]) == {"username", "password"}
    assert db.session.query(Shop).count() == 0


def test_register_missing_body_is_422_and_non_object_is_400(api):
    error = assert_error(api.post("/shops"), 422, "validation_error")
    assert "name" in error["fields"]
    assert_error(api.post("/shops", data='"a string"', content_type="application/json"), 400, "malformed_body")


def test_register_username_taken_is_409_and_changes_nothing(api, make):
    make.coordinator(username="laobing")
    assert_error(api.post("/shops", json=registration()), 409, "username_taken")
    assert db.session.query(Shop).count() == 0


def test_register_duplicate_licence_is_409(api, make):
    shop = make.shop()
    body = registration(licence_no=shop.licence_no)
    assert_error(api.post("/shops", json=body), 409, "duplicate_shop")


def test_numbers_are_strict(api, make):
    shop = make.shop()
    error = assert_error(api.as_(shop.owner).post(f"/shops/{shop.id}/offers", json=offer_body(value="10")),
                         422, "validation_error")
    assert "value" in error["fields"]


def test_directory_lists_only_approved_shops_with_filters(api, make, today):
    a = make.shop(name="红星饭店", industry="catering", street="chengguan")
    b = make.shop(name="惠民超市", industry="retail", street="dongcheng")
    make.shop(name="待审小店", status="pending")
    make.shop(name="暂停小店", status="suspended")
    make.offer(a, categories="veteran")
    make.offer(b, title="立减10元", kind="amount_off", value=1000)
    body = api.get("/shops").get_json()
    assert body["total"] == 2 and {s["name"] for s in body["items"]} == {"红星饭店", "惠民超市"}
    assert api.get("/shops?industry=retail").get_json()["items"][0]["name"] == "惠民超市"
    assert api.get("/shops?street=chengguan").get_json()["total"] == 1
    assert api.get("/shops?q=红星").get_json()["total"] == 1
    assert api.get("/shops?q=立减").get_json()["total"] == 1
    # a category filter finds shops with a running offer for it (an all-category offer counts)
    assert api.get("/shops?category=veteran").get_json()["total"] == 2
    assert api.get("/shops?category=family").get_json()["total"] == 1


def test_directory_leaves_out_ended_and_inactive_offers(api, make, today):
    from datetime import timedelta

    shop = make.shop()
    make.offer(shop, title="过期", ends_on=today - timedelta(days=1), starts_on=today - timedelta(days=9))
    make.offer(shop, title="停用", is_active=False)
    make.offer(shop, title="未开始", starts_on=today + timedelta(days=3))
    make.offer(shop, title="进行中")
    item = api.get("/shops").get_json()["items"][0]
    assert [o["title"] for o in item["offers"]] == ["进行中"]


def test_pending_shop_visible_to_owner_and_coordinator_only(api, make):
    shop = make.shop(status="pending")
    other = make.shop()
    assert_error(api.get(f"/shops/{shop.id}"), 404, "not_found")
    assert_error(api.as_(other.owner).get(f"/shops/{shop.id}"), 404, "not_found")
    assert api.as_(shop.owner).get(f"/shops/{shop.id}").get_json()["status"] == "pending"
    body = api.as_(make.coordinator()).get(f"/shops/{shop.id}").get_json()
    assert body["licence_no"] == shop.licence_no
    assert "licence_no" not in api.get(f"/shops/{other.id}").get_json()


def test_unknown_shop_is_404(api):
    assert_error(api.get("/shops/999"), 404, "not_found")


def test_approve_reject_suspend_transitions(api, make):
    coordinator = api.as_(make.coordinator())
    shop = make.shop(status="pending")
    assert coordinator.post(f"/shops/{shop.id}/approve", json={}).get_json() == {"id": shop.id, "status": "approved"}
    assert_error(coordinator.post(f"/shops/{shop.id}/approve", json={}), 409, "invalid_transition")
    assert_error(coordinator.post(f"/shops/{shop.id}/reject", json={"reason": "x"}), 409, "invalid_transition")
    error = assert_error(coordinator.post(f"/shops/{shop.id}/suspend", json={}), 422, "validation_error")
    assert "reason" in error["fields"]
    assert coordinator.post(f"/shops/{shop.id}/suspend", json={"reason": "装修"}).get_json()["status"] == "suspended"
    assert coordinator.post(f"/shops/{shop.id}/approve").get_json()["status"] == "approved"
    pending = make.shop(status="pending")
    assert coordinator.post(f"/shops/{pending.id}/reject", json={"reason": "执照不符"}).get_json()["status"] == "rejected"
    assert_error(coordinator.post(f"/shops/{pending.id}/approve"), 409, "invalid_transition")
    actions = [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions == ["shop.approve", "shop.suspend", "shop.approve", "shop.reject"]
    assert_error(coordinator.post("/shops/999/approve"), 404, "not_found")


def test_only_coordinators_decide(api, make):
    shop = make.shop(status="pending")
    assert_error(api.post(f"/shops/{shop.id}/approve"), 401, "not_signed_in")
    assert_error(api.as_(shop.owner).post(f"/shops/{shop.id}/approve"), 403, "forbidden")
    assert db.session.get(Shop, shop.id).status == "pending"


def test_owner_adds_cashier(api, make):
    shop = make.shop()
    owner = api.as_(shop.owner)
    response = owner.post(f"/shops/{shop.id}/staff", json={"username": "xiaowang", "password": "till2026x"})
    assert response.status_code == 201
    assert response.get_json()["role"] == "cashier" and response.get_json()["shop_id"] == shop.id
    assert_error(owner.post(f"/shops/{shop.id}/staff", json={"username": "xiaowang", "password": "till2026x"}),
                 409, "username_taken")
    error = assert_error(owner.post(f"/shops/{shop.id}/staff", json={"username": "xiaoli", "password": "12345678"}),
                         422, "validation_error")
    assert "password" in error["fields"]


def test_cashier_and_other_owner_cannot_add_staff(api, make):
    shop, other = make.shop(), make.shop()
    cashier = make.cashier(shop)
    body = {"username": "sneaky", "password": "sneaky2026"}
    assert_error(api.as_(cashier).post(f"/shops/{shop.id}/staff", json=body), 403, "forbidden")
    assert_error(api.as_(other.owner).post(f"/shops/{shop.id}/staff", json=body), 403, "forbidden")


def test_create_offer_every_field(api, make):
    shop = make.shop()
    response = api.as_(shop.owner).post(f"/shops/{shop.id}/offers", json=offer_body(
        kind="amount_off", value=2000, min_spend=10000, description="满100减20"))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == "amount_off" and body["value"] == 2000 and body["min_spend"] == 10000
    assert body["categories"] == ["active_duty", "veteran"]
    assert body["limit_per_member"] == 1 and body["limit_period"] == "day"
    assert body["starts_on"] == "2026-01-01" and body["ends_on"] == "2026-12-31"


def test_offer_defaults_every_category_and_no_limit(api, make):
    shop = make.shop()
    body = api.as_(shop.owner).post(f"/shops/{shop.id}/offers", json={
        "title": "优先办理", "kind": "priority", "starts_on": "2026-01-01"}).get_json()
    assert body["categories"] == ["active_duty", "family", "veteran", "martyr_family"]
    assert body["limit_per_member"] is None and body["limit_period"] == "none" and body["value"] is None


def test_offer_validation(api, make):
    shop = make.shop()
    owner = api.as_(shop.owner)
    cases = [
        (offer_body(value=0), "value"), (offer_body(value=100), "value"), (offer_body(value=None), "value"),
        (offer_body(kind="amount_off", value=0), "value"), (offer_body(kind="amount_off", value=-5), "value"),
        (offer_body(kind="bogus"), "kind"), (offer_body(categories=["aliens"]), "categories"),
        (offer_body(limit_period="year"), "limit_period"), (offer_body(limit_per_member=0), "limit_per_member"),
        (offer_body(starts_on="2026-05-01", ends_on="2026-04-01"), "ends_on"),
        (offer_body(starts_on="not a date"), "starts_on"), (offer_body(min_spend=-1), "min_spend"),
    ]
    for body, field in cases:
        error = assert_error(owner.post(f"/shops/{shop.id}/offers", json=body), 422, "validation_error")
        assert field in error["fields"], (body, error)
    assert db.session.query(Offer).count() == 0


def test_offer_only_by_its_owner(api, make):
    shop, other = make.shop(), make.shop()
    assert_error(api.as_(other.owner).post(f"/shops/{shop.id}/offers", json=offer_body()), 403, "forbidden")
    assert_error(api.as_(make.cashier(shop)).post(f"/shops/{shop.id}/offers", json=offer_body()), 403, "forbidden")
    assert_error(api.as_(make.coordinator()).post(f"/shops/{shop.id}/offers", json=offer_body()), 403, "forbidden")
    assert_error(api.post(f"/shops/{shop.id}/offers", json=offer_body()), 401, "not_signed_in")


def test_patch_offer_checks_merged_fields(api, make):
    shop = make.shop()
    offer = make.offer(shop)
    owner = api.as_(shop.owner)
    body = owner.patch(f"/offers/{offer.id}", json={"title": "全单85折", "value": 15}).get_json()
    assert body["title"] == "全单85折" and body["value"] == 15
    assert_error(owner.patch(f"/offers/{offer.id}", json={"value": 120}), 422, "validation_error")
    # switching kind without a fitting value is refused on the merged offer
    assert_error(owner.patch(f"/offers/{offer.id}", json={"kind": "amount_off", "value": 0}), 422, "validation_error")
    assert_error(owner.patch(f"/offers/{offer.id}", json={"ends_on": "2000-01-01"}), 422, "validation_error")
    assert db.session.get(Offer, offer.id).value == 15
    assert_error(api.as_(make.shop().owner).patch(f"/offers/{offer.id}", json={"title": "x"}), 403, "forbidden")
    assert_error(owner.patch("/offers/999", json={"title": "x"}), 404, "not_found")


def test_delete_offer_deactivates_and_keeps_it(api, make):
    shop = make.shop()
    offer = make.offer(shop)
    assert api.as_(shop.owner).delete(f"/offers/{offer.id}").status_code == 204
    assert db.session.get(Offer, offer.id).is_active is False
    assert api.get(f"/shops/{shop.id}").get_json()["offers"] == []


def test_cookie_session_api_calls_need_csrf(app, make):
    """A signed-in browser may call the API, but only with its CSRF token."""
    app.config["WTF_CSRF_ENABLED"] = True
    shop = make.shop(status="pending")
    make.coordinator(username="coord")
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"  # HTTPS CSRF checks the referrer
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"username": "coord", "password": "secret123", "csrf_token": token})
    assert client.post(f"/api/v1/shops/{shop.id}/approve", json={}).status_code == 400
    assert db.session.get(Shop, shop.id).status == "pending"
    # sign-in starts a new session, so the page after it carries a new token
    response = client.get("/admin/shops")
    assert response.status_code == 200, response.status_code
    token = response.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/api/v1/shops/{shop.id}/approve", json={}, headers={"X-CSRFToken": token})
    assert response.status_code == 200


def test_owner_patches_the_shop_and_others_cannot(api, make):
    shop = make.shop(status="rejected", status_reason="地址不详")
    response = api.as_(shop.owner).patch(f"/shops/{shop.id}", json={"address": "城关街道88号"})
    assert response.status_code == 200 and response.get_json()["status"] == "pending"
    assert response.get_json()["address"] == "城关街道88号"
    assert api.as_(shop.owner).patch(f"/shops/{shop.id}", json={"phone": "1"}).status_code == 422
    other = make.shop()
    assert api.as_(other.owner).patch(f"/shops/{shop.id}", json={"address": "x街道1号"}).status_code == 403
    assert api.as_(make.cashier(shop)).patch(f"/shops/{shop.id}", json={"address": "x街道1号"}).status_code == 403
    taken = api.as_(shop.owner).patch(f"/shops/{shop.id}", json={"licence_no": other.licence_no})
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "duplicate_shop"


def test_a_resubmitted_shop_cannot_take_a_licence_another_shop_now_holds(api, make):
    rejected = make.shop(status="rejected", status_reason="材料不全")
    holder = make.shop(licence_no=rejected.licence_no)  # registered after the rejection freed the licence
    response = api.as_(rejected.owner).patch(f"/shops/{rejected.id}", json={"hours": "10:00–20:00"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "duplicate_shop"
    db.session.expire_all()
    assert db.session.get(Shop, rejected.id).status == "rejected" and holder.status == "approved"


def test_an_approved_shop_cannot_rename_itself_or_change_its_licence(api, make):
    shop = make.shop()
    owner = api.as_(shop.owner)
    for change in ({"name": "另一家店"}, {"licence_no": licence_no(9999)}):
        response = owner.patch(f"/shops/{shop.id}", json=change)
        assert response.status_code == 422 and list(response.get_json()["error"]["fields"]) == list(change)
    assert owner.patch(f"/shops/{shop.id}", json={"name": shop.name, "phone": "13900139000"}).status_code == 200
    db.session.expire_all()
    assert db.session.get(Shop, shop.id).status == "approved"


# --- dates stay in a sane window; an offer left without a start starts today ----------------------------------

@pytest.mark.parametrize("dates, field", [
    ({"starts_on": "0001-01-01"}, "starts_on"), ({"starts_on": "2026-01-01", "ends_on": "9999-12-31"}, "ends_on"),
    ({"starts_on": "1999-12-31"}, "starts_on"), ({"starts_on": "2026-01-01", "ends_on": "2100-01-01"}, "ends_on"),
])
def test_offer_dates_out_of_range_are_refused(api, make, dates, field):
    shop = make.shop()
    owner = api.as_(shop.owner)
    error = assert_error(owner.post(f"/shops/{shop.id}/offers", json={"title": "老兵专享", "kind": "gift", **dates}),
                         422, "validation_error")
    assert "2000" in error["fields"][field][0]
    offer = make.offer(shop)
    assert_error(owner.patch(f"/offers/{offer.id}", json=dates), 422, "validation_error")
    db.session.expire_all()
    assert db.session.query(Offer).count() == 1 and db.session.get(Offer, offer.id).ends_on is None


def test_an_offer_left_without_a_start_starts_today(api, make):
    from baiye.clock import local_date, utcnow

    shop = make.shop()
    before = local_date(utcnow())
    response = api.as_(shop.owner).post(f"/shops/{shop.id}/offers", json={"title": "老兵专享", "kind": "gift"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["starts_on"] in {before.isoformat(), local_date(utcnow()).isoformat()}


def test_the_service_starts_an_offer_on_the_day_of_now(app, make):
    from datetime import date, datetime

    from shops.services import create_offer

    shop = make.shop()
    with app.test_request_context():
        # 2026-03-01 16:30 UTC is already 2 March in Asia/Shanghai
        offer = create_offer(shop, shop.owner, {"title": "老兵专享", "kind": "gift"}, now=datetime(2026, 3, 1, 16, 30))
    assert offer.starts_on == date(2026, 3, 2)


def test_the_document_says_a_start_left_out_is_today(api):
    schema = api.get("/openapi.json").get_json()["components"]["schemas"]
    offer_input = next(s for name, s in schema.items() if name.startswith("OfferInput"))
    assert "starts_on" not in offer_input.get("required", [])
    assert "today" in offer_input["properties"]["starts_on"]["description"]


def test_amount_off_must_be_below_the_minimum_spend(api, make):
    shop = make.shop()
    owner = api.as_(shop.owner)
    body = offer_body(title="满100减20", kind="amount_off", value=12000, min_spend=10000)
    error = assert_error(owner.post(f"/shops/{shop.id}/offers", json=body), 422, "validation_error")
    assert error["fields"]["value"] == ["立减金额（¥120.00）应低于最低消费（¥100.00），否则消费满¥100.00就免单了。请核对金额。"]
    offer = owner.post(f"/shops/{shop.id}/offers", json=body | {"value": 2000}).get_json()
    # a change that makes it so is refused too, judged on the offer as it would become
    error = assert_error(owner.patch(f"/offers/{offer['id']}", json={"min_spend": 2000}), 422, "validation_error")
    assert "value" in error["fields"]
    assert db.session.get(Offer, offer["id"]).min_spend == 10000


def test_the_service_refuses_it_whoever_calls(app, make):
    from baiye.errors import DomainError
    from shops import services

    shop = make.shop()
    with app.test_request_context(), pytest.raises(DomainError) as caught:
        services.create_offer(shop, shop.owner, {"title": "x", "kind": "amount_off", "value": 10000, "min_spend": 10000})
    assert "value" in caught.value.fields


def test_directory_category_filter_shows_only_that_categorys_offers(api, make):
    shop = make.shop(name="老兵面馆")
    make.offer(shop, title="退役军人九五折", categories="veteran", value=5)
    make.offer(shop, title="军属九折", categories="family")
    items = api.get("/shops?category=family").get_json()["items"]
    assert [o["title"] for o in items[0]["offers"]] == ["军属九折"]
    assert all("family" in o["categories"] for item in items for o in item["offers"])
    assert len(api.get("/shops").get_json()["items"][0]["offers"]) == 2


def test_directory_near_answers_nearest_first_with_distance_m(api, make):
    make.shop(name="远店", location={"lat": 30.2841, "lng": 120.1551})
    make.shop(name="近店", location={"lat": 30.2741, "lng": 120.1561})
    make.shop(name="无位置店")
    body = api.get("/shops?near=30.2741,120.1551").get_json()
    assert [(s["name"], s["distance_m"]) for s in body["items"]] == [("近店", 96), ("远店", 1112), ("无位置店", None)]
    assert body["items"][0]["location"] == {"lat": 30.2741, "lng": 120.1561} and body["items"][2]["location"] is None
    assert {s["distance_m"] for s in api.get("/shops").get_json()["items"]} == {None}
    for bad in ("91,120", "30,181", "abc", "30", "30,120,1", "nan,120"):
        error = assert_error(api.get(f"/shops?near={bad}"), 422, "validation_error")
        assert "near" in error["fields"], bad


def test_register_and_change_a_shops_location(api, make):
    body = api.post("/shops", json=registration(location={"lat": 30.2741, "lng": 120.1551})).get_json()
    assert body["location"] == {"lat": 30.2741, "lng": 120.1551}
    assert api.post("/shops", json=registration(licence_no=licence_no(), owner={
        "username": "nolocation", "password": "noodles2026"})).get_json()["location"] is None
    owner = api.as_(db.session.get(Shop, body["id"]).owner)
    moved = owner.patch(f"/shops/{body['id']}", json={"location": {"lat": 30.28, "lng": 120.16}}).get_json()
    assert moved["location"] == {"lat": 30.28, "lng": 120.16}
    assert owner.patch(f"/shops/{body['id']}", json={"hours": "全天"}).get_json()["location"] == moved["location"]
    assert owner.patch(f"/shops/{body['id']}", json={"location": None}).get_json()["location"] is None
    for location, field in (({"lat": 91, "lng": 0}, "lat"), ({"lat": 0, "lng": -181}, "lng"), ({"lat": 30}, "lng"),
                            ({"lat": "30", "lng": 120}, "lat")):
        error = assert_error(owner.patch(f"/shops/{body['id']}", json={"location": location}), 422,
                             "validation_error")
        assert field in error["fields"]["location"], location
