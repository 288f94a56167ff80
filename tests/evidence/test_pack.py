"""The pack's contents, built by the service (no HTTP)."""
import io
import re
import zipfile
import zlib

import pytest
from openpyxl import load_workbook

from evidence import pack, pdf
from ledger.services import b64
from reports.models import PhotoBlob
from baiye.extensions import db

from .conftest import FIRST, LAST, add_photo

ORIGIN = "https://yj.example.cn"


def build(now):
    out = io.BytesIO()
    built = pack.build(FIRST, LAST, now, ORIGIN, out)
    return zipfile.ZipFile(out), built


def pdf_objects(document):
    """A PDF's bytes with its compressed streams (object streams included) inflated, to look for what it holds."""
    streams = re.findall(rb"stream\r?\n(.*?)\r?\nendstream", document, re.S)
    return document + b"".join(zlib.decompress(s) for s in streams if s[:1] == b"x")


def text(archive, name):
    data = archive.read(name)
    assert data.startswith("\ufeff".encode()) and b"\r\n" in data  # Notepad reads it as UTF-8
    return data.decode("utf-8-sig")


def test_the_pack_has_every_part(network, now):
    archive, built = build(now)
    names = archive.namelist()
    report = pack.REPORT_HTML if pdf.missing() else pack.REPORT_PDF
    for name in (*pack.LEDGER_FILES, report, "统计数据.xlsx", "验证说明.txt", "索引.txt"):
        assert name in names, name
    assert archive.testzip() is None
    if pack.VERIFIER.is_file():  # the repository's verifier, byte for byte
        assert archive.read("verify_pack.py") == pack.VERIFIER.read_bytes()
    assert built.summary["redemptions"] == 3 and built.photos == 0


def test_the_figures_are_one_workbook_in_yuan_under_chinese_headings(network, now):
    archive, _built = build(now)
    book = load_workbook(io.BytesIO(archive.read("统计数据.xlsx")))
    assert book.sheetnames == ["概况", "按街道、乡镇", "按行业", "按优待对象", "按商户", "按日", "按周", "按月", "按出示方式"]
    overview = book["概况"]
    assert "2026-01-01 至 2026-11-30" in overview["A2"].value
    rows = {row[0]: row[1:] for row in overview.iter_rows(min_row=4, values_only=True)}
    assert rows["核销笔数"] == (3, None) and rows["服务人数（去重）"] == (3, None)
    assert rows["让利金额"] == (None, 45.0) and rows["消费金额"] == (None, 450.0)
    streets = book["按街道、乡镇"]
    assert [c.value for c in streets[3]] == ["街道/乡镇", "核销笔数", "服务人数", "消费金额（元）", "让利金额（元）"]
    assert [c.value for c in streets[4]] == ["城关街道", 2, 2, 150.0, 15.0]  # the voided one left out
    assert streets["E4"].number_format == "#,##0.00"
    assert [c.value for c in book["按商户"][3]][:2] == ["商户编号", "商户名称"]
    months = [row[0] for row in book["按月"].iter_rows(min_row=4, values_only=True)]
    assert months[:11] == [f"2026-{m:02d}" for m in range(1, 12)] and months[11] == "合计"
    assert book["按日"].max_row == 4 + 334  # every day of the period, and the total
    forms = book["按出示方式"]
    assert [c.value for c in forms[3]] == ["出示方式", "核销笔数", "占比"]


def test_photos_are_named_by_street_and_shop(network, now, make):
    coordinator = make.coordinator()
    noodles, _market, hotel = network.shops
    first = add_photo(noodles, coordinator, "门口标牌")
    add_photo(noodles, coordinator, "优待活动", colour=(30, 30, 200))
    add_photo(hotel, coordinator, None)
    twin = make.shop(name="老兵面馆", street="chengguan")  # the same name in the same street
    add_photo(twin, coordinator)
    archive, built = build(now)
    photos = sorted(n for n in archive.namelist() if n.startswith("照片/"))
    assert photos == ["照片/东城街道/迎宾酒店-1.jpg", "照片/城关街道/老兵面馆-1.jpg", "照片/城关街道/老兵面馆-2.jpg",
                      f"照片/城关街道/老兵面馆（{twin.id}号）-1.jpg"]
    stored = db.session.get(PhotoBlob, first.id).full
    assert archive.read("照片/城关街道/老兵面馆-1.jpg") == stored  # the photo as kept, first upload first
    assert archive.getinfo("照片/城关街道/老兵面馆-1.jpg").compress_type == zipfile.ZIP_STORED
    index = text(archive, "索引.txt")
    assert "照片/城关街道/老兵面馆-1.jpg  餐饮 · 门口标牌" in index and "共 4 张" in index and built.photos == 4


def test_a_shop_name_cannot_leave_its_folder(network, now, make):
    shop = make.shop(name="../..\\店:名*?", street="chengguan")
    add_photo(shop, make.coordinator())
    archive, _built = build(now)
    assert "照片/城关街道/_.._店_名_-1.jpg" in archive.namelist()  # no separator left: one file in its street


def test_the_index_maps_each_part_to_what_inspectors_ask(network, now):
    archive, built = build(now)
    index = text(archive, "索引.txt")
    assert "统计期间：2026-01-01 至 2026-11-30" in index and "生成时间：2026-12-06 12:00" in index
    assert f"记录 {built.checkpoint.size:,} 条" in index and b64(built.checkpoint.root) in index
    for asked in ("参与商户（按街道、按行业）", "服务人次", "服务人数", "让利金额", "标牌和活动照片", "账本"):
        assert asked in index, asked
    assert "按街道：城关街道 2 家、东城街道 1 家" in index and "按行业：餐饮 1 家、零售 1 家、住宿 1 家" in index
    assert "服务人次（核销笔数）：3 次" in index and "让利金额：¥45.00" in index
    for name in archive.namelist():
        assert name in index, name
    assert f"{ORIGIN}/api/v1/ledger/checkpoints" in index


def test_the_instructions_are_for_someone_who_does_not_program(network, now):
    archive, _built = build(now)
    steps = text(archive, "验证说明.txt")
    for needed in ("Python 3", "pip install cryptography", "python3 verify_pack.py 证据包.zip", "通过 OK", "不通过 FAILED",
                   f"{ORIGIN}/api/v1/ledger/checkpoints", f"--jwks {ORIGIN}/.well-known/jwks.json", "二维码"):
        assert needed in steps, needed


@pytest.mark.pdf
@pytest.mark.skipif(pdf.missing() is not None, reason=f"no PDF on this machine: {pdf.missing()}")
def test_the_report_is_an_a4_pdf(network, now):
    archive, built = build(now)
    report = archive.read(pack.REPORT_PDF)
    assert report.startswith(b"%PDF") and built.pdf_missing is None
    assert b"/MediaBox [0 0 595.27" in pdf_objects(report)  # A4: 210 x 297 mm in points
    assert "A4 考评报告（PDF，可直接打印）" in text(archive, "索引.txt")


def test_without_weasyprint_or_a_chinese_font_the_report_is_html_and_the_index_says_why(network, now, monkeypatch):
    monkeypatch.setattr(pdf, "missing", lambda: "服务器上没有中文字体（测试）。")
    archive, built = build(now)
    assert pack.REPORT_PDF not in archive.namelist() and built.pdf_missing
    page = archive.read(pack.REPORT_HTML).decode("utf-8")
    assert page.startswith("<!doctype html>") and "拥军优待工作报告" in page and "<style>" in page
    assert "<link" not in page and "src=\"/" not in page  # nothing it would fetch from a server
    index = text(archive, "索引.txt")
    assert "考评报告.html" in index and "是网页格式而不是 PDF。原因：服务器上没有中文字体（测试）。" in index


def test_the_report_carries_the_checkpoint_as_a_qr(network, now, monkeypatch):
    monkeypatch.setattr(pdf, "missing", lambda: "HTML 便于检查")
    archive, built = build(now)
    page = archive.read(pack.REPORT_HTML).decode("utf-8")
    assert 'class="qr-svg"' in page and "数据核验：账本检查点" in page
    assert b64(built.checkpoint.root) in page and f"{ORIGIN}/api/v1/ledger/checkpoints" in page


def test_the_report_shows_the_shops_photos_from_the_pack_itself(network, now, make, monkeypatch):
    monkeypatch.setattr(pdf, "missing", lambda: "HTML 便于检查")
    add_photo(network.shops[0], make.coordinator())
    archive, _built = build(now)
    page = archive.read(pack.REPORT_HTML).decode("utf-8")
    assert 'src="data:image/jpeg;base64,' in page and "/photos/" not in page
