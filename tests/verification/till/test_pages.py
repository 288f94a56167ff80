"""The till's pages through the test client: result page, receipt, today, history, CSV, scanner."""
import io
import re
from datetime import timedelta

import qrcode

from baiye.clock import utcnow
from baiye.extensions import db
from verification import tokens
from verification.till.models import Redemption, ScanLog

from ..helpers import make_member

PASSWORD = "secret123"


def sign_in(client, user):
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)


def text(response):
    return response.get_data(as_text=True)


def key_in(page):
    return re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', page).group(1)


def qr_png(content):
    buffer = io.BytesIO()
    qrcode.make(content).save(buffer, format="PNG")
    buffer.seek(0)
    return buffer


def test_anyone_else_sees_a_neutral_page_with_sign_in_back_here(client, make, till):
    page = text(client.get(f"/v/{till.card.card_no}"))
    assert f"/login?next=/v/{till.card.card_no}" in page
    for user in (None, make.coordinator()):
        if user:
            sign_in(client, user)
        page = text(client.get(f"/v/{till.card.card_no}"))
        assert "张*明" not in page and "who-category" not in page and "有效" not in page


def test_cashier_sees_valid_and_offers_and_get_changes_nothing(client, make, till):
    make.offer(till.shop, title="每天一次", limit_per_member=1, limit_period="day")
    sign_in(client, till.cashier)
    response = client.get(f"/v/{till.card.card_no}")
    page = text(response)
    assert response.status_code == 200
    assert "有效" in page and "张*明" in page and "退役军人" in page and till.card.card_no[-4:] in page
    assert "全单9折" in page and "今天还可用 1 次" in page and "不限次数" in page
    assert 'inputmode="decimal"' in page and key_in(page)
    assert db.session.query(Redemption).count() == 0 and db.session.query(ScanLog).count() == 0


def test_a_phone_codes_url_opens_the_verification_page(client, make, till):
    """The phone's QR holds BASE_URL/v/<token>: a camera or WeChat opens the neutral page, which a cashier signed in
    sees as the verdict; past its window it says the code is stale (a screenshot)."""
    from urllib.parse import urlsplit

    credential = make.credential(name="李手机", live_form="phone")
    now = utcnow()
    url = tokens.code_url(tokens.phone_token(credential, now))
    assert url.startswith("https://yj.example.cn/v/")
    path = urlsplit(url).path
    public = text(client.get(path))
    assert f"/login?next={path}" in public and "李*机" not in public
    sign_in(client, till.cashier)
    page = text(client.get(path))
    assert "有效" in page and "李*机" in page and "全单9折" in page
    stale = tokens.code_url(tokens.phone_token(credential, now - timedelta(minutes=2)))
    assert "可能是截图" in text(client.get(urlsplit(stale).path))


def test_invalid_card_shows_reason_in_chinese(client, till):
    sign_in(client, till.cashier)
    page = text(client.get("/v/880011112229"))
    assert "无效" in page and "查无此证" in page and "确认核销" not in page
    revoked = make_member(status="revoked")
    assert "已被注销" in text(client.get(f"/v/{revoked.card_no}"))


def test_logging_a_redemption_then_receipt_and_double_tap_logs_once(client, till):
    sign_in(client, till.cashier)
    url = f"/v/{till.card.card_no}"
    key = key_in(text(client.get(url)))
    form = {"offer_id": till.offer.id, "bill": "88.88", "idempotency_key": key}
    first = client.post(url, data=form)
    second = client.post(url, data=form)
    assert first.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    assert db.session.query(Redemption).count() == 1
    receipt = text(client.get(first.headers["Location"]))
    assert "核销成功" in receipt and "8.89" in receipt and "79.99" in receipt  # 10% of 88.88 rounds half up


def test_a_gift_receipt_shows_the_gift_not_a_discount_of_nothing(client, make, till):
    gift = make.offer(till.shop, title="赠送饮品一份", kind="gift", value=None)
    sign_in(client, till.cashier)
    url = f"/v/{till.card.card_no}"
    logged = client.post(url, data={"offer_id": gift.id, "bill": "", "idempotency_key": key_in(text(client.get(url)))})
    assert logged.status_code == 302, text(logged)
    receipt = text(client.get(logged.headers["Location"]))
    assert '<p class="receipt-discount gift"><strong>赠送饮品一份</strong></p>' in receipt
    assert "¥0.00" not in receipt
    today = text(client.get("/shop/today"))
    assert "−¥0.00" not in today and '<span class="discount">赠</span>' in today


def test_refusal_is_shown_on_the_form(client, make, till):
    offer = make.offer(till.shop, title="满100减20", kind="amount_off", value=2000, min_spend=10000)
    sign_in(client, till.cashier)
    url = f"/v/{till.card.card_no}"
    response = client.post(url, data={"offer_id": offer.id, "bill": "50", "idempotency_key": "k1"})
    assert response.status_code == 409 and "未达到最低消费" in text(response)
    blank = client.post(url, data={"offer_id": offer.id, "bill": "", "idempotency_key": "k2"})
    assert blank.status_code == 422 and "请输入本次消费金额" in text(blank)
    too_much = client.post(url, data={"offer_id": offer.id, "bill": "200000", "idempotency_key": "k3"})
    assert too_much.status_code == 422 and "上限" in text(too_much)
    absurd = client.post(url, data={"offer_id": offer.id, "bill": "99999999999", "idempotency_key": "k4"})
    assert absurd.status_code == 422 and "不能超过100万元" in text(absurd)
    assert db.session.query(Redemption).count() == 0


def test_suspended_shop_cannot_see_results(client, make):
    shop = make.shop(status="suspended")
    cashier = make.cashier(shop)
    card = make_member()
    sign_in(client, cashier)
    response = client.get(f"/v/{card.card_no}")
    assert response.status_code == 409 and "张*明" not in text(response)


def test_today_lists_totals_and_void_within_window(client, make, till):
    sign_in(client, till.cashier)
    url = f"/v/{till.card.card_no}"
    client.post(url, data={"offer_id": till.offer.id, "bill": "100", "idempotency_key": "a"})
    client.post(url, data={"offer_id": till.offer.id, "bill": "55.55", "idempotency_key": "b"})
    page = text(client.get("/shop/today"))
    assert "¥15.56" in page  # 10.00 + 5.56
    assert page.count("确认撤销") == 2
    old = db.session.query(Redemption).filter_by(idempotency_key="a").one()
    old.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    page = text(client.get("/shop/today"))
    assert page.count("确认撤销") == 1
    newer = db.session.query(Redemption).filter_by(idempotency_key="b").one()
    assert client.post(f"/shop/redemptions/{newer.id}/void", data={"reason": ""}).status_code == 302
    assert db.session.get(Redemption, newer.id).voided_at is None
    client.post(f"/shop/redemptions/{newer.id}/void", data={"reason": "金额输错"})
    db.session.expire_all()
    assert db.session.get(Redemption, newer.id).void_reason == "金额输错"
    page = text(client.get("/shop/today"))
    assert "已撤销：金额输错" in page and "¥10.00" in page


def test_history_and_csv_of_own_shop(client, make, till):
    other = make.shop()
    sign_in(client, till.cashier)
    client.post(f"/v/{till.card.card_no}", data={"offer_id": till.offer.id, "bill": "20", "idempotency_key": "x"})
    page = text(client.get("/shop/history"))
    assert "¥2.00" in page
    response = client.get("/shop/redemptions.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff编号")
    assert "全单9折" in body and "20.00" in body and "2.00" in body
    assert other.name not in body
    assert len(body.strip().splitlines()) == 2


def test_scanner_page_and_manual_entry(client, till):
    sign_in(client, till.cashier)
    page = text(client.get("/scan"))
    assert 'capture="environment"' in page and "playsinline" in page and "js/scanner.js" in page
    response = client.post("/scan/open", data={"code": f" {till.card.card_no} "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/v/{till.card.card_no}")
    assert db.session.query(ScanLog).count() == 0
    client.post("/scan/open", data={"code": "880000000005"})
    assert db.session.query(ScanLog).one().reason == "unknown"
    assert client.post("/scan/open", data={"code": ""}).status_code == 422


def test_frame_decoding_endpoint(client, till):
    sign_in(client, till.cashier)
    url = f"https://yj.example.cn/v/{till.card.card_no}"
    response = client.post("/scan/decode", data={"image": (qr_png(url), "frame.png")})
    assert response.get_json() == {"text": url}
    blank = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (64, 64), "white").save(blank, format="JPEG")
    blank.seek(0)
    assert client.post("/scan/decode", data={"image": (blank, "f.jpg")}).get_json() == {"text": None}
    refused = client.post("/scan/decode", data={"image": (io.BytesIO(b"%PDF-1.4 not an image"), "x.pdf")})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_an_image"


def test_photo_upload_fallback(app, client, till):
    sign_in(client, till.cashier)
    response = client.post("/scan/photo", data={"photo": (qr_png(f"https://yj.example.cn/v/{till.card.card_no}"),
                                                          "IMG_0001.png")})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/v/{till.card.card_no}")
    refused = client.post("/scan/photo", data={"photo": (io.BytesIO(b"hello"), "note.txt")})
    assert refused.status_code == 422 and "不是图片" in text(refused)
    none_chosen = client.post("/scan/photo", data={"photo": (io.BytesIO(b""), "")},
                              content_type="multipart/form-data")  # as a browser sends an empty file input
    assert none_chosen.status_code == 422 and "请先拍照或选择一张照片" in text(none_chosen)
    app.config["SCAN_UPLOAD_MAX_BYTES"] = 1000
    big = client.post("/scan/photo", data={"photo": (io.BytesIO(b"x" * 5000), "big.jpg")})
    assert big.status_code == 413 and "太大" in text(big)


def test_pages_need_shop_staff(client, make, till):
    assert client.get("/scan").status_code == 302
    sign_in(client, make.coordinator())
    for path in ("/scan", "/shop/today", "/shop/history", "/shop/redemptions.csv"):
        assert client.get(path).status_code == 403, path


def test_base_nav_links_to_scanner(client, till):
    sign_in(client, till.cashier)
    page = text(client.get("/shop"))
    assert 'href="/scan"' in page and 'href="/shop/today"' in page


def test_a_small_image_that_decodes_to_hundreds_of_megabytes_is_refused(client, till, caplog):
    from PIL import Image

    content = io.BytesIO()
    Image.new("1", (6000, 6600)).save(content, format="PNG", optimize=True)  # a few KB
    sign_in(client, till.cashier)
    for path, field in (("/scan/decode", "image"), ("/scan/photo", "photo")):
        content.seek(0)
        response = client.post(path, data={field: (io.BytesIO(content.getvalue()), "qr.png")})
        assert response.status_code == 413, (path, response.status_code)
    assert not [record for record in caplog.records if record.exc_info]


def test_redeem_without_an_offer_marks_the_offer_list(client, make, till):
    make.offer(till.shop, title="第二项")  # two offers: none is chosen for the cashier
    sign_in(client, till.cashier)
    response = client.post(f"/v/{till.card.card_no}", data={"bill": "20", "idempotency_key": "x"})
    assert response.status_code == 422
    page = text(response)
    fieldset = page[page.index('<fieldset class="offer-pick has-error"'):page.index("</fieldset>")]
    assert 'aria-invalid="true"' in fieldset
    assert fieldset.index('<p class="error" id="offer-error" role="alert">请选择一项优惠。</p>') < fieldset.index("第二项")
    assert db.session.query(Redemption).count() == 0


def test_a_mistyped_number_is_corrected_where_the_refusal_is_read(client, till):
    """The scan page asks for either number (the phone's changing digits or the card's), on a number pad; a refused
    typed number, or text that is no code at all, brings the box back holding what was typed; only a code shaped
    like ours whose signature fails is called altered or forged."""
    sign_in(client, till.cashier)
    scan = text(client.get("/scan"))
    assert "输入号码" in scan and "手机优待码下方的12位数字" in scan and 'inputmode="numeric"' in scan
    last_four = till.card.card_no[-4:]
    page = text(client.post("/scan/open", data={"code": last_four}, follow_redirects=True))
    assert "卡号有误，请核对后重输。卡号和手机上的数字码都是12位。" in page and "伪造" not in page
    assert re.search(rf'<input[^>]*name="code"[^>]*value="{last_four}"', page), "the box holds what was typed"
    assert "重新输入" in page and 'action="/scan/open"' in page
    letters = text(client.post("/scan/open", data={"code": "abc"}, follow_redirects=True))
    assert "这不是优待码" in letters and "伪造" not in letters and "重新输入" in letters
    genuine = tokens.card_token(till.card)
    forged = genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB")
    forged_page = text(client.get(f"/v/{forged}"))
    assert "伪造" in forged_page and "重新输入" not in forged_page
    english = text(client.get("/v/abc?lang=en"))
    assert "This is not a beneficiary code" in english and "Type it again" in english
