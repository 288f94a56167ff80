"""Screenshot pages at a phone viewport (390x844) for a look: python scripts/screenshots.py [BASE] [OUT].

Signs in with the demo accounts (`flask --app wsgi demo`) and saves one PNG per page.
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
PAGES = {
    None: ["/", "/shops", "/shops/1", "/shops/register", "/login"],
    "demo-owner": ["/shop", "/shop/offers/new", "/shop/staff"],
    "demo-coordinator": ["/admin/shops", "/admin/shops?status=approved"],
}


def main():
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for user, paths in PAGES.items():
            context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
            page = context.new_page()
            if user:
                page.goto(BASE + "/login")
                page.fill("#username", user)
                page.fill("#password", "demo2026")
                page.click("button[type=submit]")
            for path in paths:
                page.goto(BASE + path)
                name = (user or "public") + path.replace("/", "_").replace("?", "_") + ".png"
                page.screenshot(path=str(OUT / name), full_page=True)
                print(OUT / name)
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
