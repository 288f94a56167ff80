"""A member's phone shares its position on the directory: the shops come nearest first, each with its distance,
a navigation link and a call link; an owner fills the shop's location from the phone while registering."""
from pathlib import Path

from playwright.sync_api import expect

from tests.factories import Factory, licence_no

HERE = {"latitude": 30.2741, "longitude": 120.1551}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"  # gitignored: for people to look at


def seed(app):
    with app.test_request_context():
        make = Factory()
        shops = {name: make.shop(name=name, lat=lat, lng=lng, phone=phone, street=street) for name, lat, lng, phone, street in (
            ("远处的老兵面馆", 30.2921, 120.1551, "13912345678", "chengguan"),   # 2.0 km north
            ("隔壁惠民超市", 30.2741, 120.1561, "0571-88886666", "dongcheng"),  # 96 m east
            ("街角理发店", 30.2791, 120.1551, "13800138000", "xicheng"),       # 556 m north
            ("没有定位的茶馆", None, None, "13700137000", "chengguan"))}
        for shop in shops.values():
            make.offer(shop, title="全单9折")
        make.offer(shops["街角理发店"], title="退役军人九五折", categories="veteran", value=5)


def distances(page):
    return page.locator(".shop-card").evaluate_all(
        "cards => cards.map(c => [c.querySelector('h2').innerText, c.querySelector('[data-distance-m]')?.dataset.distanceM ?? null])")


def test_directory_lists_nearest_first_once_the_phone_shares_its_position(live_server, context, page, tmp_path):
    seed(live_server.app)
    context.grant_permissions(["geolocation"], origin=live_server)
    context.set_geolocation(HERE)
    page.goto(live_server + "/shops?category=family")
    before = distances(page)
    assert len(before) == 4 and {distance for _, distance in before} == {None}  # by name, no distances yet
    page.get_by_role("button", name="按距离排序（使用我的位置）").click()
    page.wait_for_url(lambda url: "near=30.27410%2C120.15510" in url)
    assert distances(page) == [["隔壁惠民超市", "96"], ["街角理发店", "556"], ["远处的老兵面馆", "2002"],
                               ["没有定位的茶馆", None]]
    first = page.locator(".shop-card").first
    assert first.get_by_text("距您 96 米").is_visible()
    assert page.locator(".shop-card").nth(2).get_by_text("距您 2.0 公里").is_visible()
    navigate = first.get_by_role("link", name="一键导航")
    assert navigate.get_attribute("href").startswith("https://uri.amap.com/marker?position=120.1561%2C30.2741&name=")
    assert first.get_by_role("link", name="打电话给隔壁惠民超市").get_attribute("href") == "tel:0571-88886666"
    assert page.locator(".shop-card").last.get_by_role("link", name="一键导航").count() == 0
    # the category filter keeps to its category's offers, and filtering again keeps the position
    assert page.get_by_text("退役军人九五折").count() == 0
    page.get_by_role("button", name="筛选").click()
    assert "near=30.27410" in page.url and distances(page)[0] == ["隔壁惠民超市", "96"]
    # every tap target a finger's size, no text under 14 px, nothing wider than the phone
    found = page.evaluate((Path(__file__).parent / "phone_layout.js").read_text())
    assert (found["small"], found["tiny"], found["wide"]) == ([], [], [])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(tmp_path / "near-me.png"))
    page.screenshot(path=str(SCREENSHOTS / "directory-near-me-390x844.png"))


def test_owner_fills_the_shops_location_from_the_phone_while_registering(live_server, context, page):
    context.grant_permissions(["geolocation"], origin=live_server)
    context.set_geolocation(HERE)
    page.goto(live_server + "/shops/register")
    page.get_by_label("店铺名称").fill("军嫂饺子馆")
    page.get_by_label("行业").select_option("catering")
    page.get_by_label("所在街道/乡镇").select_option("dongcheng")
    page.get_by_label("详细地址").fill("东城街道八一路12号")
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_label("营业执照号").fill(licence_no())
    page.get_by_role("button", name="使用我的当前位置").click()
    expect(page.get_by_text("已填入当前位置")).to_be_visible()  # the phone answers after the click returns
    assert (page.get_by_label("纬度").input_value(), page.get_by_label("经度").input_value()) == ("30.274100", "120.155100")
    page.get_by_label("店主登录用户名").fill("jiaozi")
    page.get_by_label("登录密码").fill("dumpling88")
    page.get_by_role("button", name="提交登记").click()
    page.wait_for_url("**/shop")
    with live_server.app.app_context():
        from shops.models import Shop
        from baiye.extensions import db

        assert db.session.query(Shop).one().location == {"lat": 30.2741, "lng": 120.1551}
