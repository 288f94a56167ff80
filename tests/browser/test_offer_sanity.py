"""An owner types 立减 ¥120 with 最低消费 ¥100 (meaning ¥20) on a phone: warned as they type, refused on saving."""
from shops.models import Offer
from tests.factories import Factory
from tests.browser.conftest import sign_in


def test_amount_off_against_the_minimum_spend(live_server, page, tmp_path):
    url, app = live_server, live_server.app
    with app.test_request_context():
        shop = Factory().shop(name="老兵面馆")
        owner = shop.owner.username
    sign_in(page, url, owner, "/shop/offers/new")

    page.get_by_label("优惠名称").fill("满100减20")
    page.get_by_text("立减", exact=True).click()
    page.get_by_label("最低消费（元，可选）").fill("100")
    warning = page.locator("#amount-warning")
    page.get_by_label("立减金额（元）").fill("60")
    assert warning.is_visible() and "已是最低消费（¥100.00）的60%" in warning.inner_text()
    page.get_by_label("立减金额（元）").fill("20")
    assert not warning.is_visible()

    page.get_by_label("立减金额（元）").fill("120")
    page.get_by_role("button", name="保存").click()
    error = page.locator("#field-amount .error")
    assert "应低于最低消费（¥100.00）" in error.inner_text()
    page.screenshot(path=str(tmp_path / "offer-refused.png"), full_page=True)
    with app.app_context():
        assert Offer.query.count() == 0

    page.get_by_label("立减金额（元）").fill("20")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/shop")
    with app.app_context():
        assert [(o.value, o.min_spend) for o in Offer.query] == [(2000, 10000)]
