"""A coordinator opens the dashboard, filters by a street and downloads the XLSX (Chromium via Playwright)."""
import os
import threading
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from baiye import create_app
from baiye.clock import local_date, utcnow
from baiye.extensions import db
from tests.factories import Factory

from .helpers import log_redemption, make_member

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed at /usr/bin/chromium")]


@pytest.fixture
def live_server(tmp_path):
    """The app on 127.0.0.1 (free port) in a thread, over its own SQLite file; yields (url, app)."""
    from werkzeug.serving import make_server

    app = create_app({"TESTING": True, "SECRET_KEY": "browser-test", "DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}",
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser_page():
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True, locale="zh-CN")
        yield context.new_page()
        context.close()
        browser.close()


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


def test_filter_by_street_and_download_xlsx(live_server, browser_page, tmp_path):
    url, app = live_server
    seed(app)
    page = browser_page
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
