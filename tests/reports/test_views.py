import io
import re
from datetime import date, datetime

import pytest
from PIL import Image
from sqlalchemy import select

from baiye.audit import AuditEntry
from baiye.extensions import db
from reports.models import ShopPhoto


def sign_in(client, user, password="secret123"):
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302


@pytest.fixture
def coordinator(client, make):
    user = make.coordinator()
    sign_in(client, user)
    return user


def test_dashboard_shows_figures_and_filters(client, coordinator, network, today):
    network.log(0, 0, bill=12345, discount=1234)
    network.log(2, 2, bill=10000, discount=1000)
    page = client.get("/admin/stats").get_data(as_text=True)
    assert "统计与考评" in page and "¥22.34" in page and "<svg" in page
    assert "按日趋势" in page and "按行业" in page and "待审核商户" in page
    page = client.get("/admin/stats", query_string={"street": "dongcheng"}).get_data(as_text=True)
    assert "¥10.00" in page and "¥22.34" not in page
    assert "export.xlsx?by=street" in page.replace("&amp;", "&")


def test_dashboard_in_english_names_one_shop_per_row(client, coordinator, network):
    """商户 is "Shops" in the menu but "Shop" as a filter's label and a column's heading (pgettext)."""
    network.log(0, 0)
    page = client.get("/admin/stats?lang=en").get_data(as_text=True)
    assert '<label for="f-shop">Shop</label>' in page and "<th>Shop</th>" in page and ">Shops</a>" in page
    assert "<th>Shops</th>" not in page


def test_dashboard_bad_dates_reshow_the_form(client, coordinator):
    response = client.get("/admin/stats", query_string={"from": "2026-10-10", "to": "2026-10-01"})
    assert response.status_code == 422
    assert "开始日期不能晚于结束日期" in response.get_data(as_text=True)
    response = client.get("/admin/stats", query_string={"from": "not-a-date"})
    assert response.status_code == 422
    assert '<p class="error">日期格式应为 YYYY-MM-DD。</p>' in response.get_data(as_text=True)
    response = client.get("/admin/stats", query_string={"street": "nowhere"})
    assert response.status_code == 422
    assert '<p class="error">未知的街道/乡镇。</p>' in response.get_data(as_text=True)


def test_dashboard_lists_inactive_shops_with_phone(client, coordinator, network):
    network.log(0, 0)
    page = client.get("/admin/stats?days=7").get_data(as_text=True)
    section = page[page.index('id="inactive"'):]
    assert "惠民超市" in section and "迎宾酒店" in section and "13800138000" in section
    assert "老兵面馆" not in section


def test_dashboard_is_for_coordinators(client, make):
    shop = make.shop()
    assert client.get("/admin/stats").status_code == 302  # to sign-in
    sign_in(client, shop.owner)
    assert client.get("/admin/stats").status_code == 403


def test_printable_report(client, coordinator, network, make):
    make.offer(network.shops[1], title="满100减20", kind="amount_off", value=2000, min_spend=10000,
               limit_per_member=1, limit_period="day", categories="veteran", starts_on=date(2026, 1, 1))
    network.log(0, 0, day=date(2026, 10, 3), bill=10000, discount=1000)
    page = client.get("/admin/stats/report", query_string={"from": "2026-10-01", "to": "2026-10-31"}).get_data(as_text=True)
    assert "拥军优待工作报告" in page and "2026-10-01 至 2026-10-31" in page
    assert "按街道/乡镇" in page and "按行业" in page and "参与商户及优待内容（3 家）" in page
    assert "全单9折" in page and "<svg" in page
    assert "满100减20 · 满¥100.00可用 · 每天限1次 · 退役军人" in page


def test_public_page_has_no_personal_data(client, network):
    from reports.services import clear_public_cache

    clear_public_cache()
    network.log(0, 0, bill=10000, discount=1500)
    page = client.get("/public").get_data(as_text=True)
    assert "累计让利" in page and "¥15.00" in page and "/shops" in page
    assert "张三明" not in page and "13900000000" not in page


def jpeg_with_gps():
    image = Image.new("RGB", (1200, 900), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def uploads(config, tmp_path):
    config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    return tmp_path / "uploads"


def upload(client, shop_id, data, name="door.jpg", caption="拥军优待标牌"):
    return client.post(f"/shops/{shop_id}/photos", data={"photo": (io.BytesIO(data), name), "caption": caption},
                       content_type="multipart/form-data")


def test_owner_uploads_a_photo_stripped_of_metadata(client, make, uploads):
    shop = make.shop()
    sign_in(client, shop.owner)
    response = upload(client, shop.id, jpeg_with_gps())
    assert response.status_code == 302
    photo = db.session.scalars(select(ShopPhoto)).one()
    assert (photo.caption, photo.width, photo.height) == ("拥军优待标牌", 1200, 900)
    full = client.get(f"/photos/{photo.id}.jpg")
    assert full.status_code == 200 and full.mimetype == "image/jpeg"
    stored = Image.open(io.BytesIO(full.data))
    assert not stored.getexif() and "exif" not in stored.info
    thumb = Image.open(io.BytesIO(client.get(f"/photos/{photo.id}/thumb.jpg").data))
    assert max(thumb.size) == 480
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "photo.add"))
    assert "拥军优待标牌" in client.get(f"/shops/{shop.id}/photos").get_data(as_text=True)


def test_not_an_image_is_refused_with_a_message(client, make, uploads):
    shop = make.shop()
    sign_in(client, shop.owner)
    response = upload(client, shop.id, b"%PDF-1.4 not a photo", name="x.jpg")
    assert response.status_code == 422
    assert "无法识别的图片文件" in response.get_data(as_text=True)
    assert db.session.scalars(select(ShopPhoto)).all() == []
    assert not uploads.exists() or not any(uploads.rglob("*.jpg"))
    response = client.post(f"/shops/{shop.id}/photos", data={"caption": "x"}, content_type="multipart/form-data")
    assert response.status_code == 422 and "请选择要上传的照片" in response.get_data(as_text=True)


def test_too_many_pixels_refused(client, make, uploads, app):
    app.config["PHOTO_MAX_PIXELS"] = 1000
    shop = make.shop()
    sign_in(client, shop.owner)
    out = io.BytesIO()
    Image.new("RGB", (100, 100)).save(out, "PNG")
    response = upload(client, shop.id, out.getvalue(), name="big.png")
    assert response.status_code == 413 and "像素太多" in response.get_data(as_text=True)


def test_request_over_max_content_length_is_413(client, make, uploads, app):
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    shop = make.shop()
    sign_in(client, shop.owner)
    assert upload(client, shop.id, b"x" * 20_000).status_code == 413


def test_photos_are_private_to_the_shop_and_coordinators(client, make, uploads):
    shop, other = make.shop(), make.shop()
    sign_in(client, shop.owner)
    upload(client, shop.id, jpeg_with_gps())
    photo = db.session.scalars(select(ShopPhoto)).one()
    client.post("/logout")
    assert client.get(f"/photos/{photo.id}.jpg").status_code in (302, 401)
    sign_in(client, other.owner)
    assert client.get(f"/photos/{photo.id}.jpg").status_code == 404
    assert upload(client, shop.id, jpeg_with_gps()).status_code == 404
    client.post("/logout")
    coordinator = make.coordinator()
    sign_in(client, coordinator)
    assert client.get(f"/photos/{photo.id}/thumb.jpg").status_code == 200
    assert upload(client, shop.id, jpeg_with_gps(), caption="活动现场").status_code == 302
    client.post(f"/shops/{shop.id}/photos/{photo.id}/remove")
    assert client.get(f"/photos/{photo.id}.jpg").status_code == 404


def test_cashier_sees_but_cannot_upload(client, make, uploads):
    shop = make.shop()
    cashier = make.cashier(shop)
    sign_in(client, cashier)
    assert client.get(f"/shops/{shop.id}/photos").status_code == 200
    assert upload(client, shop.id, jpeg_with_gps()).status_code == 403


def test_photos_show_on_the_review_page_and_the_owners_page(client, make, uploads):
    shop = make.shop()
    sign_in(client, shop.owner)
    upload(client, shop.id, jpeg_with_gps())
    photo = db.session.scalars(select(ShopPhoto)).one()
    assert f"/photos/{photo.id}/thumb.jpg" in client.get("/shop").get_data(as_text=True)
    client.post("/logout")
    sign_in(client, make.coordinator())
    page = client.get(f"/admin/shops/{shop.id}").get_data(as_text=True)
    assert "佐证照片（1）" in page and f"/photos/{photo.id}/thumb.jpg" in page
    report = client.get("/admin/stats/report").get_data(as_text=True)
    assert f"/photos/{photo.id}/thumb.jpg" in report


def test_photo_api(api, make, uploads):
    from ..conftest import assert_error

    shop = make.shop()
    owner = api.as_(shop.owner)
    response = owner.post(f"/shops/{shop.id}/photos", data={"file": (io.BytesIO(jpeg_with_gps()), "a.jpg"),
                                                             "caption": "门口标牌"}, content_type="multipart/form-data")
    assert response.status_code == 201
    body = response.get_json()
    assert body["caption"] == "门口标牌" and body["thumb_url"].endswith("/thumb.jpg")
    assert owner.get(f"/shops/{shop.id}/photos").get_json()["total"] == 1
    error = assert_error(owner.post(f"/shops/{shop.id}/photos", data={"file": (io.BytesIO(b"<svg/>"), "a.svg")},
                                    content_type="multipart/form-data"), 422, "validation_error")
    assert "file" in error["fields"]
    assert_error(owner.post(f"/shops/{shop.id}/photos", data={}, content_type="multipart/form-data"),
                 422, "validation_error")


def test_photo_api_hides_other_shops(api, make, uploads):
    from ..conftest import assert_error

    shop, other = make.shop(), make.shop()
    assert_error(api.as_(other.owner).get(f"/shops/{shop.id}/photos"), 404, "not_found")


def test_long_periods_show_weeks_and_months_not_days(client, coordinator, network):
    network.log(0, 0, day=date(2026, 10, 3))
    page = client.get("/admin/stats", query_string={"from": "2024-01-01", "to": "2026-10-31"}).get_data(as_text=True)
    assert 'id="trend-day"' not in page and 'id="trend-week"' in page and 'id="trend-month"' in page
    page = client.get("/admin/stats", query_string={"from": "2026-10-01", "to": "2026-10-31"}).get_data(as_text=True)
    assert 'id="trend-day"' in page


def test_home_page_partial_renders_the_totals(app, network):
    """How the home page shows the totals once core's index view passes `public_summary`."""
    from flask import render_template

    from reports.services import clear_public_cache, public_totals

    clear_public_cache()
    network.log(0, 0, bill=10000, discount=1500)
    html = render_template("index.html", public_summary=public_totals())
    assert "让利惠军成效" in html and "¥15.00" in html
    assert "让利惠军成效" not in render_template("index.html")


def test_huge_ids_are_404_not_500(client, coordinator):
    for path in ("/photos/99999999999999999999.jpg", "/photos/99999999999999999999/thumb.jpg",
                 "/shops/99999999999999999999/photos", "/api/v1/shops/99999999999999999999/photos"):
        assert client.get(path).status_code == 404, path


def test_trend_chart_keeps_its_last_label_inside(app):
    from reports.charts import trend

    rows = [{"label": f"2026-W{n}", "redemptions": n} for n in range(35, 48)]
    with app.test_request_context():
        svg = str(trend(rows, width=480, height=200))
    labels = re.findall(r'<text x="([\d.]+)" y="188" text-anchor="(\w+)" class="axis"[^>]*>([^<]+)</text>', svg)
    assert labels and all(float(x) <= 474 for x, _anchor, _text in labels)
    assert labels[-1][1] == "end" and labels[0][1] == "middle"


def one_bit_png(width=6000, height=6600):
    """A few KB of 1-bit PNG that decodes to width × height pixels (Pillow holds a byte a pixel, four once RGB)."""
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, format="PNG", optimize=True)
    return out.getvalue()


def test_a_small_file_that_decodes_to_hundreds_of_megabytes_is_refused(api, make, uploads, caplog):
    from ..conftest import assert_error

    shop = make.shop()
    content = one_bit_png()
    assert len(content) < 10_000 and 6000 * 6600 < 40_000_000  # under both the byte and the pixel limits
    error = assert_error(api.as_(shop.owner).post(f"/shops/{shop.id}/photos", data={"file": (io.BytesIO(content),
                                                                                               "a.png")},
                                                  content_type="multipart/form-data"), 413, "too_large")
    assert "file" in error["fields"]
    assert db.session.query(ShopPhoto).count() == 0
    assert not [record for record in caplog.records if record.exc_info]


def test_a_photo_taken_sideways_is_stored_upright(api, make, uploads):
    """The EXIF orientation is applied before the metadata is dropped (a 40×20 picture rotated a quarter turn)."""
    image = Image.new("RGB", (40, 20), "white")
    exif = image.getexif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    shop = make.shop()
    response = api.as_(shop.owner).post(f"/shops/{shop.id}/photos", data={"file": (io.BytesIO(out.getvalue()),
                                                                                    "a.jpg")},
                                        content_type="multipart/form-data")
    assert response.status_code == 201
    assert (db.session.get(ShopPhoto, response.get_json()["id"]).width,
            db.session.get(ShopPhoto, response.get_json()["id"]).height) == (20, 40)


def test_report_opens_on_the_dashboards_90_days(client, coordinator, network, clock):
    clock.at(datetime(2026, 12, 6, 4))
    for path in ("/admin/stats", "/admin/stats/report"):
        assert "2026-09-08 至 2026-12-06" in client.get(path).get_data(as_text=True), path


def test_weeks_read_as_dates_and_a_long_table_folds(client, coordinator, network, clock):
    clock.at(datetime(2026, 12, 6, 4))
    network.log(0, 0, day=date(2026, 12, 1))
    page = client.get("/admin/stats").get_data(as_text=True)
    weeks = page[page.index('id="trend-week"'):page.index('id="trend-month"')]
    assert "11月30日–12月6日" in weeks and "W49" not in weeks
    assert ">11月30日</text>" in weeks  # the chart's axis names a week by its Monday
    days = page[page.index('id="trend-day"'):page.index('id="trend-week"')]
    assert '<details class="table-fold">' in days and "查看表格（62行）" in days
    months = page[page.index('id="trend-month"'):page.index('id="group-street"')]
    assert "<details" not in months  # four rows sit beside the chart


def test_inactive_shops_show_approval_and_keep_new_ones_apart(client, coordinator, network, clock):
    clock.at(datetime(2026, 12, 6, 4))
    network.shops[0].approved_at = datetime(2026, 6, 1)
    network.shops[1].approved_at = datetime(2026, 12, 6, 3, 50)
    network.shops[2].approved_at = datetime(2026, 6, 1)
    db.session.commit()
    page = client.get("/admin/stats?days=30").get_data(as_text=True)
    section = page[page.index('id="inactive"'):]
    dormant, newcomers = section.split('id="newcomers"')
    assert "近30天无核销的商户（2）" in dormant and "2026-06-01" in dormant and "从未核销" in dormant
    assert "老兵面馆" in dormant and "惠民超市" not in dormant
    assert "新加入" in newcomers and "惠民超市" in newcomers and "2026-12-06" in newcomers
