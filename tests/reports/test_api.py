import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from baiye.audit import AuditEntry
from baiye.clock import local_date
from baiye.extensions import db
from reports import services

from ..conftest import assert_error

OCT = {"from": "2026-10-01", "to": "2026-10-31"}


@pytest.fixture
def coordinator_api(api, make):
    return api.as_(make.coordinator())


@pytest.fixture
def october(network):
    network.log(0, 0, day=date(2026, 10, 3), bill=10000, discount=1000)
    network.log(0, 0, day=date(2026, 10, 4), bill=5000, discount=500)
    network.log(1, 2, day=date(2026, 10, 4), bill=20000, discount=2000)
    network.log(2, 3, day=date(2026, 10, 30), bill=8000, discount=800)
    network.void(network.log(2, 4, day=date(2026, 10, 30), bill=99900, discount=9900))
    network.log(2, 4, day=date(2026, 11, 2), bill=3000, discount=300)
    return network


def test_summary(coordinator_api, october):
    body = coordinator_api.get("/stats/summary", query_string=OCT).get_json()
    assert body["redemptions"] == 4 and body["beneficiaries"] == 3
    assert body["bill"] == 43000 and body["discount"] == 4300
    assert body["shops"] == {"approved": 3, "pending": 0, "suspended": 0, "rejected": 0}
    assert body["offers_active"] == 3 and body["members"] == 5


def test_summary_filters(coordinator_api, october):
    body = coordinator_api.get("/stats/summary", query_string={**OCT, "street": "chengguan"}).get_json()
    assert (body["redemptions"], body["beneficiaries"], body["discount"]) == (3, 2, 3500)
    assert body["shops"]["approved"] == 2
    body = coordinator_api.get("/stats/summary", query_string={"category": "veteran"}).get_json()
    assert (body["redemptions"], body["beneficiaries"]) == (2, 1)
    shop = october.shops[2].id
    body = coordinator_api.get("/stats/summary", query_string={"shop_id": shop}).get_json()
    assert (body["redemptions"], body["bill"]) == (2, 11000)


@pytest.mark.parametrize("by,keys", [
    ("street", ["chengguan", "dongcheng"]), ("industry", ["catering", "retail", "lodging"]),
    ("category", ["active_duty", "family", "veteran"]), ("month", ["2026-10"]),
    ("week", ["2026-W40", "2026-W44"]), ("day", ["2026-10-03", "2026-10-04", "2026-10-30"])])
def test_breakdown_adds_up(coordinator_api, october, by, keys):
    summary = coordinator_api.get("/stats/summary", query_string=OCT).get_json()
    rows = coordinator_api.get("/stats/breakdown", query_string={**OCT, "by": by}).get_json()["rows"]
    assert [r["key"] for r in rows if r["redemptions"]] == keys
    for field in ("redemptions", "bill", "discount"):
        assert sum(r[field] for r in rows) == summary[field]
    assert set(rows[0]) == {"key", "label", "redemptions", "beneficiaries", "bill", "discount"}


def test_breakdown_by_shop_labels_and_day_series(coordinator_api, october):
    rows = coordinator_api.get("/stats/breakdown", query_string={**OCT, "by": "shop"}).get_json()["rows"]
    assert [(r["label"], r["redemptions"], r["beneficiaries"]) for r in rows] == [
        ("老兵面馆", 2, 1), ("惠民超市", 1, 1), ("迎宾酒店", 1, 1)]
    days = coordinator_api.get("/stats/breakdown", query_string={**OCT, "by": "day"}).get_json()["rows"]
    assert len(days) == 31 and days[0]["key"] == "2026-10-01"  # quiet days are zero rows
    labels = coordinator_api.get("/stats/breakdown", query_string={**OCT, "by": "street"}).get_json()["rows"]
    assert labels[0]["label"] == "城关街道"


@pytest.mark.parametrize("args,field", [
    ({"from": "2026-13-01"}, "from"), ({"to": "yesterday"}, "to"),
    ({"from": "2026-10-05", "to": "2026-10-01"}, "from"), ({"street": "atlantis"}, "street"),
    ({"industry": "mining"}, "industry"), ({"category": "tourist"}, "category"), ({"shop_id": "abc"}, "shop_id"),
    ({"shop_id": "0"}, "shop_id"), ({"shop_id": "99999999999999999999"}, "shop_id"), ({"from": "9999-12-31"}, "from"), ({"to": "0001-01-01"}, "to")])
def test_bad_filters_are_422(coordinator_api, args, field):
    error = assert_error(coordinator_api.get("/stats/summary", query_string=args), 422, "validation_error")
    assert field in error["fields"]


def test_day_breakdown_over_years_is_422(coordinator_api):
    query = {"by": "day", "from": "2020-01-01", "to": "2026-01-01"}
    assert "from" in assert_error(coordinator_api.get("/stats/breakdown", query_string=query),
                                  422, "validation_error")["fields"]
    query["by"] = "month"
    assert len(coordinator_api.get("/stats/breakdown", query_string=query).get_json()["rows"]) == 73


def test_bad_group_is_422(coordinator_api):
    assert "by" in assert_error(coordinator_api.get("/stats/breakdown", query_string={"by": "year"}),
                                422, "validation_error")["fields"]
    assert "by" in assert_error(coordinator_api.get("/stats/breakdown"), 422, "validation_error")["fields"]


def test_anonymous_is_401(client):
    assert_error(client.get("/api/v1/stats/summary"), 401, "not_signed_in")


def test_owner_is_403(api, make):
    shop = make.shop()
    assert_error(api.as_(shop.owner).get("/stats/summary"), 403, "forbidden")
    assert_error(api.as_(shop.owner).get("/stats/export.csv?by=day"), 403, "forbidden")


def test_csv_export_is_for_people_and_audited(coordinator_api, october):
    response = coordinator_api.get("/stats/export.csv", query_string={**OCT, "by": "street"})
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    # Headings in the request's language, money in yuan with two decimals (¥350.00, not 35000 fen).
    assert rows[0] == {"街道/乡镇": "城关街道", "核销笔数": "3", "服务人数": "2",
                       "消费金额（元）": "350.00", "让利金额（元）": "35.00"}
    assert 'filename="stats-street-2026-10-01-2026-10-31.csv"' in response.headers["Content-Disposition"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "stats.export")).one()
    assert entry.detail["format"] == "csv" and entry.detail["by"] == "street" and entry.detail["start"] == "2026-10-01"


def test_csv_export_in_english(coordinator_api, october):
    response = coordinator_api.get("/stats/export.csv", query_string={**OCT, "by": "shop", "lang": "en"},
                                   headers={"Accept-Language": "en"})
    header, first = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))[:2]
    assert header == ["Shop no.", "Shop name", "Redemptions", "People served", "Spending (CNY)", "Discount given (CNY)"]
    assert first == [str(october.shops[0].id), "老兵面馆", "2", "1", "150.00", "15.00"]


def test_export_file_names_carry_period_and_filters(coordinator_api, october):
    query = {**OCT, "by": "week", "street": "chengguan", "category": "veteran", "shop_id": october.shops[0].id}
    response = coordinator_api.get("/stats/export.xlsx", query_string=query)
    assert (f'filename="stats-week-2026-10-01-2026-10-31-chengguan-veteran-shop{october.shops[0].id}.xlsx"'
            in response.headers["Content-Disposition"])


def test_week_rows_read_as_dates(coordinator_api, october):
    rows = coordinator_api.get("/stats/breakdown", query_string={**OCT, "by": "week"}).get_json()["rows"]
    assert (rows[0]["key"], rows[0]["label"]) == ("2026-W40", "9月28日–10月4日")
    assert (rows[1]["key"], rows[1]["label"]) == ("2026-W41", "10月5日–11日")
    sheet = load_workbook(io.BytesIO(coordinator_api.get("/stats/export.xlsx", query_string={**OCT, "by": "week"})
                                     .data)).active
    assert [c.value for c in sheet[3]][0] == "周" and sheet["A5"].value == "10月5日–11日"


def test_xlsx_export_title_and_formats(coordinator_api, october):
    response = coordinator_api.get("/stats/export.xlsx", query_string={**OCT, "by": "industry", "street": "chengguan"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert "按行业" in sheet["A1"].value
    assert "2026-10-01" in sheet["A2"].value and "城关街道" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == ["行业", "核销笔数", "服务人数", "消费金额（元）", "让利金额（元）"]
    assert [c.value for c in sheet[4]] == ["餐饮", 2, 1, 150.0, 15.0]
    assert sheet["E4"].number_format == "#,##0.00"
    assert db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "stats.export"))["format"] == "xlsx"


def test_inactive_shops(coordinator_api, network, make, today):
    network.log(0, 0)  # today
    quiet = coordinator_api.get("/stats/inactive", query_string={"days": 7}).get_json()
    assert {i["name"] for i in quiet["items"]} == {"惠民超市", "迎宾酒店"}
    assert quiet["items"][0]["phone"]
    response = coordinator_api.get("/stats/inactive.csv", query_string={"days": 7})
    assert "惠民超市" in response.data.decode("utf-8-sig")
    assert_error(coordinator_api.get("/stats/inactive", query_string={"days": 0}), 422, "validation_error")


def test_inactive_files_say_never_and_count_the_shops(coordinator_api, network, clock):
    now = clock.at(datetime(2026, 12, 6, 4))
    network.log(1, 0, day=date(2026, 9, 1))
    for shop in network.shops:
        shop.approved_at = datetime(2026, 6, 1)
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(coordinator_api.get("/stats/inactive.csv", query_string={"days": 30})
                                           .data.decode("utf-8-sig"))))
    assert {r["商户名称"]: r["最近核销日"] for r in rows} == {"老兵面馆": "从未核销", "惠民超市": "2026-09-01",
                                                     "迎宾酒店": "从未核销"}
    assert {r["通过审核日"] for r in rows} == {"2026-06-01"}
    response = coordinator_api.get("/stats/inactive.xlsx", query_string={"days": 30})
    assert 'filename="inactive-shops-30d-to-2026-12-06.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[sheet.max_row]][:2] == ["合计", "3家商户"]
    assert local_date(now) == date(2026, 12, 6)


def test_inactive_keeps_new_shops_apart(coordinator_api, network, clock):
    clock.at(datetime(2026, 12, 6, 4))
    network.shops[0].approved_at = datetime(2026, 6, 1)
    network.shops[1].approved_at = datetime(2026, 12, 6, 3, 50)  # minutes ago
    network.shops[2].approved_at = datetime(2026, 11, 1)
    db.session.commit()
    items = coordinator_api.get("/stats/inactive", query_string={"days": 30}).get_json()["items"]
    assert {i["name"]: (i["approved_on"], i["new"]) for i in items} == {
        "老兵面馆": ("2026-06-01", False), "惠民超市": ("2026-12-06", True), "迎宾酒店": ("2026-11-01", False)}
    rows = list(csv.DictReader(io.StringIO(coordinator_api.get("/stats/inactive.csv", query_string={"days": 30})
                                           .data.decode("utf-8-sig"))))
    assert [r["商户名称"] for r in rows] == ["老兵面馆", "迎宾酒店"]


def test_public_totals_cached_and_anonymous(client, network, app):
    services.clear_public_cache()
    network.log(0, 0, bill=1000, discount=100)
    body = client.get("/api/v1/stats/public").get_json()
    assert body == {"shops": 3, "redemptions": 1, "beneficiaries": 1, "discount": 100}
    network.log(1, 1, bill=1000, discount=100)
    assert client.get("/api/v1/stats/public").get_json()["redemptions"] == 1  # cached
    services.clear_public_cache()
    assert client.get("/api/v1/stats/public").get_json()["redemptions"] == 2
    page = client.get("/public").get_data(as_text=True)
    assert "累计让利" in page and "¥2.00" in page and "张" not in page


@pytest.mark.parametrize("by", ["industry", "street", "category", "shop", "day", "week", "month"])
def test_every_breakdown_exports(coordinator_api, october, by):
    rows = coordinator_api.get("/stats/breakdown", query_string={**OCT, "by": by}).get_json()["rows"]
    csv_rows = list(csv.DictReader(io.StringIO(
        coordinator_api.get("/stats/export.csv", query_string={**OCT, "by": by}).data.decode("utf-8-sig"))))
    assert [r[list(r)[1 if by == "shop" else 0]] for r in csv_rows] == [r["label"] for r in rows]
    assert sum(Decimal(r["让利金额（元）"]) for r in csv_rows) == Decimal("43.00")
    sheet = load_workbook(io.BytesIO(
        coordinator_api.get("/stats/export.xlsx", query_string={**OCT, "by": by}).data)).active
    assert sheet.max_row == len(rows) + 4  # title, filters, header, rows, total
    assert sheet.cell(row=len(rows) + 4, column=1).value == "合计"


def test_export_refuses_bad_input(coordinator_api):
    assert_error(coordinator_api.get("/stats/export.xlsx", query_string={"by": "nope"}), 422, "validation_error")
    assert_error(coordinator_api.get("/stats/export.csv", query_string={"by": "day", "from": "x"}), 422,
                 "validation_error")
    assert coordinator_api.get("/stats/export.pdf?by=day").status_code == 404
    assert db.session.scalars(select(AuditEntry)).all() == []
