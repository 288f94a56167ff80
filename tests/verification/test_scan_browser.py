"""A cashier at a phone-sized browser: sign in from a member's card URL, log a redemption, see it today."""
import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from .helpers import make_member

CHROMIUM = "/usr/bin/chromium"
SHOTS = os.environ.get("SCREENSHOT_DIR")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture
def config(config):
    """A real browser: CSRF on, plain-http cookies for the local server."""
    config.update(WTF_CSRF_ENABLED=True, BASE_URL="", SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    return config


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def phone():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                      is_mobile=True, has_touch=True, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def shot(page, name):
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_cashier_logs_a_redemption_and_sees_it_today(make, live_server, phone):
    shop = make.shop(name="老兵面馆")
    cashier = make.cashier(shop, display_name="小王")
    make.offer(shop, title="全单9折", kind="percent_off", value=10)
    make.offer(shop, title="满100减20", kind="amount_off", value=2000, min_spend=10000, limit_per_member=1,
               limit_period="day")
    card = make_member(name="张建国", category="veteran")

    phone.goto(f"{live_server}/v/{card.card_no}")
    shot(phone, "1-public")
    assert "张" not in phone.inner_text("main")
    phone.get_by_role("link", name="店员登录后查看").click()
    phone.get_by_label("用户名").fill(cashier.username)
    phone.get_by_label("密码").fill(make.password)
    phone.get_by_role("button", name="登录").click()

    phone.wait_for_url(re.compile(rf"/v/{card.card_no}$"))
    main = phone.inner_text("main")
    assert "有效" in main and "张*国" in main and "退役军人" in main and card.card_no[-4:] in main
    assert "今天还可用 1 次" in main
    phone.get_by_text("全单9折").click()
    phone.get_by_label("消费金额（元）").fill("128.85")
    shot(phone, "2-valid")
    phone.get_by_role("button", name="确认核销").click()

    phone.wait_for_url(re.compile(r"/shop/redemptions/\d+$"))
    shot(phone, "3-receipt")
    receipt = phone.inner_text("main")
    assert "核销成功" in receipt and "¥12.89" in receipt and "¥115.96" in receipt  # 12.885 rounds half up

    phone.get_by_role("link", name="今日核销记录").click()
    phone.wait_for_url(re.compile(r"/shop/today$"))
    shot(phone, "4-today")
    assert phone.inner_text("#total-count") == "1"
    assert phone.inner_text("#total-discount") == "¥12.89"
    assert "全单9折" in phone.inner_text(".redemption-list") and "−¥12.89" in phone.inner_text(".redemption-list")

    phone.goto(f"{live_server}/scan")
    shot(phone, "5-scan")
    assert phone.get_by_role("heading", name="输入卡号").is_visible()
