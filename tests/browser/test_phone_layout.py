"""Every main page at 390x844, in Chinese and English: nothing a finger taps under 44 px, no text under 14 px,
nothing wider than the screen, no table scrolling sideways in its card, no select cutting an option off, chart text at
least 12 px on screen."""
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from baiye.clock import local_date, utcnow
from baiye.extensions import db
from ledger import services as ledger_services
from tests.factories import Factory, id_number_for
from tests.reports.helpers import log_redemption, make_member
from verification.members import services as member_services

MEASURE = (Path(__file__).parent / "phone_layout.js").read_text()
PAGES = {
    None: ["/", "/shops", "/shops?near=30.2741,120.1551", "/shops/{shop}", "/shops/register", "/login", "/public", "/ledger",
           "/v/{card}", "/api/docs"],
    "owner": ["/v/{card}", "/scan", "/shop", "/shop/edit", "/shop/offers/new", "/shop/offers/{offer}/edit", "/shop/staff",
              "/shop/today", "/shop/history", "/shop/redemptions/{redemption}", "/shops/{shop}/photos"],
    "coordinator": ["/admin/shops", "/admin/shops?status=approved", "/admin/shops/{shop}", "/admin/stats",
                    "/admin/stats/report", "/admin/members", "/admin/members/new", "/admin/members/{member}",
                    "/admin/members/{member}/edit", "/admin/members/import", "/admin/members/print?ids={member}",
                    "/admin/audit", "/admin/evidence-pack?from={month_ago}&to={today}"],
    "member": ["/me", "/me?near=30.2741,120.1551"],  # signed in by its activation link, whose page is measured too
}


def seed(app):
    """A small network with a month of redemptions, so the tables and charts have rows."""
    with app.test_request_context():
        make = Factory()
        make.coordinator(username="coord")
        shops = [make.shop(name=name, street=street, industry=industry, lat=lat, lng=lng)
                 for name, street, industry, lat, lng in (
            ("老兵面馆", "chengguan", "catering", 30.2751, 120.1551), ("惠民超市", "dongcheng", "retail", 30.2841, 120.16),
            ("康复理疗中心", "xicheng", "health", None, None))]
        # Shops without redemptions: one approved long ago, one just now (the dashboard's two inactive tables).
        make.shop(name="老街茶馆", street="chengguan", approved_at=utcnow() - timedelta(days=400))
        make.shop(name="军嫂饺子馆", street="dongcheng", approved_at=utcnow())
        owner = shops[0].owner.username
        offers = [make.offer(shop, starts_on=date(2026, 1, 1)) for shop in shops]
        make.offer(shops[0], title="满100减20", kind="amount_off", value=2000, min_spend=10000, starts_on=date(2026, 1, 1))
        make.cashier(shops[0], username="cashier1", display_name="小王")
        members = [make_member(c, created_at=datetime(2026, 1, 1)) for c in ("veteran", "family", "active_duty")]
        today = local_date(utcnow())
        for n in range(40):
            i = n % 3
            log_redemption(shops[i], offers[i], members[n % 3], bill=5000 + 137 * n, discount=500 + 13 * n,
                           day=today - timedelta(days=n % 30))
        card = make.member(name="王建国").credentials[0].card_no  # enrolled through the service: a card the till takes
        redemption = log_redemption(shops[0], offers[0], members[0], bill=8800, discount=880)
        member, _credential, activation = member_services.enrol_member(dict(
            name="李秀英", category="family", id_number=id_number_for(4242), phone="13900000001",
            expires_on=today + timedelta(days=365), station=None), None)
        db.session.commit()
        ledger_services.checkpoint()  # two checkpoints: the ledger's page shows the latest and the one before
        ledger_services.checkpoint()
        return {"shop": shops[0].id, "offer": offers[0].id, "card": card, "today": today.isoformat(),
                "month_ago": (today - timedelta(days=29)).isoformat(), "redemption": redemption.id,
                "member": member.id, "activation": activation}, owner


def problems(page):
    found = page.evaluate(MEASURE)
    charts = page.evaluate("""() => [...document.querySelectorAll('svg.chart text')].map(
        t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a).filter(s => s < 12)""")
    return {k: v for k, v in {"small targets": found["small"], "small text": found["tiny"], "too wide": found["wide"],
                              "tables scrolling sideways": found["scrolls"], "chart text": charts,
                              "selects cutting an option off": found["cut"],
                              "page width": [found["scrollWidth"]] if found["scrollWidth"] > found["vw"] else []
                              }.items() if v}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_main_pages_fit_a_phone(live_server, browser, lang, tmp_path):
    url, app = live_server, live_server.app
    ids, owner = seed(app)
    found = {}
    for role, paths in PAGES.items():
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                      has_touch=True, device_scale_factor=1)
        page = context.new_page()
        try:
            if role == "member":
                page.goto(f"{url}/activate/{ids['activation']}?lang={lang}")
                bad = problems(page)
                if bad:
                    found["member /activate"] = bad
                page.locator("form button[type=submit]").click()
                page.wait_for_url("**/me")
            elif role:
                page.goto(f"{url}/login")
                page.fill("#username", {"owner": owner, "coordinator": "coord"}[role])
                page.fill("#password", Factory.password)
                page.get_by_role("button", name="登录").click()
                page.wait_for_load_state()
                assert "/login" not in page.url
            for path in paths:
                path = path.format(**ids)
                page.goto(url + path + ("&" if "?" in path else "?") + f"lang={lang}")
                page.screenshot(path=str(tmp_path / f"{lang}{path.replace('/', '_').replace('?', '_')}.png"),
                                full_page=True)
                bad = problems(page)
                if bad:
                    found[f"{role or 'public'} {path}"] = bad
            if role == "member":  # the near-me button lands on #nearby: its heading below the sticky header
                page.goto(f"{url}/me?near=30.2741,120.1551&lang={lang}#nearby")
                header = page.locator("header").first.bounding_box()
                heading = page.locator("#nearby h2").first.bounding_box()
                if heading["y"] < header["y"] + header["height"]:
                    found["member /me#nearby"] = {"heading under the sticky header": [heading["y"]]}
        finally:
            context.close()
    assert not found, "\n".join(f"{where}: {bad}" for where, bad in found.items())


def test_report_overview_reads_as_one_table_on_a_phone(live_server, browser):
    """The printable report's period stays on one line (not broken at a date's hyphen), and its overview's figures
    stand in one column, whatever the length of the names beside them."""
    url = live_server
    seed(live_server.app)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True, device_scale_factor=1)
    page = context.new_page()
    try:
        page.goto(f"{url}/login")
        page.fill("#username", "coord")
        page.fill("#password", Factory.password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        for lang in ("zh", "en"):
            page.goto(f"{url}/admin/stats/report?street=chengguan&lang={lang}")
            period = page.locator(".report-head .nowrap").bounding_box()
            line = float(page.locator(".report-head .nowrap").evaluate("e => getComputedStyle(e).lineHeight")[:-2])
            assert period["height"] < 1.5 * line, lang
            lefts = {round(box["x"]) for box in (cell.bounding_box() for cell in page.locator(".report-summary td").all())}
            assert len(lefts) == 1, (lang, lefts)
    finally:
        context.close()
