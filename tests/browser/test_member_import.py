"""A coordinator downloads the member import template on a phone, fills it in, and uploads it (Chromium)."""
from openpyxl import load_workbook

from baiye.extensions import db
from tests.factories import Factory, id_number_for
from tests.browser.conftest import sign_in
from verification.members.models import Member


def test_template_round_trip(live_server, browser, tmp_path):
    url, app = live_server, live_server.app
    with app.test_request_context():
        Factory().coordinator(username="coord")
    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, url, "coord", "/admin/members/import")
        with page.expect_download() as info:
            page.click('a[data-template="xlsx"]')
        template = tmp_path / info.value.suggested_filename
        info.value.save_as(template)
        assert template.name == "members-template.xlsx"
        book = load_workbook(template)
        sheet = book.active
        assert [c.value for c in sheet[1]] == ["姓名", "类别", "身份证号", "手机号", "有效期至"]
        example = [c.value for c in sheet[2]]
        assert example[:2] == ["张三（示例）", "退役军人"] and len(example[2]) == 18

        # The coordinator keeps the example row, adds two people with the short category names, and a typo.
        sheet.append(["王建国", "退役", id_number_for(901), "13900000001", example[4]])
        sheet.append(["李秀英", "烈属", id_number_for(902), None, example[4]])
        sheet.append(["赵铁柱", "退伍", id_number_for(903), None, example[4]])
        book.save(template)
        page.set_input_files("input[type=file]", str(template))
        page.get_by_role("button", name="检查并导入").click()
        report = page.locator("table.bad-rows")
        assert report.is_visible()
        text = report.inner_text()
        assert "赵铁柱" in text and "退伍" in text and "类别" in text and "烈士遗属（烈属）" in text
        page.screenshot(path=str(tmp_path / "import-bad-rows.png"), full_page=True)

        sheet.delete_rows(5)
        book.save(template)
        page.set_input_files("input[type=file]", str(template))
        page.get_by_role("button", name="检查并导入").click()
        page.wait_for_url("**/admin/members?imported=*")
        assert "已导入 2 名优待对象" in page.locator("body").inner_text()
    finally:
        context.close()
    with app.app_context():
        assert sorted((m.name, m.category) for m in db.session.query(Member)) == [
            ("李秀英", "martyr_family"), ("王建国", "veteran")]
