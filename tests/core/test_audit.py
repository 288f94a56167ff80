from baiye import audit
from baiye.extensions import db


def sign_in(client, user):
    assert client.post("/login", data={"username": user.username, "password": "secret123"}).status_code == 302


def test_audit_page_lists_and_filters(client, make):
    coordinator = make.coordinator(username="coord")
    shop = make.shop(status="pending")
    sign_in(client, coordinator)
    client.post(f"/admin/shops/{shop.id}/approve", data={})
    client.post(f"/admin/shops/{shop.id}/suspend", data={"reason": "投诉核查"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "shop.approve" in page and "shop.suspend" in page and "投诉核查" in page
    page = client.get("/admin/audit?action=shop.suspend").get_data(as_text=True)
    assert "shop.suspend</code>" in page and "shop.approve</code>" not in page
    page = client.get("/admin/audit?actor=nobody").get_data(as_text=True)
    assert "没有符合条件的记录" in page


def test_audit_page_says_what_happened_in_plain_words(client, make, till):
    coordinator = make.coordinator()
    audit.record(coordinator, "redemption.void", None, reason="输错金额", discount=1_500_000, shop_id=till.shop.id,
                 category="veteran", fields=None)
    audit.record(coordinator, "something.new", None, note="x")
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "撤销核销" in page and "¥15,000.00" in page and "退役军人" in page and "输错金额" in page
    assert "1500000" not in page and "None" not in page
    assert "something.new" in page  # an action without a label shows its code
    english = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Void a redemption" in english


def test_audit_page_rejects_bad_filters_and_other_roles(client, make):
    sign_in(client, make.coordinator())
    response = client.get("/admin/audit?from=yesterday")
    assert response.status_code == 422
    assert "日期格式应为 YYYY-MM-DD" in response.get_data(as_text=True)
    assert "日期应在2000年至2099年之间" in client.get("/admin/audit?to=9999-12-31").get_data(as_text=True)
    client.post("/logout")
    sign_in(client, make.shop().owner)
    assert client.get("/admin/audit").status_code == 403


def test_entries_service_filters_by_target(make):
    coordinator = make.coordinator()
    shop = make.shop()
    audit.record(coordinator, "shop.suspend", shop, reason="x")
    audit.record(coordinator, "other.thing")
    db.session.commit()
    items, total = audit.entries(target_type="shop", target_id=shop.id)
    assert total == 1 and items[0].detail == {"reason": "x"}


def test_an_export_entry_names_its_grouping(client, make):
    coordinator = make.coordinator()
    sign_in(client, coordinator)
    assert client.get("/api/v1/stats/export.csv?by=street").status_code == 200
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "导出统计" in page and "按街道/乡镇" in page


def test_audit_filters_photo_entries_and_speaks_english(client, make):
    coordinator = make.coordinator()
    shop = make.shop()
    audit.record(coordinator, "photo.add", shop, shop_id=shop.id)
    db.session.commit()
    sign_in(client, coordinator)
    assert '<option value="shopphoto"' in client.get("/admin/audit").get_data(as_text=True)
    english = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "Shop #" in english and "：" not in english and "Shops #" not in english


def test_an_update_entry_names_its_fields(client, make):
    coordinator = make.coordinator()
    shop = make.shop()
    audit.record(shop.owner, "shop.update", shop, fields=["hours", "phone", "mystery"])
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "营业时间、电话、mystery" in page
