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


def qr_video(path, text):
    """A few seconds of camera picture showing a QR code, as the Y4M file Chromium's fake camera plays."""
    import qrcode
    from PIL import Image

    frame = Image.new("L", (640, 480), 90)
    code = qrcode.make(text, border=4).get_image().convert("L").resize((300, 300))
    frame.paste(code, (170, 90))
    luma, chroma = frame.tobytes(), bytes([128]) * (320 * 240 * 2)
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(20):
            out.write(b"FRAME\n" + luma + chroma)
    return path


@pytest.fixture
def camera_args():
    """Extra Chromium switches; a test that scans with the camera puts a fake camera here."""
    return []


@pytest.fixture
def phone(camera_args):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", *camera_args])
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


def sign_in_at(phone, base, user, password):
    phone.goto(f"{base}/login")
    phone.get_by_label("用户名").fill(user.username)
    phone.get_by_label("密码").fill(password)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(re.compile(r"/shop$"))


class TestCamera:
    """The in-app scanner with Chromium's fake camera playing a QR code (no BarcodeDetector on Linux,
    so the frames go to the server, as on iOS Safari)."""

    @pytest.fixture
    def camera_args(self, tmp_path):
        self.url_in_qr = "https://yj.example.cn/v/880077770001"
        video = qr_video(tmp_path / "qr.y4m", self.url_in_qr)
        return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}"]

    def test_camera_scan_opens_the_result_page(self, make, live_server, phone):
        shop = make.shop()
        cashier = make.cashier(shop)
        make.offer(shop)
        make_member(name="李卫国", category="family", card_no="880077770001")
        sign_in_at(phone, live_server, cashier, make.password)
        phone.goto(f"{live_server}/scan")
        phone.get_by_role("button", name="打开摄像头扫码").click()
        phone.wait_for_url(re.compile(r"/v/880077770001$"), timeout=20_000)
        shot(phone, "camera-result")
        assert "有效" in phone.inner_text("main") and "李*国" in phone.inner_text("main")


def test_photo_upload_opens_the_result_page(make, live_server, phone, tmp_path):
    import qrcode

    shop = make.shop()
    cashier = make.cashier(shop)
    card = make_member(name="赵强", category="active_duty")
    picture = tmp_path / "photo.png"
    qrcode.make(f"https://yj.example.cn/v/{card.card_no}").save(picture)
    sign_in_at(phone, live_server, cashier, make.password)
    phone.goto(f"{live_server}/scan")
    phone.set_input_files("#photo", str(picture))  # the page sends a chosen photo at once
    phone.wait_for_url(re.compile(rf"/v/{card.card_no}$"))
    assert "有效" in phone.inner_text("main") and "现役军人" in phone.inner_text("main")
