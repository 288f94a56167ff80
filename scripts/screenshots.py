"""Screenshot pages at a phone viewport (390x844), in Chinese and English, for a look:

    python scripts/screenshots.py [BASE] [OUT] [ACTIVATION_URL]

Signs in with the demo accounts (`flask --app wsgi demo`, which numbers its first shop, offer and member 1) and saves
one PNG per page and language, named `zh_demo-owner_shop.png` and the like. With the member's activation link that
`flask demo` prints, it also activates that phone and takes the member's own page (the link works once).
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
ACTIVATION = sys.argv[3] if len(sys.argv) > 3 else None
NEAR = "near=30.2741,120.1551"  # a position for the pages that list the nearest shops first
PAGES = {
    None: ["/", "/shops", "/shops?category=family", f"/shops?{NEAR}", "/shops/1", "/shops/register", "/login",
           "/public", "/ledger", "/api/docs"],
    "demo-owner": ["/shop", "/shop/edit", "/shop/offers/new", "/shop/offers/1/edit", "/shop/staff", "/scan",
                   "/shop/today", "/shop/history", "/shops/1/photos"],
    "demo-coordinator": ["/admin/shops", "/admin/shops?status=approved", "/admin/shops?status=all", "/admin/shops/1",
                         "/admin/stats", "/admin/stats?days=7", "/admin/stats/report", "/admin/members",
                         "/admin/members/new", "/admin/members/1", "/admin/members/1/edit", "/admin/members/import",
                         "/admin/members/print?ids=1", "/admin/audit", "/admin/evidence-pack"],
    "member": ["/me", f"/me?{NEAR}"],
}


def file_name(lang, user, path):
    return f"{lang}_{user or 'public'}{path}".translate(str.maketrans("/?=,&", "__---")) + ".png"


def main():
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for user, paths in PAGES.items():
            if user == "member" and not ACTIVATION:
                continue
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                          has_touch=True)
            page = context.new_page()
            if user == "member":
                page.goto(ACTIVATION)
                page.screenshot(path=str(OUT / file_name("zh", user, "/activate")), full_page=True)
                page.locator("form button[type=submit]").click()
                page.wait_for_url("**/me")
            elif user:
                page.goto(BASE + "/login")
                page.fill("#username", user)
                page.fill("#password", "demo2026")
                page.click("button[type=submit]")
                page.wait_for_load_state()
            for lang in ("zh", "en"):
                for path in paths:
                    page.goto(BASE + path + ("&" if "?" in path else "?") + f"lang={lang}")
                    target = OUT / file_name(lang, user, path)
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
