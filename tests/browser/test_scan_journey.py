"""A cashier at a phone-sized browser: sign in from a member's card URL, log a redemption, see it today."""
import os
import re
from pathlib import Path

import pytest

from tests.verification.helpers import make_member

SHOTS = os.environ.get("SCREENSHOT_DIR")


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


def shot(page, name):
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_cashier_logs_a_redemption_and_sees_it_today(make, live_server, page):
    shop = make.shop(name="老兵面馆")
    cashier = make.cashier(shop, display_name="小王")
    make.offer(shop, title="全单9折", kind="percent_off", value=10)
    make.offer(shop, title="满100减20", kind="amount_off", value=2000, min_spend=10000, limit_per_member=1,
               limit_period="day")
    card = make_member(name="张建国", category="veteran")

    page.goto(f"{live_server}/v/{card.card_no}")
    shot(page, "1-public")
    assert "张" not in page.inner_text("main")
    page.get_by_role("link", name="店员登录后查看").click()
    page.get_by_label("用户名").fill(cashier.username)
    page.get_by_label("密码").fill(make.password)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(re.compile(rf"/v/{card.card_no}$"))
    main = page.inner_text("main")
    assert "有效" in main and "张*国" in main and "退役军人" in main and card.card_no[-4:] in main
    assert "今天还可用 1 次" in main
    page.get_by_text("全单9折").click()
    page.get_by_label("消费金额（元）").fill("128.85")
    shot(page, "2-valid")
    page.get_by_role("button", name="确认核销").click()

    page.wait_for_url(re.compile(r"/shop/redemptions/\d+$"))
    shot(page, "3-receipt")
    receipt = page.inner_text("main")
    assert "核销成功" in receipt and "¥12.89" in receipt and "¥115.96" in receipt  # 12.885 rounds half up

    page.get_by_role("link", name="今日核销记录").click()
    page.wait_for_url(re.compile(r"/shop/today$"))
    shot(page, "4-today")
    assert page.inner_text("#total-count") == "1"
    assert page.inner_text("#total-discount") == "¥12.89"
    assert "全单9折" in page.inner_text(".redemption-list") and "−¥12.89" in page.inner_text(".redemption-list")

    page.goto(f"{live_server}/scan")
    shot(page, "5-scan")
    assert page.get_by_role("heading", name="输入号码").is_visible()


def sign_in_at(page, base, user, password):
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/shop$"))


class TestCamera:
    """The in-app scanner with Chromium's fake camera playing a QR code (no BarcodeDetector on Linux,
    so the frames go to the server, as on iOS Safari)."""

    @pytest.fixture
    def chromium_args(self, tmp_path):
        self.url_in_qr = "https://yj.example.cn/v/880077770001"
        video = qr_video(tmp_path / "qr.y4m", self.url_in_qr)
        return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={video}"]

    def test_camera_scan_opens_the_result_page(self, make, live_server, page):
        shop = make.shop()
        cashier = make.cashier(shop)
        make.offer(shop)
        make_member(name="李卫国", category="family", card_no="880077770001")
        sign_in_at(page, live_server, cashier, make.password)
        page.goto(f"{live_server}/scan")
        page.get_by_role("button", name="打开摄像头扫码").click()
        page.wait_for_url(re.compile(r"/v/880077770001$"), timeout=20_000)
        shot(page, "camera-result")
        assert "有效" in page.inner_text("main") and "李*国" in page.inner_text("main")


def test_photo_upload_opens_the_result_page(make, live_server, page, tmp_path):
    import qrcode

    shop = make.shop()
    cashier = make.cashier(shop)
    card = make_member(name="赵强", category="active_duty")
    picture = tmp_path / "photo.png"
    qrcode.make(f"https://yj.example.cn/v/{card.card_no}").save(picture)
    sign_in_at(page, live_server, cashier, make.password)
    page.goto(f"{live_server}/scan")
    page.set_input_files("#photo", str(picture))  # the page sends a chosen photo at once
    page.wait_for_url(re.compile(rf"/v/{card.card_no}$"))
    assert "有效" in page.inner_text("main") and "现役军人" in page.inner_text("main")
