"""A shop registers on a phone, a coordinator approves it, an offer is added, and it is listed."""
from baiye.accounts.services import create_user
from baiye.extensions import db
from tests.factories import licence_no


def test_register_approve_offer_directory(live_server, page, tmp_path):
    server = live_server
    with server.app.app_context():
        create_user("coord", "secret123", "coordinator")
        db.session.commit()
    licence = licence_no()
    page.goto(server + "/")
    page.get_by_role("link", name="商户入驻登记").first.click()
    page.get_by_label("店铺名称").fill("老兵面馆")
    page.get_by_label("行业").select_option("catering")
    page.get_by_label("所在街道/乡镇").select_option("dongcheng")
    page.get_by_label("详细地址").fill("东城街道八一路12号")
    page.get_by_label("联系电话").fill("13912345678")
    page.get_by_label("营业执照号").fill(licence)
    page.get_by_label("店主登录用户名").fill("laobing")
    page.get_by_label("登录密码").fill("noodles2026")
    page.get_by_role("button", name="提交登记").click()
    page.wait_for_url("**/shop")
    assert page.get_by_text("待审核").first.is_visible()

    # the owner adds an offer while waiting
    page.get_by_role("link", name="添加优惠").click()
    page.get_by_label("优惠名称").fill("全单9折")
    page.get_by_label("折扣（如 9 表示九折").fill("9")
    page.get_by_label("退役军人").check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/shop")
    assert page.get_by_text("全单9折").is_visible()
    page.screenshot(path=str(tmp_path / "owner.png"), full_page=True)
    page.get_by_role("button", name="退出").click()

    # not in the directory yet
    page.goto(server + "/shops")
    assert page.get_by_text("老兵面馆").count() == 0

    # a coordinator approves it
    page.goto(server + "/login")
    page.get_by_label("用户名").fill("coord")
    page.get_by_label("密码").fill("secret123")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/admin/shops")
    page.get_by_role("link", name="老兵面馆").click()
    page.get_by_role("button", name="通过").click()
    page.wait_for_url("**/admin/shops")
    page.get_by_role("button", name="退出").click()

    # now anyone finds it, filtered by street and category
    page.goto(server + "/shops")
    page.get_by_label("街道/乡镇").select_option("dongcheng")
    page.get_by_label("优待对象").select_option("veteran")
    page.get_by_role("button", name="筛选").click()
    page.locator("a.shop-link", has_text="老兵面馆").click()  # not its call button, also named for the shop
    assert page.get_by_text("全单9折").is_visible()
    assert page.get_by_text("9折", exact=True).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing overflows a phone
