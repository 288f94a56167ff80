"""The scanning and redemption routes of API.md, one test per refusal code."""
from datetime import timedelta

import pytest

from baiye.clock import local_date, utcnow
from baiye.extensions import db
from verification.till.models import Redemption, ScanLog, UsageCounter

from ...conftest import assert_error
from ..helpers import make_member


@pytest.fixture
def config(config, request):
    """Rate limits are off in tests, except in the one test about them."""
    if "rate_limited" in request.node.name:
        config.update(RATELIMIT_ENABLED=True, RATELIMIT_VERIFY="3 per minute")
    return config


def count(model):
    return db.session.query(model).count()


def redeem_body(till, **kw):
    body = {"code": till.card.card_no, "offer_id": till.offer.id, "bill": 10000}
    body.update(kw)
    return body


def test_verify_valid_card_lists_offers_with_remaining(api, make, till):
    limited = make.offer(till.shop, title="每天一次立减", kind="amount_off", value=500, limit_per_member=1,
                         limit_period="day")
    make.offer(till.shop, title="只给现役", categories="active_duty")
    make.offer(till.shop, title="停用", is_active=False)
    response = api.as_(till.cashier).post("/verify", json={"code": till.card.card_no})
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is True
    assert body["member"] == {"category": "veteran", "masked_name": "张*明", "card_last4": till.card.card_no[-4:]}
    offers = {o["title"]: o for o in body["offers"]}
    assert set(offers) == {"全单9折", "每天一次立减"}
    assert offers["全单9折"]["remaining"] is None
    assert offers["每天一次立减"]["remaining"] == 1
    api.as_(till.cashier).post("/redemptions", json=redeem_body(till, offer_id=limited.id))
    again = api.as_(till.cashier).post("/verify", json={"code": till.card.card_no}).get_json()
    assert {o["title"]: o["remaining"] for o in again["offers"]}["每天一次立减"] == 0


def test_verify_accepts_a_scanned_url_with_card_number(api, till):
    body = api.as_(till.cashier).post("/verify", json={"code": f"https://yj.example.cn/v/{till.card.card_no}"})
    assert body.get_json()["valid"] is True


@pytest.mark.parametrize("case,reason", [("revoked", "revoked"), ("expired", "expired"), ("unknown", "unknown"),
                                         ("garbage", "invalid")])
def test_verify_refusals_give_reason_and_are_logged(api, till, case, reason):
    if case == "revoked":
        code = make_member(status="revoked").card_no
    elif case == "expired":
        code = make_member(expires_on=local_date(utcnow()) - timedelta(days=1)).card_no
    elif case == "unknown":
        code = "880099999992"
    else:
        code = "<script>not a code</script>"
    response = api.as_(till.cashier).post("/verify", json={"code": code})
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is False and body["reason"] == reason and body["message"]
    assert body["credential_form"] == (None if case == "garbage" else "card_number")
    assert "member" not in body and "offers" not in body
    log = db.session.query(ScanLog).one()
    assert (log.action, log.reason, log.shop_id, log.user_id) == ("verify", reason, till.shop.id, till.cashier.id)


def test_verify_needs_shop_staff(api, make, till):
    assert_error(api.post("/verify", json={"code": "x"}), 401, "not_signed_in")
    assert_error(api.as_(make.coordinator()).post("/verify", json={"code": "x"}), 403, "forbidden")


def test_verify_validation(api, till):
    assert_error(api.as_(till.cashier).post("/verify", json={}), 422, "validation_error")
    assert_error(api.as_(till.cashier).post("/verify", data="[1]", content_type="application/json"),
                 400, "malformed_body")


def test_redeem_creates_and_answers_201(api, till):
    response = api.as_(till.cashier).post("/redemptions", json=redeem_body(till, bill=12345))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["bill"] == 12345 and body["discount"] == 1235  # 10% of 123.45 rounds half up
    assert body["offer_id"] == till.offer.id and body["created_at"].endswith("Z")
    redemption = db.session.get(Redemption, body["id"])
    assert redemption.cashier_id == till.cashier.id and redemption.category == "veteran"
    assert redemption.day == local_date(redemption.created_at)


def test_same_idempotency_key_returns_first_with_200(api, till):
    caller = api.as_(till.cashier)
    first = caller.post("/redemptions", json=redeem_body(till, idempotency_key="tap-1"))
    second = caller.post("/redemptions", json=redeem_body(till, idempotency_key="tap-1", bill=1))
    assert first.status_code == 201 and second.status_code == 200
    assert first.get_json() == second.get_json()
    assert count(Redemption) == 1


def test_idempotency_key_is_scoped_to_the_shop(api, make, till):
    other = make.shop()
    other_offer = make.offer(other)
    api.as_(till.cashier).post("/redemptions", json=redeem_body(till, idempotency_key="k"))
    response = api.as_(other.owner).post("/redemptions", json=redeem_body(till, offer_id=other_offer.id,
                                                                          idempotency_key="k"))
    assert response.status_code == 201
    assert count(Redemption) == 2


def test_refused_credential_is_409_with_reason(api, till):
    revoked = make_member(status="revoked")
    error = assert_error(api.as_(till.cashier).post("/redemptions", json=redeem_body(till, code=revoked.card_no)),
                         409, "credential_invalid")
    assert error["reason"] == "revoked" and "注销" in error["message"]
    assert count(Redemption) == 0
    log = db.session.query(ScanLog).one()
    assert (log.action, log.reason) == ("redeem", "revoked")


def test_offer_of_another_shop_is_404(api, make, till):
    foreign = make.offer(make.shop())
    assert_error(api.as_(till.cashier).post("/redemptions", json=redeem_body(till, offer_id=foreign.id)),
                 404, "not_found")
    assert_error(api.as_(till.cashier).post("/redemptions", json=redeem_body(till, offer_id=999999)),
                 404, "not_found")
    assert count(Redemption) == 0


def test_below_min_spend_is_409(api, make, till):
    offer = make.offer(till.shop, kind="amount_off", value=2000, min_spend=10000)
    assert_error(api.as_(till.cashier).post("/redemptions", json=redeem_body(till, offer_id=offer.id, bill=9999)),
                 409, "below_min_spend")
    ok = api.as_(till.cashier).post("/redemptions", json=redeem_body(till, offer_id=offer.id, bill=10000))
    assert ok.status_code == 201 and ok.get_json()["discount"] == 2000
    assert db.session.query(ScanLog).one().reason == "below_min_spend"


def test_category_not_taken_is_409_not_eligible(api, make, till):
    offer = make.offer(till.shop, categories="active_duty,family")
    assert_error(api.as_(till.cashier).post("/redemptions", json=redeem_body(till, offer_id=offer.id)),
                 409, "not_eligible")


def test_used_up_limit_is_409_limit_reached(api, make, till):
    offer = make.offer(till.shop, limit_per_member=2, limit_period="week")
    caller = api.as_(till.cashier)
    for _ in range(2):
        assert caller.post("/redemptions", json=redeem_body(till, offer_id=offer.id)).status_code == 201
    assert_error(caller.post("/redemptions", json=redeem_body(till, offer_id=offer.id)), 409, "limit_reached")
    assert count(Redemption) == 2
    assert db.session.query(UsageCounter).one().used == 2


def test_shop_not_approved_is_409(api, make):
    for status in ("pending", "suspended"):
        shop = make.shop(status=status)
        offer = make.offer(shop)
        card = make_member()
        caller = api.as_(make.cashier(shop))
        assert_error(caller.post("/redemptions", json={"code": card.card_no, "offer_id": offer.id, "bill": 100}),
                     409, "shop_not_approved")
        assert_error(caller.post("/verify", json={"code": card.card_no}), 409, "shop_not_approved")
    assert count(Redemption) == 0


def test_inactive_offer_is_refused(api, make, till):
    offer = make.offer(till.shop, is_active=False)
    assert_error(api.as_(till.cashier).post("/redemptions", json=redeem_body(till, offer_id=offer.id)),
                 409, "offer_not_current")


@pytest.mark.parametrize("bill", [-1, "100", 10.5, True, None, 10_000_001])
def test_bad_bill_is_422(api, till, bill):
    error = assert_error(api.as_(till.cashier).post("/redemptions", json=redeem_body(till, bill=bill)),
                         422, "validation_error")
    assert "bill" in error["fields"]
    assert count(Redemption) == 0


def test_bill_at_ceiling_and_zero_are_accepted(api, app, till):
    caller = api.as_(till.cashier)
    assert caller.post("/redemptions", json=redeem_body(till, bill=app.config["BILL_CEILING_FEN"])).status_code == 201
    zero = caller.post("/redemptions", json=redeem_body(till, bill=0))
    assert zero.status_code == 201 and zero.get_json()["discount"] == 0


def test_redeem_missing_fields_is_422(api, till):
    error = assert_error(api.as_(till.cashier).post("/redemptions", json={}), 422, "validation_error")
    assert set(error["fields"]) == {"code", "offer_id"}  # the bill is decided with the offer (below)


def test_a_bill_left_out_is_zero_for_a_gift_and_refused_for_money_off(api, make, till):
    """The rule is the service's, so the API answers as the till page does."""
    caller = api.as_(till.cashier)
    body = redeem_body(till)
    del body["bill"]
    error = assert_error(caller.post("/redemptions", json=body), 422, "validation_error")
    assert error["fields"] == {"bill": ["请输入本次消费金额。"]}
    assert db.session.query(Redemption).count() == 0
    gift = make.offer(till.shop, title="赠送饮品一份", kind="gift", value=None)
    logged = caller.post("/redemptions", json=dict(body, offer_id=gift.id, bill=None))
    assert logged.status_code == 201, logged.get_json()
    assert (logged.get_json()["bill"], logged.get_json()["discount"]) == (0, 0)


def test_coordinator_and_member_cannot_redeem(api, make, till):
    assert_error(api.as_(make.coordinator()).post("/redemptions", json=redeem_body(till)), 403, "forbidden")


def test_list_own_shop_and_coordinator_filters(api, make, till):
    other = make.shop()
    other_offer = make.offer(other)
    api.as_(till.cashier).post("/redemptions", json=redeem_body(till))
    api.as_(other.owner).post("/redemptions", json=redeem_body(till, offer_id=other_offer.id))
    mine = api.as_(till.cashier).get("/redemptions").get_json()
    assert mine["total"] == 1 and mine["items"][0]["shop_id"] == till.shop.id
    assert mine["items"][0]["card_last4"] == till.card.card_no[-4:]
    assert_error(api.as_(till.cashier).get(f"/redemptions?shop_id={other.id}"), 403, "forbidden")
    coordinator = api.as_(make.coordinator())
    assert coordinator.get("/redemptions").get_json()["total"] == 2
    assert coordinator.get(f"/redemptions?shop_id={other.id}").get_json()["total"] == 1
    today = local_date(utcnow())
    assert coordinator.get(f"/redemptions?from={today}&to={today}").get_json()["total"] == 2
    assert coordinator.get(f"/redemptions?from={today + timedelta(days=1)}").get_json()["total"] == 0
    assert_error(coordinator.get("/redemptions?from=yesterday"), 422, "validation_error")


def test_void_by_cashier_gives_the_use_back_and_is_audited(api, make, till):
    from baiye.audit import AuditEntry

    offer = make.offer(till.shop, limit_per_member=1, limit_period="day")
    caller = api.as_(till.cashier)
    rid = caller.post("/redemptions", json=redeem_body(till, offer_id=offer.id)).get_json()["id"]
    assert_error(caller.post(f"/redemptions/{rid}/void", json={}), 422, "validation_error")
    response = caller.post(f"/redemptions/{rid}/void", json={"reason": "输错金额"})
    assert response.status_code == 200 and response.get_json()["void_reason"] == "输错金额"
    assert db.session.query(UsageCounter).one().used == 0
    entry = db.session.query(AuditEntry).filter_by(action="redemption.void").one()
    assert entry.actor_id == till.cashier.id and entry.target_id == rid
    assert_error(caller.post(f"/redemptions/{rid}/void", json={"reason": "again"}), 409, "already_voided")
    assert caller.post("/redemptions", json=redeem_body(till, offer_id=offer.id)).status_code == 201


def test_void_window_for_shop_but_not_coordinator(api, app, make, till):
    caller = api.as_(till.cashier)
    rid = caller.post("/redemptions", json=redeem_body(till)).get_json()["id"]
    redemption = db.session.get(Redemption, rid)
    redemption.created_at = utcnow() - timedelta(minutes=app.config["VOID_WINDOW_MINUTES"] + 1)
    db.session.commit()
    assert_error(caller.post(f"/redemptions/{rid}/void", json={"reason": "晚了"}), 403, "void_window_passed")
    assert api.as_(make.coordinator()).post(f"/redemptions/{rid}/void", json={"reason": "核实后撤销"}).status_code == 200


def test_void_of_another_shops_redemption_is_404(api, make, till):
    rid = api.as_(till.cashier).post("/redemptions", json=redeem_body(till)).get_json()["id"]
    stranger = make.cashier(make.shop())
    assert_error(api.as_(stranger).post(f"/redemptions/{rid}/void", json={"reason": "x"}), 404, "not_found")
    assert_error(api.as_(till.cashier).post("/redemptions/99999/void", json={"reason": "x"}), 404, "not_found")


def test_verify_rate_limited_per_user_and_per_address(app, api, make, till):
    def verify(caller, address):
        return caller.post("/verify", json={"code": till.card.card_no},
                           environ_base={"REMOTE_ADDR": address}).status_code

    first = api.as_(till.cashier)
    # Per user: changing address does not help one account guess on.
    assert [verify(first, f"10.0.0.{i}") for i in range(4)] == [200, 200, 200, 429]
    assert_error(first.post("/redemptions", json=redeem_body(till), environ_base={"REMOTE_ADDR": "10.0.0.9"}),
                 429, "rate_limited")
    # Per address: many accounts on one address are stopped together.
    others = [api.as_(make.cashier(till.shop)) for _ in range(4)]
    assert [verify(caller, "10.9.9.9") for caller in others] == [200, 200, 200, 429]


def test_odd_input_never_reaches_a_500(api, till):
    caller = api.as_(till.cashier)
    body = caller.post("/verify", json={"code": "abc\u0001\u007f"}).get_json()
    assert {k: body[k] for k in ("valid", "reason")} == {"valid": False, "reason": "invalid"}
    assert_error(caller.post("/verify", json={"code": "abc\u0000"}), 400, "malformed_request")  # NUL: app-wide
    assert_error(caller.post("/redemptions", json=redeem_body(till, offer_id=2**70)), 404, "not_found")
    assert_error(caller.post("/redemptions", json=redeem_body(till, idempotency_key="k" * 65)), 422,
                 "validation_error")
    assert_error(caller.post(f"/redemptions/{2**70}/void", json={"reason": "x"}), 404, "not_found")
    assert_error(caller.post("/redemptions", json=redeem_body(till, code=["x"])), 422, "validation_error")


def test_a_browser_signed_in_to_the_site_calls_the_till_with_its_csrf_token_in_its_language(app, client, till):
    """API.md: a browser session works on the same routes, and errors are in the request's language. The till's
    own app (verification/till/app.py) therefore keeps the cookie session, the CSRF check of a cookie call and
    the language of the request, as the main app does."""
    app.config["WTF_CSRF_ENABLED"] = True
    client.environ_base["HTTP_REFERER"] = "https://localhost/"  # HTTPS CSRF checks the referrer
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": till.cashier.username, "password": "secret123",
                                       "csrf_token": token}).status_code == 302
    body = {"code": till.card.card_no}
    assert_error(client.post("/api/v1/verify", json=body), 400, "csrf_failed")
    token = client.get("/scan").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    answer = client.post("/api/v1/verify", json=body, headers={"X-CSRFToken": token})
    assert answer.status_code == 200 and answer.get_json()["valid"] is True, answer.get_json()
    english = client.post("/api/v1/verify", json={}, headers={"X-CSRFToken": token, "Accept-Language": "en"})
    assert assert_error(english, 422, "validation_error")["fields"] == {"code": ["This field is required."]}
    refused = client.post("/api/v1/redemptions", json={}, headers={"Accept-Language": "en"})
    assert assert_error(refused, 400, "csrf_failed")["message"] == "This page has expired. Please refresh and try again."
