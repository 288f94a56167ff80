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


def test_audit_page_rejects_bad_filters_and_other_roles(client, make):
    sign_in(client, make.coordinator())
    assert client.get("/admin/audit?from=yesterday").status_code == 422
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
