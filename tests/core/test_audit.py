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
    assert "<strong>审核通过商户</strong>" in page and "<strong>暂停商户</strong>" in page and "投诉核查" in page
    page = client.get("/admin/audit?action=shop.suspend").get_data(as_text=True)
    assert "<strong>暂停商户</strong>" in page and "<strong>审核通过商户</strong>" not in page
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
    assert f'href="/admin/shops/{shop.id}">Shop: {shop.name}</a>' in english and "：" not in english
    assert "photo.add" not in english[english.index('class="audit-list"'):]


def test_an_update_entry_names_its_fields(client, make):
    coordinator = make.coordinator()
    shop = make.shop()
    audit.record(shop.owner, "shop.update", shop, fields=["hours", "phone", "mystery"])
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "营业时间、电话、mystery" in page


def test_audit_shows_names_and_links_not_codes_and_ids(client, make):
    coordinator = make.coordinator()
    shop = make.shop(name="老兵面馆")
    member = make.member(name="王建国")
    credential = member.credentials[0]
    audit.record(coordinator, "credential.revoke", credential, member_id=member.id, reason="遗失")
    audit.record(coordinator, "staff.add", shop.owner, shop_id=shop.id)
    audit.record(coordinator, "stats.export", None, format="xlsx", table="inactive", days=30, rows=3)
    audit.record(coordinator, "member.import", None, created=2, first_id=member.id, last_id=member.id + 1)
    audit.record(coordinator, "credential.reissue", credential, member_id=member.id, serial=2,
                 replaced_id=credential.id)
    audit.record(coordinator, "activation.create", member, link_id=987654321)
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f'<a class="tap" href="/admin/members/{member.id}">优待证：王建国（尾号 {credential.card_no[-4:]}）</a>' in page
    assert f'<dd><a class="tap" href="/admin/shops/{shop.id}">老兵面馆</a></dd>' in page
    assert "<dd>无核销的商户</dd>" in page and "inactive" not in page and "<dd>Excel (XLSX)</dd>" in page
    assert f"/admin/members?imported={member.id}-{member.id + 1}" in page.replace("&amp;", "&")
    entries = page[page.index('class="audit-list"'):]
    assert f"<dt>替换的证</dt><dd>尾号 {credential.card_no[-4:]}</dd>" in entries and "987654321" not in entries
    assert "#" not in entries and "商户编号" not in entries and "stats.export" not in entries


def test_location_print_and_form_entries_read_in_words(client, make):
    from shops import services as shop_services
    from verification.members import services as member_services

    coordinator = make.coordinator()
    shop = make.shop(name="老兵面馆", lat=30.0, lng=120.0)
    member = make.member(name="王建国")
    credential = member.credentials[0]
    shop_services.set_location(shop, coordinator, {"lat": 30.2741, "lng": 120.1551})
    shop_services.set_location(shop, coordinator, None)
    audit.record(shop.owner, "shop.update", shop, fields=["location", "phone"])
    credential.live_form = "phone"  # as activating a phone does (verification.members.services.activate)
    audit.record(coordinator, "credential.form", credential, member_id=member.id, live_form="phone")
    member_services.print_cards([credential], coordinator)  # back to the printed card
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get("/admin/audit").get_data(as_text=True)
    entries = page[page.index('class="audit-list"'):]
    assert "<strong>更正店铺位置</strong>" in entries
    assert "<dt>原位置</dt><dd>纬度 30.0，经度 120.0</dd>" in entries
    assert "<dt>新位置</dt><dd>纬度 30.2741，经度 120.1551</dd>" in entries
    assert "<dt>新位置</dt><dd>未设置</dd>" in entries  # the location removed says so
    assert "<dd>位置、电话</dd>" in entries
    assert "<strong>打印优待卡</strong>" in entries and "<dt>原出示方式</dt><dd>手机动态码</dd>" in entries
    assert "<strong>改用手机出示</strong>" in entries and "<dt>出示方式</dt><dd>手机动态码</dd>" in entries
    for code in ("shop.location", "credential.print", "credential.form", "previous_form", "live_form", "before",
                 "after", "{&#39;lat", "'lat'", "location、"):
        assert code not in entries, code
    english = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert '<option value="shop.location" >Correct a shop&#39;s location</option>' in english
    assert "<dt>Old location</dt><dd>Latitude 30.0, longitude 120.0</dd>" in english


def test_every_recorded_action_has_a_name_on_the_page():
    """An action added without a label shows its code (shop.location did): every literal action the code records
    is named."""
    import re
    from pathlib import Path

    from baiye.audit_views import ACTIONS

    root = Path(__file__).resolve().parents[2]
    recorded = set()
    for package in ("baiye", "shops", "verification", "reports", "ledger", "evidence"):
        for source in (root / package).rglob("*.py"):
            recorded |= set(re.findall(r'audit\.record(?:_each)?\(\s*\w+,\s*"([a-z_]+\.[a-z_]+)"', source.read_text()))
    assert "shop.location" in recorded and "credential.print" in recorded
    assert sorted(recorded - set(ACTIONS)) == []


def test_who_did_it_reads_as_a_person(client, make):
    """The log names who acted as a coordinator knows them: a member by name (linked to their page), shop staff by
    name and shop (linked to the shop), a coordinator by name, each with the username the filter takes."""
    coordinator = make.coordinator(username="coord", display_name="区双拥办")
    shop = make.shop(name="老兵面馆")
    cashier = make.cashier(shop, username="xiaowang", display_name="小王")
    member = make.member(name="王建国")
    phone_user = make.user("member", username=f"m{member.id}")
    phone_user.member_id = member.id  # as activating the member's phone makes it
    audit.record(phone_user, "activation.use", member)
    audit.record(cashier, "redemption.void", None, reason="输错金额")
    audit.record(coordinator, "shop.suspend", shop, reason="x")
    db.session.commit()
    sign_in(client, coordinator)
    page = client.get("/admin/audit").get_data(as_text=True)
    entries = page[page.index('class="audit-list"'):]
    assert f'操作人：<a class="tap" href="/admin/members/{member.id}">王建国（优待对象本人）</a>' in entries
    assert f'操作人：<a class="tap" href="/admin/shops/{shop.id}">小王（xiaowang） · 老兵面馆</a>' in entries
    assert "操作人：区双拥办（coord）</p>" in entries
    assert f"操作人：m{member.id}" not in entries
    english = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert "王建国 (the beneficiary)" in english and "区双拥办 (coord)" in english


def test_entries_are_newest_first_by_when_they_happened(make):
    from datetime import datetime

    coordinator = make.coordinator()
    for day in (20, 28, 14):  # recorded in this order, about these days (as the demo back-dates its entries)
        audit.record(coordinator, "shop.suspend", None, now=datetime(2026, 11, day, 3, 0), reason=str(day))
    db.session.commit()
    items, total = audit.entries()
    assert total == 3 and [e.detail["reason"] for e in items] == ["28", "20", "14"]
