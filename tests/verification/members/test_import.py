"""Spreadsheet import: all or nothing, bad rows reported by row number (the header is row 1)."""
import csv
import io
import time
from datetime import date, timedelta

import pytest
from openpyxl import Workbook

from baiye.audit import AuditEntry
from baiye.clock import local_date, utcnow
from baiye.errors import DomainError
from baiye.extensions import db
from verification.members.imports import read_rows
from verification.members.models import Credential, Member
from verification.members.services import import_members
from verification.tokens import card_no_valid

from ...conftest import assert_error
from ...factories import id_number_for

HEADER = ["name", "category", "id_number", "phone", "expires_on"]


def future(days=365):
    return (local_date(utcnow()) + timedelta(days=days)).isoformat()


def csv_bytes(rows, header=HEADER, encoding="utf-8"):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=HEADER):
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def person(n, **overrides):
    row = {"name": f"测试{n}", "category": "veteran", "id_number": id_number_for(n), "phone": "13900000000",
           "expires_on": future()}
    row.update(overrides)
    return [row[c] for c in HEADER]


@pytest.fixture
def coord(api, make):
    return api.as_(make.coordinator())


def upload(coord, content, filename="members.csv"):
    return coord.post("/members/import", data={"file": (io.BytesIO(content), filename)},
                      content_type="multipart/form-data")


def test_csv_import_creates_members_with_credentials(coord):
    rows = [person(i) for i in range(1, 6)]
    response = upload(coord, csv_bytes(rows))
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 5
    assert db.session.query(Member).count() == 5
    credentials = db.session.query(Credential).all()
    assert len(credentials) == 5 and all(c.status == "active" and card_no_valid(c.card_no) for c in credentials)
    assert len({c.public_id for c in credentials}) == 5
    entry = db.session.query(AuditEntry).filter_by(action="member.import").one()
    assert entry.detail["created"] == 5


def test_bad_rows_are_listed_and_nothing_is_created(coord, make):
    existing = make.member(id_number=id_number_for(50))
    good = person(1)
    typo = id_number_for(2)
    typo = typo[:-1] + ("0" if typo[-1] != "0" else "1")
    rows = [good,                                   # row 2
            person(2, id_number=typo),              # row 3: check character
            person(3, category="平民"),              # row 4: category
            person(1, name="重复"),                  # row 5: repeats row 2's ID
            person(4, expires_on="明年"),            # row 6: date
            person(50),                             # row 7: already enrolled
            person(6, phone="123"),                 # row 8: phone
            person(7, name="")]                     # row 9: name
    response = upload(coord, csv_bytes(rows))
    error = assert_error(response, 422, "invalid_rows")
    by_row = {r["row"]: r["fields"] for r in error["rows"]}
    assert sorted(by_row) == [3, 4, 5, 6, 7, 8, 9]
    assert set(by_row[3]) == {"id_number"} and set(by_row[4]) == {"category"}
    assert "第 2 行" in by_row[5]["id_number"][0]
    assert set(by_row[6]) == {"expires_on"} and "已登记" in by_row[7]["id_number"][0]
    assert set(by_row[8]) == {"phone"} and set(by_row[9]) == {"name"}
    assert db.session.query(Member).count() == 1  # only the one enrolled before
    assert existing.id


def test_xlsx_import_with_chinese_headers_labels_and_dates(coord):
    header = ["姓名", "类别", "身份证号", "手机号", "有效期至"]
    rows = [["张三", "退役军人", id_number_for(11), 13900000001, date.fromisoformat(future(730))],
            ["李四", "军属", id_number_for(12), None, future().replace("-", "/")],
            [None, None, None, None, None]]  # blank rows at the end are ignored
    response = upload(coord, xlsx_bytes(rows, header), "名单.xlsx")
    assert response.status_code == 200, response.get_json()
    members = db.session.query(Member).order_by(Member.id).all()
    assert [(m.name, m.category, m.phone) for m in members] == [
        ("张三", "veteran", "13900000001"), ("李四", "family", None)]


def test_gbk_and_bom_csv(coord):
    rows = [person(21, name="王建国")]
    assert upload(coord, csv_bytes(rows, encoding="gbk")).status_code == 200
    rows = [person(22, name="赵铁柱")]
    assert upload(coord, b"\xef\xbb\xbf" + csv_bytes(rows)).status_code == 200
    assert {m.name for m in db.session.query(Member)} == {"王建国", "赵铁柱"}


def test_unreadable_files(coord):
    assert_error(upload(coord, b"", "x.csv"), 422, "validation_error")
    error = assert_error(upload(coord, b"name,phone\n\xe5\xbc\xa0,1\n"), 422, "validation_error")
    assert "表头缺少：类别（category）" in error["fields"]["file"][0]
    assert_error(upload(coord, b"PK\x03\x04not really a zip", "x.xlsx"), 422, "validation_error")
    assert_error(upload(coord, b"%PDF-1.4", "x.pdf"), 422, "validation_error")
    assert_error(upload(coord, csv_bytes([])), 422, "validation_error")
    assert_error(coord.post("/members/import", data={}, content_type="multipart/form-data"), 422, "validation_error")
    assert db.session.query(Member).count() == 0


def test_ten_thousand_rows_in_under_ten_seconds(app, make):
    actor = make.coordinator()
    rows = [person(100_000 + i) for i in range(10_000)]
    content = csv_bytes(rows)
    started = time.perf_counter()
    with app.test_request_context():
        ids = import_members(read_rows("big.csv", content), actor)
    elapsed = time.perf_counter() - started
    assert len(ids) == 10_000
    assert db.session.query(Credential).filter_by(status="active").count() == 10_000
    assert elapsed < 10, elapsed


def test_service_refuses_empty_import(app, make):
    with app.test_request_context(), pytest.raises(DomainError) as caught:
        import_members([], make.coordinator())
    assert caught.value.status == 422


def test_chinese_categories_import_from_the_english_page(coord):
    rows = [person(1, category="退役军人"), person(2, category="军属"), person(3, category="Veteran")]
    response = coord.post("/members/import?lang=en", data={"file": (io.BytesIO(csv_bytes(rows)), "m.csv")},
                          content_type="multipart/form-data", headers={"Accept-Language": "en"})
    assert response.status_code == 200, response.get_json()
    assert sorted(m.category for m in db.session.query(Member)) == ["family", "veteran", "veteran"]


def test_short_and_full_category_names(coord):
    names = ["现役", "军属", "退役", "烈属", "现役军人", "退役军人", "烈士遗属", "烈士家属"]
    rows = [person(300 + i, category=name) for i, name in enumerate(names)]
    response = upload(coord, csv_bytes(rows))
    assert response.status_code == 200, response.get_json()
    assert [m.category for m in db.session.query(Member).order_by(Member.id)] == [
        "active_duty", "family", "veteran", "martyr_family", "active_duty", "veteran", "martyr_family",
        "martyr_family"]


def test_bad_rows_name_the_person_and_repeat_the_value(coord):
    rows = [person(1, name="王小明", category="退伍"), person(2, name="李红", category=""),
            person(3, name="赵四", phone="123")]
    error = assert_error(upload(coord, csv_bytes(rows)), 422, "invalid_rows")
    first, second, third = error["rows"]
    assert (first["row"], first["name"], first["values"]) == (2, "王小明", {"category": "退伍"})
    assert first["fields"]["category"] == [
        "“退伍”不是优待对象类别，可填：现役军人（现役）、军属、退役军人（退役）、烈士遗属（烈属）。"]
    assert second["fields"]["category"][0].startswith("请填写类别，可填：现役军人（现役）")
    assert (third["name"], third["values"]) == ("赵四", {"phone": "123"})


def test_the_template_imports_and_its_example_row_is_skipped(client, app, make):
    from verification.members.imports import EXAMPLE_ID, read_sheet, template_file

    with app.test_request_context():
        for fmt in ("csv", "xlsx"):
            name, _mimetype, content = template_file(fmt, date(2026, 12, 6))
            assert name == f"members-template.{fmt}"
            sheet = read_sheet(name, content)
            assert sheet.headings == {"name": "姓名", "category": "类别", "id_number": "身份证号", "phone": "手机号",
                                      "expires_on": "有效期至"}
            assert sheet.rows == []  # the example is not a member
    assert len(EXAMPLE_ID) == 18
