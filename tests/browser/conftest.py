"""Shared browser fixtures: a live server built from a config dict, and Chromium at a phone viewport.

    def test_x(live_server, page):            # live_server is the base URL (a str) ...
        with live_server.app.app_context():   # ... and carries the app, to seed data
            ...
        page.goto(live_server + "/")

The server runs the test's own app (the `app` fixture), so `make` seeds it directly. Change
settings by overriding `config` in a test module, e.g. `return config | {"PHONE_CODE_STEP_SECONDS": 2}`.
Browser tests always run on SQLite.
"""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.factories import Factory


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test in tests/browser is a browser test, skipped cleanly where Chromium is missing."""
    missing = not os.path.exists(CHROMIUM)
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing (apt-get install chromium)")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(skip)


class LiveServer(str):
    """The base URL, with the app (`.app`) for seeding data in an app context."""

    app = None


@pytest.fixture
def config(config, tmp_path):
    """Browser tests: real CSRF, the request's own origin in QR URLs, plain-http cookies; always SQLite."""
    return config | {"DATABASE_URL": f"sqlite:///{tmp_path / 'live.db'}", "WTF_CSRF_ENABLED": True,
                     "BASE_URL": None, "SECURE_COOKIES": False}


@pytest.fixture
def live_server(app):
    """The test's app (and so its database: `make` works) served on a free port of 127.0.0.1 in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = LiveServer(f"http://127.0.0.1:{server.server_port}")
    url.app = app
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def chromium_args():
    """Extra Chromium switches; a test module may add some (a fake camera, say)."""
    return []


@pytest.fixture
def browser(chromium_args):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + chromium_args)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser):
    """A fresh phone: 390x844, zh-CN, Beijing time, touch; it keeps what it downloads (exports, evidence packs)."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", timezone_id="Asia/Shanghai",
                              is_mobile=True, has_touch=True, device_scale_factor=2, accept_downloads=True)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def sign_in(page, base, username, then):
    """Sign in through the page as `username` (the factories' password) and land on the path `then`."""
    page.goto(f"{base}/login?next={then}")
    page.fill("#username", username)
    page.fill("#password", Factory.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{then}")
