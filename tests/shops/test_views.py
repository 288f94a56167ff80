"""Shop pages through the test client, as a person fills them in."""
from baiye.audit import AuditEntry
from baiye.extensions import db
from shops.models import Offer, Shop

from ..factories import licence_no


def sign_in(client, user, password="secret123"):
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


def register_form(**overrides):
    data = {"name": "军嫂饺子馆", "industry": "catering", "street": "dongcheng", "address": "东城街道5号",
            "phone": "0571-88886666", "licence_no": licence_no(), "hours": "", "description": "",
            "owner_username": "jiaozi", "owner_password": "dumpling88"}
    data.update(overrides)
    return data


def test_register_page_creates_pending_shop_and_signs_owner_in(client):
    response = client.post("/shops/register", data=register_form())
    assert response.status_code == 302 and response.headers["Location"].endswith("/shop")
    page = client.get("/shop").get_data(as_text=True)
    assert "军嫂饺子馆" in page and "待审核" in page
    assert db.session.query(Shop).one().status == "pending"


def test_register_page_reshows_errors_beside_fields_and_keeps_input(client):
    response = client.post("/shops/register", data=register_form(phone="123", licence_no="abc", owner_password="short"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "请输入11位手机号" in page and "统一社会信用代码" in page and "密码至少需要" in page
    assert 'value="军嫂饺子馆"' in page
    assert db.session.query(Shop).count() == 0


def test_register_page_username_taken(client, make):
    make.coordinator(username="jiaozi")
    response = client.post("/shops/register", data=register_form())
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "该用户名已被使用" in page[page.index('name="owner_username"'):][:600]
    assert db.session.query(Shop).count() == 0


def test_directory_page_filters(client, make):
    a = make.shop(name="红星饭店", street="chengguan")
    make.shop(name="惠民超市", industry="retail", street="dongcheng")
    make.shop(name="待审小店", status="pending")
    make.offer(a, title="全单9折")
    page = client.get("/shops").get_data(as_text=True)
    assert "红星饭店" in page and "惠民超市" in page and "待审小店" not in page and "9折" in page
    page = client.get("/shops?street=dongcheng").get_data(as_text=True)
    assert "惠民超市" in page and "红星饭店" not in page
    page = client.get("/shops?q=%E7%BA%A2%E6%98%9F").get_data(as_text=True)  # 红星
    assert "红星饭店" in page and "惠民超市" not in page


def test_shop_page_shows_offers_and_hides_pending(client, make):
    shop = make.shop(name="红星饭店")
    make.offer(shop, title="满100减20", kind="amount_off", value=2000, min_spend=10000, limit_per_member=1,
               limit_period="day", categories="veteran")
    page = client.get(f"/shops/{shop.id}").get_data(as_text=True)
    assert "满100减20" in page and "减¥20.00" in page and "满¥100.00可用" in page and "每天限1次" in page
    assert "退役军人" in page
    pending = make.shop(status="pending")
    assert client.get(f"/shops/{pending.id}").status_code == 404


def test_coordinator_approves_from_queue(client, make):
    shop = make.shop(name="待审小店", status="pending")
    sign_in(client, make.coordinator())
    assert "待审小店" in client.get("/admin/shops").get_data(as_text=True)
    response = client.post(f"/admin/shops/{shop.id}/approve", data={"reason": ""})
    assert response.status_code == 302
    assert db.session.get(Shop, shop.id).status == "approved"


def test_reject_without_reason_goes_back_to_the_shop(client, make):
    shop = make.shop(status="pending")
    sign_in(client, make.coordinator())
    response = client.post(f"/admin/shops/{shop.id}/reject", data={"reason": " "})
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/shops/{shop.id}#decision"
    assert "请填写原因" in client.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert db.session.get(Shop, shop.id).status == "pending"
    client.post(f"/admin/shops/{shop.id}/reject", data={"reason": "执照与店名不符"})
    assert db.session.get(Shop, shop.id).status == "rejected"
    assert db.session.query(AuditEntry).filter_by(action="shop.reject").one().detail == {"reason": "执照与店名不符"}


def test_invalid_transition_on_page_is_explained(client, make):
    shop = make.shop(status="approved")
    sign_in(client, make.coordinator())
    response = client.post(f"/admin/shops/{shop.id}/reject", data={"reason": "x"}, follow_redirects=True)
    assert response.request.path == f"/admin/shops/{shop.id}" and "当前状态不能执行" in response.get_data(as_text=True)


def test_queue_is_for_coordinators_only(client, make):
    shop = make.shop()
    assert client.get("/admin/shops").status_code == 302  # to sign-in
    sign_in(client, shop.owner)
    assert client.get("/admin/shops").status_code == 403
    assert client.post(f"/admin/shops/{shop.id}/suspend", data={"reason": "x"}).status_code == 403


def test_owner_adds_offer_in_zhe_and_yuan(client, make, today):
    shop = make.shop()
    sign_in(client, shop.owner)
    response = client.post("/shop/offers/new", data={
        "title": "八五折", "kind": "percent_off", "zhe": "8.5", "min_spend": "50", "categories": ["veteran", "family"],
        "limit_per_member": "2", "limit_period": "week", "starts_on": today.isoformat(), "ends_on": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    offer = db.session.query(Offer).one()
    assert (offer.value, offer.min_spend, offer.categories) == (15, 5000, "family,veteran")
    assert (offer.limit_per_member, offer.limit_period) == (2, "week")
    response = client.post("/shop/offers/new", data={
        "title": "立减", "kind": "amount_off", "amount": "12.5", "starts_on": today.isoformat()})
    assert response.status_code == 302
    assert db.session.query(Offer).filter_by(title="立减").one().value == 1250


def test_offer_form_errors(client, make, today):
    shop = make.shop()
    sign_in(client, shop.owner)
    for data, message in [
        ({"title": "x", "kind": "percent_off", "zhe": "10", "starts_on": today.isoformat()}, "请输入1–9.9之间的折扣"),
        ({"title": "x", "kind": "amount_off", "amount": "abc", "starts_on": today.isoformat()}, "请输入金额"),
        ({"title": "x", "kind": "amount_off", "amount": "1.234", "starts_on": today.isoformat()}, "两位小数"),
        ({"title": "  ", "kind": "gift", "starts_on": today.isoformat()}, "此项为必填"),
        ({"title": "长" * 101, "kind": "gift", "starts_on": today.isoformat()}, "长度应在 1 到 100 之间"),
        ({"title": "x", "kind": "gift", "starts_on": "2026-05-02", "ends_on": "2026-05-01"}, "结束日期不能早于"),
    ]:
        response = client.post("/shop/offers/new", data=data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True), (data, message)
    assert db.session.query(Offer).count() == 0


def test_owner_edits_and_deactivates_offer(client, make):
    shop = make.shop()
    offer = make.offer(shop, value=10)
    sign_in(client, shop.owner)
    page = client.get(f"/shop/offers/{offer.id}/edit").get_data(as_text=True)
    assert 'value="9"' in page  # 10% off shown as 9折
    data = {"title": "改", "kind": "percent_off", "zhe": "9.5", "starts_on": offer.starts_on.isoformat()}
    assert client.post(f"/shop/offers/{offer.id}/edit", data=data).status_code == 302
    assert db.session.get(Offer, offer.id).value == 5
    client.post(f"/shop/offers/{offer.id}/deactivate")
    assert db.session.get(Offer, offer.id).is_active is False


def test_cashier_cannot_manage_offers_or_staff(client, make):
    shop = make.shop()
    offer = make.offer(shop)
    sign_in(client, make.cashier(shop))
    assert client.get("/shop").status_code == 200
    assert client.get("/shop/offers/new").status_code == 403
    assert client.post(f"/shop/offers/{offer.id}/deactivate").status_code == 403
    assert client.get("/shop/staff").status_code == 403


def test_other_owner_cannot_edit_offer(client, make):
    shop = make.shop()
    offer = make.offer(shop)
    sign_in(client, make.shop().owner)
    assert client.get(f"/shop/offers/{offer.id}/edit").status_code == 403
    assert client.post(f"/shop/offers/{offer.id}/deactivate").status_code == 403
    assert db.session.get(Offer, offer.id).is_active


def test_owner_adds_and_disables_cashier(client, make):
    shop = make.shop()
    sign_in(client, shop.owner)
    response = client.post("/shop/staff", data={"username": "xiaowang", "display_name": "小王", "password": "cashier99"})
    assert response.status_code == 302
    cashier = next(u for u in db.session.get(Shop, shop.id).staff if u.role == "cashier")
    client.post(f"/shop/staff/{cashier.id}/disable")
    assert cashier.is_disabled
    response = client.post("/shop/staff", data={"username": "x", "password": "1"})
    assert response.status_code == 422


def test_shop_page_badges_read_in_the_page_language(client, make):
    shop = make.shop()
    make.offer(shop, value=15, categories="veteran,family")
    chinese = client.get(f"/shops/{shop.id}").get_data(as_text=True)
    assert "8.5折" in chinese and "退役军人、军属" in chinese
    english = client.get(f"/shops/{shop.id}?lang=en").get_data(as_text=True)
    assert "15% off" in english and "8.5折" not in english and "、" not in english


def test_offer_form_shows_every_complaint_beside_its_field(client, make, today):
    shop = make.shop()
    sign_in(client, shop.owner)
    page = client.post("/shop/offers/new", data={"title": "", "kind": "percent_off", "zhe": "12",
                                                 "starts_on": today.isoformat()}).get_data(as_text=True)
    assert "此项为必填" in page and "请输入1–9.9之间的折扣" in page  # both at once, not one per submit
    assert "折扣比例应为1–99" not in page  # the schema's percent is not repeated in the form's units
    for title in ("立减", ""):
        page = client.post("/shop/offers/new", data={"title": title, "kind": "amount_off", "amount": "",
                                                     "starts_on": today.isoformat()}).get_data(as_text=True)
        field = page[page.index('name="amount"'):]
        assert "立减金额必须大于0" in field[:600]  # beside the amount field, not only in the banner
        assert page.count("立减金额必须大于0") == 1


def test_owner_stops_and_restarts_an_offer_and_a_cashier(client, make):
    shop = make.shop()
    offer = make.offer(shop)
    cashier = make.cashier(shop)
    sign_in(client, shop.owner)
    client.post(f"/shop/offers/{offer.id}/deactivate")
    assert "重新启用" in client.get("/shop").get_data(as_text=True)
    assert client.post(f"/shop/offers/{offer.id}/activate").status_code == 302
    client.post(f"/shop/staff/{cashier.id}/disable")
    assert "恢复" in client.get("/shop/staff").get_data(as_text=True)
    assert client.post(f"/shop/staff/{cashier.id}/enable").status_code == 302
    db.session.expire_all()
    assert db.session.get(Offer, offer.id).is_active and not db.session.get(type(cashier), cashier.id).is_disabled
    other = make.shop()
    assert client.post(f"/shop/offers/{make.offer(other).id}/activate").status_code in (403, 404)
    assert client.post(f"/shop/staff/{make.cashier(other).id}/enable").status_code == 404


def shop_form(shop, **changes):
    data = {"name": shop.name, "industry": shop.industry, "street": shop.street, "address": shop.address,
            "phone": shop.phone, "licence_no": shop.licence_no, "hours": shop.hours or "", "description": ""}
    return {**data, **changes}


def test_a_rejected_shop_is_corrected_and_sent_for_review_again(client, make):
    from baiye.audit import AuditEntry

    shop = make.shop(status="rejected", status_reason="营业执照号与店名不符")
    sign_in(client, shop.owner)
    page = client.get("/shop").get_data(as_text=True)
    assert "营业执照号与店名不符" in page and "修改资料并重新提交" in page
    assert 'value="' + shop.name + '"' in client.get("/shop/edit").get_data(as_text=True)
    bad = client.post("/shop/edit", data=shop_form(shop, phone="12345", name=" "))
    assert bad.status_code == 422 and "请输入11位手机号" in bad.get_data(as_text=True)
    response = client.post("/shop/edit", data=shop_form(shop, name="军嫂饺子馆（东城店）"))
    assert response.status_code == 302
    db.session.expire_all()
    shop = db.session.get(Shop, shop.id)
    assert (shop.status, shop.status_reason, shop.name) == ("pending", None, "军嫂饺子馆（东城店）")
    entry = db.session.query(AuditEntry).filter_by(action="shop.resubmit").one()
    assert entry.detail == {"fields": ["name"]}


def test_an_approved_shop_changes_its_hours_and_stays_approved(client, make):
    shop = make.shop()
    sign_in(client, shop.owner)
    assert client.post("/shop/edit", data=shop_form(shop, hours="10:00–22:00")).status_code == 302
    db.session.expire_all()
    assert (db.session.get(Shop, shop.id).status, db.session.get(Shop, shop.id).hours) == ("approved", "10:00–22:00")
    renamed = client.post("/shop/edit", data=shop_form(shop, name="另一家店"))
    assert renamed.status_code == 422 and "需由区双拥办更改" in renamed.get_data(as_text=True)
    rejected = make.shop(status="rejected", owner=True)
    client.post("/logout")
    sign_in(client, rejected.owner)
    taken = client.post("/shop/edit", data=shop_form(rejected, licence_no=shop.licence_no))
    assert taken.status_code == 422 and "已登记过商户" in taken.get_data(as_text=True)


def test_a_cashier_cannot_change_the_shop(client, make):
    shop = make.shop()
    sign_in(client, make.cashier(shop))
    assert client.get("/shop/edit").status_code == 403


def test_english_pages_use_english_punctuation(client, make):
    shop = make.shop()
    make.cashier(shop, display_name="小王")
    sign_in(client, shop.owner)
    for path in ("/?lang=en", "/shop", "/shop/staff"):
        page = client.get(path).get_data(as_text=True)
        body = page[page.index("<main"):page.index("</main>")]
        assert not any(mark in body for mark in "：＋（）"), (path, [m for m in "：＋（）" if m in body])


def test_owner_sets_a_forgotten_cashier_password(client, make, api):
    from baiye.accounts.services import issue_api_token, user_for_token

    shop = make.shop()
    cashier = make.cashier(shop)
    token = issue_api_token(cashier)
    db.session.commit()
    sign_in(client, shop.owner)
    weak = client.post(f"/shop/staff/{cashier.id}/password", data={"password": "123"}, follow_redirects=True)
    assert "至少需要" in weak.get_data(as_text=True)
    done = client.post(f"/shop/staff/{cashier.id}/password", data={"password": "newpass2026"}, follow_redirects=True)
    assert "新密码已生效" in done.get_data(as_text=True)
    assert user_for_token(token) is None  # the till signed in with the old password is signed out
    client.post("/logout")
    assert client.post("/login", data={"username": cashier.username, "password": "newpass2026"}).status_code == 302
    other = make.shop()
    assert api.as_(other.owner).post(f"/shops/{shop.id}/staff/{cashier.id}/password",
                                     json={"password": "another2026"}).status_code == 403
    ok = api.as_(shop.owner).post(f"/shops/{shop.id}/staff/{cashier.id}/password", json={"password": "another2026"})
    assert ok.status_code == 200 and ok.get_json()["username"] == cashier.username
    assert api.as_(shop.owner).post(f"/shops/{shop.id}/staff/{shop.owner.id}/password",
                                    json={"password": "another2026"}).status_code == 404


def test_offer_form_refuses_dates_out_of_range_and_starts_today_when_left_blank(client, make):
    from baiye.clock import local_date, utcnow

    shop = make.shop()
    sign_in(client, shop.owner)
    form = {"title": "老兵专享", "kind": "percent_off", "zhe": "9"}
    for dates in ({"starts_on": "0001-01-01"}, {"starts_on": "2026-01-01", "ends_on": "9999-12-31"}):
        response = client.post("/shop/offers/new", data={**form, **dates})
        assert response.status_code == 422 and "2000" in response.get_data(as_text=True)
    assert db.session.query(Offer).count() == 0
    before = local_date(utcnow())
    assert client.post("/shop/offers/new", data={**form, "starts_on": ""}).status_code == 302
    assert db.session.query(Offer).one().starts_on in {before, local_date(utcnow())}


def test_offer_form_refuses_an_amount_off_not_below_the_minimum_spend(client, make, today):
    shop = make.shop()
    sign_in(client, shop.owner)
    response = client.post("/shop/offers/new", data={
        "title": "满100减20", "kind": "amount_off", "amount": "120", "min_spend": "100", "starts_on": today.isoformat()})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    field = page[page.index('id="field-amount"'):page.index('id="field-worth"')]
    assert "立减金额（¥120.00）应低于最低消费（¥100.00）" in field
    assert db.session.query(Offer).count() == 0


def test_offer_form_warns_of_a_large_amount_against_typical_bills(client, make):
    from tests.reports.helpers import log_redemption, make_member

    shop = make.shop()
    plain = make.offer(shop)
    big = make.offer(shop, title="立减", kind="amount_off", value=3000, min_spend=None)
    member = make_member()
    for bill in (5000, 7000):
        log_redemption(shop, plain, member, bill=bill, discount=500)
    sign_in(client, shop.owner)
    page = client.get(f"/shop/offers/{big.id}/edit").get_data(as_text=True)
    assert 'data-typical-bill="6000"' in page
    assert "立减¥30.00，约为本店近期平均每笔消费（¥60.00）的50%。请确认金额无误。" in page
    # it is a warning: the offer saves
    response = client.post(f"/shop/offers/{big.id}/edit", data={
        "title": "立减", "kind": "amount_off", "amount": "30", "starts_on": big.starts_on.isoformat()})
    assert response.status_code == 302
    page = client.get(f"/shop/offers/{plain.id}/edit").get_data(as_text=True)
    assert '<p class="warning" id="amount-warning" role="status" hidden></p>' in page


def test_register_says_when_only_the_licence_check_character_is_wrong(client):
    good = licence_no()
    typo = good[:-1] + ("0" if good[-1] != "0" else "1")
    page = client.post("/shops/register", data=register_form(licence_no=typo)).get_data(as_text=True)
    field = page[page.index('id="field-licence_no"'):]
    field = field[:field.index("</div>")]
    assert "营业执照号校验位不符" in field and "应为18位" not in field
    page = client.post("/shops/register", data=register_form(licence_no=good[:17])).get_data(as_text=True)
    assert "应为18位统一社会信用代码" in page


def test_username_hint_lists_what_is_allowed(client):
    page = client.get("/shops/register").get_data(as_text=True)
    assert "3–32位，可用英文字母、数字和 _ . - 三种符号" in page


def test_directory_page_category_filter_shows_only_that_categorys_offers(client, make):
    shop = make.shop(name="老兵面馆")
    make.offer(shop, title="退役军人九五折", categories="veteran", value=5)
    make.offer(shop, title="军属九折", categories="family")
    page = client.get("/shops?category=family").get_data(as_text=True)
    assert "老兵面馆" in page and "军属九折" in page and "退役军人九五折" not in page
    page = client.get("/shops?category=veteran").get_data(as_text=True)
    assert "退役军人九五折" in page and "军属九折" not in page


def test_directory_page_says_who_each_offer_is_for(client, make):
    shop = make.shop(name="老兵面馆")
    make.offer(shop, title="退役军人九五折", categories="veteran", value=5)
    make.offer(shop, title="军属烈属九折", categories="family,martyr_family")
    make.offer(shop, title="全单9折")
    page = client.get("/shops").get_data(as_text=True)
    assert "退役军人九五折 <span class=\"offer-for muted\">· 适用：退役军人</span>" in page
    assert "军属烈属九折 <span class=\"offer-for muted\">· 适用：军属、烈士遗属</span>" in page
    assert "全单9折 <span class=\"offer-for muted\">· 适用：全部优待对象</span>" in page
    english = client.get("/shops?category=veteran&lang=en").get_data(as_text=True)
    assert "· For: Veteran</span>" in english and "· For: all beneficiaries</span>" in english
    assert "军属烈属九折" not in english


def test_directory_page_near_me_lists_nearest_first_with_distance_navigation_and_call(client, make):
    make.shop(name="远店", lat=30.2841, lng=120.1551, phone="0571-88886666")
    make.shop(name="近店", lat=30.2741, lng=120.1561)
    make.shop(name="无位置店")
    response = client.get("/shops?near=30.2741,120.1551")
    page = response.get_data(as_text=True)
    assert page.index("近店") < page.index("远店") < page.index("无位置店")
    assert "距您 96 米" in page and "距您 1.1 公里" in page
    assert ("https://uri.amap.com/marker?position=120.1551%2C30.2841&amp;name=%E8%BF%9C%E5%BA%97&amp;coordinate=wgs84"
            in page)
    assert 'href="tel:0571-88886666"' in page and page.count("一键导航") == 2  # the shop without a location has none
    assert 'name="near" value="30.2741,120.1551"' in page  # the filters keep the position
    assert "js/location.js" in page and "<script>" not in page
    assert "geolocation=(self)" in response.headers["Permissions-Policy"]
    # without a position (or with one that is not): by name, no distances
    for url in ("/shops", "/shops?near=not-a-place"):
        page = client.get(url).get_data(as_text=True)
        assert page.index("无位置店") < page.index("近店") < page.index("远店") and "距您" not in page


def test_register_page_takes_an_optional_location(client):
    page = client.get("/shops/register").get_data(as_text=True)
    assert "使用我的当前位置" in page and "js/location.js" in page
    response = client.post("/shops/register", data=register_form(lat="30.2741", lng="120.1551"))
    assert response.status_code == 302
    shop = db.session.query(Shop).one()
    assert shop.location == {"lat": 30.2741, "lng": 120.1551}


def test_register_page_refuses_a_location_out_of_range_or_half_given(client):
    for lat, lng, message in (("95", "120", "纬度应在 -90 到 90 之间"), ("30", "", "请填写数字"),
                              ("北纬30", "120", "请填写数字")):
        response = client.post("/shops/register", data=register_form(lat=lat, lng=lng))
        assert response.status_code == 422 and message in response.get_data(as_text=True), (lat, lng)
    assert db.session.query(Shop).count() == 0


def test_edit_page_sets_and_clears_the_location_and_warns_outside_china(client, make):
    shop = make.shop()
    sign_in(client, shop.owner)
    data = {"name": shop.name, "industry": shop.industry, "street": shop.street, "address": shop.address,
            "phone": shop.phone, "licence_no": shop.licence_no, "hours": shop.hours}
    page = client.post("/shop/edit", data=data | {"lat": "30.2741", "lng": "-120.1551"}, follow_redirects=True)
    assert shop.location == {"lat": 30.2741, "lng": -120.1551} and "不在中国境内" in page.get_data(as_text=True)
    form = client.get("/shop/edit").get_data(as_text=True)
    assert 'value="30.2741"' in form and 'value="-120.1551"' in form
    client.post("/shop/edit", data=data | {"lat": "", "lng": ""})
    assert shop.location is None


def test_coordinator_corrects_a_shops_location_on_its_admin_page(client, make):
    shop = make.shop(lat=30.0, lng=120.0)
    sign_in(client, make.coordinator())
    page = client.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert "纬度 30.0，经度 120.0" in page and "使用我的当前位置" in page
    response = client.post(f"/admin/shops/{shop.id}/location", data={"lat": "30.2741", "lng": "120.1551"})
    assert response.status_code == 302 and shop.location == {"lat": 30.2741, "lng": 120.1551}
    assert db.session.query(AuditEntry).filter_by(action="shop.location").count() == 1
    response = client.post(f"/admin/shops/{shop.id}/location", data={"lat": "30", "lng": "200"})
    assert response.status_code == 422 and "经度应在 -180 到 180 之间" in response.get_data(as_text=True)
    client.post(f"/admin/shops/{shop.id}/location", data={"lat": "", "lng": ""})
    assert shop.location is None
    client.post("/logout")
    sign_in(client, shop.owner)
    assert client.post(f"/admin/shops/{shop.id}/location", data={"lat": "1", "lng": "1"}).status_code == 403


def test_shop_page_has_a_navigation_link_when_the_shop_has_a_location(client, make):
    located, unlocated = make.shop(lat=30.2741, lng=120.1551), make.shop()
    assert "https://uri.amap.com/marker?position=120.1551%2C30.2741" in client.get(
        f"/shops/{located.id}").get_data(as_text=True)
    assert "一键导航" not in client.get(f"/shops/{unlocated.id}").get_data(as_text=True)


def test_location_advice_fits_who_is_setting_it_and_the_shop_page_names_the_typed_fallback(client, make):
    """The owner, at the shop, is told to take the phone's position; a coordinator, in an office, to type it (their
    own position would put the shop at the office). A member reading a shop's page learns what to do when the code
    will not scan."""
    shop = make.shop(name="老兵面馆")
    sign_in(client, make.coordinator())
    review = client.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert "在办公室点会填入办公室的位置" in review and "在店里点下面的按钮" not in review
    client.post("/logout")
    sign_in(client, shop.owner)
    edit = client.get("/shop/edit").get_data(as_text=True)
    assert "在店里点下面的按钮" in edit and "在办公室点" not in edit
    page = client.get(f"/shops/{shop.id}").get_data(as_text=True)
    assert "扫不出时，把手机优待码下方的数字或卡上的卡号报给店员输入" in page
