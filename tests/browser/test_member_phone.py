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
