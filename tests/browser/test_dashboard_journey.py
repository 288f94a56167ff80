"""A coordinator opens the dashboard, filters by a street and downloads the XLSX (Chromium via Playwright)."""
from datetime import date, datetime, timedelta

from openpyxl import load_workbook

from baiye.clock import local_date, utcnow
from tests.factories import Factory
from tests.reports.helpers import log_redemption, make_member
from tests.browser.conftest import sign_in


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
    sign_in(page, url, "coord", "/admin/stats")
    assert page.locator("h1").inner_text() == "统计与考评"
    assert page.locator(".figure .value").first.inner_text() == "3"

    page.select_option("#f-street", "dongcheng")
    page.click("text=查看统计")
    page.wait_for_url("**street=dongcheng**")
    assert page.locator(".figure .value").first.inner_text() == "2"
    assert "东城街道" in page.locator(".period").inner_text()
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=False)
    # Chart text is drawn in the SVG's own units: what counts is its size on the screen.
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('svg.chart text')].map(
        t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a))""")
    assert smallest >= 12, smallest
    # The day-by-day table waits behind a tap on a phone; the chart shows the period at a glance.
    fold = page.locator("#trend-day details.table-fold")
    assert not fold.get_attribute("open") and not page.locator("#trend-day table").is_visible()
    fold.locator("summary").click()
    assert page.locator("#trend-day table").is_visible()

    with page.expect_download() as info:
        page.click('a[data-export="street"]')
    target = tmp_path / "street.xlsx"
    info.value.save_as(target)
    sheet = load_workbook(target).active
    assert "按街道" in sheet["A1"].value and "东城街道" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == ["街道/乡镇", "核销笔数", "服务人数", "消费金额（元）", "让利金额（元）"]
    assert [c.value for c in sheet[4]] == ["东城街道", 2, 1, 300.0, 30.0]
    assert sheet["D4"].number_format == "#,##0.00"
    assert info.value.suggested_filename.startswith("stats-street-") and "-dongcheng.xlsx" in info.value.suggested_filename

    # The CSV an inspector opens in Excel: the same numbers, in yuan with two decimals, under Chinese headings.
    with page.expect_download() as info:
        page.locator('#group-street a:text("CSV")').click()
    target = tmp_path / "street.csv"
    info.value.save_as(target)
    text = target.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff街道/乡镇,核销笔数,服务人数,消费金额（元）,让利金额（元）\r\n")
    assert "东城街道,2,1,300.00,30.00" in text
    assert info.value.suggested_filename.endswith("-dongcheng.csv")
