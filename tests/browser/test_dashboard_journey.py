"""A coordinator opens the dashboard, filters by a street and downloads the XLSX (Chromium via Playwright)."""
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from baiye.clock import local_date, utcnow
from tests.factories import Factory

from tests.reports.helpers import log_redemption, make_member

@pytest.fixture
def context(browser):
    """A phone that accepts downloads (the shared fixture's settings plus accept_downloads)."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True, locale="zh-CN",
                              is_mobile=True, has_touch=True)
    yield ctx
    ctx.close()


def seed(app):
    with app.test_request_context():
        make = Factory()
        make.coordinator(username="coord")
        west = make.shop(name="西城面馆", street="xicheng", industry="catering")
        east = make.shop(name="东城超市", street="dongcheng", industry="retail")
        start = date(2026, 1, 1)
        offers = {s.id: make.offer(s, starts_on=start) for s in (west, east)}
        member = make_member("veteran", created_at=datetime(2026, 1, 1))
        today = local_date(utcnow())
        for shop, bill in ((west, 10000), (east, 25000), (east, 5000)):
            log_redemption(shop, offers[shop.id], member, bill=bill, discount=bill // 10, day=today - timedelta(days=1))


def test_filter_by_street_and_download_xlsx(live_server, page, tmp_path):
    url, app = live_server, live_server.app
    seed(app)
    page.goto(f"{url}/login?next=/admin/stats")
    page.fill("#username", "coord")
    page.fill("#password", Factory.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/admin/stats")
    assert page.locator("h1").inner_text() == "统计与考评"
    assert page.locator(".figure .value").first.inner_text() == "3"

    page.select_option("#f-street", "dongcheng")
    page.click("text=查看统计")
    page.wait_for_url("**street=dongcheng**")
    assert page.locator(".figure .value").first.inner_text() == "2"
    assert "东城街道" in page.locator(".period").inner_text()
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=False)

    with page.expect_download() as info:
        page.click('a[data-export="street"]')
    target = tmp_path / "street.xlsx"
    info.value.save_as(target)
    sheet = load_workbook(target).active
    assert "按街道" in sheet["A1"].value and "东城街道" in sheet["A2"].value
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4, max_row=4)]
    assert rows[0][:4] == ["dongcheng", "东城街道", 2, 1] and rows[0][4:] == [300.0, 30.0]
