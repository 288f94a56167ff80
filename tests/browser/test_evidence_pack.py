"""A coordinator on a phone taps 生成证据包 on the statistics page, watches the progress bar, and gets the ZIP
(Chromium via Playwright, the pack built in a thread of the server as in production)."""
import os
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from baiye.clock import local_date, utcnow
from tests.factories import Factory
from tests.reports.helpers import log_redemption, make_member
from tests.browser.conftest import sign_in

# Where the screenshots are kept for a look (SCREENSHOTS=dir), else the test's own temporary folder.
SHOTS = os.environ.get("SCREENSHOTS")


@pytest.fixture
def config(config):
    return config | {"EVIDENCE_PACK_THREAD": True}


def seed(app):
    with app.test_request_context():
        make = Factory()
        make.coordinator(username="coord")
        shops = [make.shop(name="老兵面馆", street="chengguan", industry="catering"),
                 make.shop(name="惠民超市", street="dongcheng", industry="retail")]
        offers = [make.offer(shop, starts_on=datetime(2026, 1, 1).date()) for shop in shops]
        member = make_member("veteran", created_at=datetime(2026, 1, 1))
        today = local_date(utcnow())
        for n in range(12):
            log_redemption(shops[n % 2], offers[n % 2], member, bill=8000 + 100 * n, discount=800 + 10 * n,
                           day=today - timedelta(days=n))


def test_coordinator_builds_and_downloads_the_evidence_pack(live_server, page, tmp_path):
    url, app = live_server, live_server.app
    shots = Path(SHOTS) if SHOTS else tmp_path
    seed(app)
    sign_in(page, url, "coord", "/admin/stats")
    button = page.locator("#evidence-pack")
    assert button.inner_text() == "生成证据包" and button.is_visible()
    box = button.bounding_box()
    assert box["height"] >= 44 and box["x"] + box["width"] <= 390  # a finger's target, on the screen
    page.screenshot(path=str(shots / "evidence-dashboard.png"))

    with page.expect_download(timeout=60_000) as info:  # the page polls, then downloads by itself
        button.click()
        page.wait_for_url("**/admin/evidence-pack?from=*")
        assert page.locator("h1").inner_text() == "考评证据包"
        assert page.locator("#pack-progress").is_visible()
        page.screenshot(path=str(shots / "evidence-progress.png"))
    assert page.locator("#pack-progress").get_attribute("value") == "100"
    assert page.locator("#pack-download").is_visible() and "已生成" in page.locator("#pack-step").inner_text()
    page.screenshot(path=str(shots / "evidence-done.png"))
    target = tmp_path / "pack.zip"
    info.value.save_as(target)
    assert info.value.suggested_filename.startswith("百业千店证据包-") and info.value.suggested_filename.endswith(".zip")
    names = zipfile.ZipFile(target).namelist()
    assert "索引.txt" in names and "统计数据.xlsx" in names and "ledger/checkpoint.txt" in names

    # Coming back to the page later (a bookmark, the back button, a reload) does not download the pack again (each
    # download is in the audit log): the button is there for whoever wants it.
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    page.reload()
    page.wait_for_timeout(2000)
    assert not downloads
    assert "请点下面的按钮下载" in page.locator("#pack-done").inner_text() and page.locator("#pack-download").is_visible()
