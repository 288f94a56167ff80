"""A member activates their phone through the activation link and shows a QR that changes."""
import io
import time
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image

from baiye.clock import local_date, utcnow
from verification.till.credentials import resolve_code
from verification.members import services

from ..factories import id_number_for


@pytest.fixture
def config(config):
    return config | {"PHONE_CODE_STEP_SECONDS": 2, "PHONE_CODE_GRACE_STEPS": 1}


def decode(page):
    png = page.locator("#qr").screenshot()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return found[0].text if found else None


def test_activate_and_see_the_code_rotate(live_server, page, tmp_path):
    app = live_server.app
    with app.app_context():
        data = dict(name="王建国", category="veteran", id_number=id_number_for(4242), phone=None,
                    expires_on=local_date(utcnow()) + timedelta(days=365), station=None)
        member, credential, token = services.enrol_member(data, None)
        member_id = member.id

    page.goto(f"{live_server}/activate/{token}")
    assert page.get_by_text("王*国").is_visible()
    page.screenshot(path=str(tmp_path / "activate.png"), full_page=True)
    page.get_by_role("button", name="启用").click()
    page.wait_for_url("**/me")
    assert page.get_by_text("退役军人").first.is_visible()
    assert page.get_by_text("王*国").is_visible()
    assert page.locator("#clock").inner_text().count(":") == 2
    # an elderly member reads the notes on their own page at the body's size, 16 px, not a form hint's
    sizes = page.evaluate("""() => [...document.querySelectorAll('.member-code .hint, .member-code .muted.small')]
        .filter(e => e.offsetParent).map(e => parseFloat(getComputedStyle(e).fontSize))""")
    assert sizes and min(sizes) >= 16, sizes
    page.wait_for_function("document.getElementById('qr').complete")
    first = decode(page)
    assert first and first.startswith(live_server + "/v/")
    with app.test_request_context():
        assert resolve_code(first, utcnow()).member_id == member_id
    page.screenshot(path=str(tmp_path / "me.png"), full_page=True)

    # after the window the page has fetched a new code by itself
    deadline, second = time.monotonic() + 10, first
    while second == first and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        second = decode(page) or first
    assert second != first
    with app.test_request_context():
        assert resolve_code(second, utcnow()).member_id == member_id
    countdown = page.locator("#countdown").inner_text()  # read once: it changes between two reads
    assert "秒后自动更新" in countdown or "正在更新" in countdown

    # offline: a clear banner, and the stale code is covered rather than shown as if valid
    page.context.set_offline(True)
    page.locator("#offline-banner").wait_for(state="visible", timeout=8000)
    page.locator("#qr-cover").wait_for(state="visible", timeout=8000)
    page.screenshot(path=str(tmp_path / "offline.png"), full_page=True)
    page.context.set_offline(False)
    page.locator("#offline-banner").wait_for(state="hidden", timeout=8000)
    page.locator("#qr-cover").wait_for(state="hidden", timeout=8000)

    # the same link cannot bind a second phone
    other = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    second_phone = other.new_page()
    response = second_phone.goto(f"{live_server}/activate/{token}")
    assert response.status == 409 and second_phone.get_by_text("已使用过").is_visible()
    other.close()


def codes_on(page):
    """Everything on the phone page a person could copy: its text (numbers, links) and what every image decodes to."""
    import re

    text = page.locator("body").inner_text() + " " + page.content()
    found = set(re.findall(r"https?://[^\s\"'<>]+/v/[A-Za-z0-9_.\-]+", text))
    found |= {re.sub(r"\D", "", n) for n in re.findall(r"\d[\d ]{10,16}\d", page.locator("body").inner_text())}
    for index in range(page.locator("img").count()):
        image = page.locator("img").nth(index)
        if not image.is_visible():
            continue
        for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(image.screenshot()))):
            found.add(barcode.text)
    return {code for code in found if code}


def test_nothing_on_the_phone_page_verifies_once_its_window_has_passed(live_server, page, tmp_path):
    app = live_server.app
    with app.app_context():
        data = dict(name="李卫国", category="veteran", id_number=id_number_for(4343), phone=None,
                    expires_on=local_date(utcnow()) + timedelta(days=365), station="城关退役军人服务站")
        member, credential, token = services.enrol_member(data, None)
        member_id, card_no, credential_id = member.id, credential.card_no, credential.id

    page.goto(f"{live_server}/activate/{token}")
    page.get_by_role("button", name="启用").click()
    page.wait_for_url("**/me")
    page.wait_for_function("document.getElementById('qr').complete")
    shown_at = utcnow()
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    body = page.locator("body").inner_text()
    assert card_no not in body.replace(" ", "") and card_no[-4:] in body  # the last four only
    assert "手机动态码" in body and "可保存打印" not in body
    digits = page.locator("#digits").inner_text()
    assert len(digits.replace(" ", "")) == 12 and digits.count(" ") == 2  # grouped for reading aloud

    codes = codes_on(page)
    assert any("/v/" in code for code in codes) and digits.replace(" ", "") in codes
    with app.test_request_context():
        # while fresh, the QR and the rotating digits verify
        assert resolve_code(digits, utcnow()).credential_form == "phone_digits"
        assert any(resolve_code(code, utcnow()).member_id == member_id for code in codes if "/v/" in code)
        # once the window has passed (at most 90 s; here the clock moves 2 minutes on), nothing on the page does
        later = shown_at + timedelta(minutes=2)
        for code in codes:
            with pytest.raises(Exception) as refused:
                resolve_code(code, later)
            assert getattr(refused.value, "code", None) == "credential_invalid", code
        # nor does the card number, had someone learnt it elsewhere: the phone is the live form
        with pytest.raises(Exception):
            resolve_code(card_no, utcnow())

    # revoked while the page is open: no clock, no code, no "please scan"; what to do instead
    with app.app_context():
        from baiye.extensions import db
        from verification.members.models import Credential

        services.revoke_credential(db.session.get(Credential, credential_id), None, "证件遗失")
    page.locator("#code-stopped").wait_for(state="visible", timeout=10_000)
    assert page.locator("#live-code").is_hidden() and page.locator("#qr").is_hidden()
    stopped = page.locator("#code-stopped").inner_text()
    assert "作废" in stopped and "城关退役军人服务站" in stopped
    clock_text = page.locator("#clock").inner_text()
    page.wait_for_timeout(1500)
    assert page.locator("#clock").inner_text() == clock_text  # the clock has stopped
    page.screenshot(path=str(tmp_path / "revoked.png"), full_page=True)
