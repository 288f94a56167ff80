"""A pack built as an operator and a program build it passes tools/verify_pack.py run as an inspector runs it: the
verifier taken out of the ZIP, the ZIP left whole; the checkpoint in it is the published one, and the printed
report's QR holds it."""
import io
import shutil
import subprocess
import sys
import zipfile

import pytest
import zxingcpp
from PIL import Image

from evidence import pack, pdf, services
from ledger import services as ledger_services
from tests.reports.test_views import sign_in
from verification.qr import qr_svg_inline

from .conftest import FIRST, LAST, YEAR


def verify(path, *args):
    """(exit status, output) of the pack's own verify_pack.py, run beside the pack."""
    verifier = path.with_name("verify_pack.py")
    verifier.write_bytes(zipfile.ZipFile(path).read("verify_pack.py"))
    done = subprocess.run([sys.executable, str(verifier), str(path), *args], capture_output=True, text=True,
                          timeout=60, cwd=path.parent)
    return done.returncode, done.stdout


def test_a_pack_written_by_the_command_verifies(app, network, now, tmp_path):
    out = tmp_path / "证据包.zip"
    result = app.test_cli_runner().invoke(args=["evidence-pack", "--from", YEAR["from"], "--to", YEAR["to"],
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    status, output = verify(out)
    assert status == 0 and output.startswith("通过 OK"), output
    assert "3 redemptions, 3 people, discount 45.00 yuan" in output
    index = zipfile.ZipFile(out).read("索引.txt").decode("utf-8-sig")
    assert "与上面的统计数字一致" in index


def test_a_pack_taken_through_the_api_verifies_with_the_published_keys(api, make, client, network, now, tmp_path):
    coordinator = api.as_(make.coordinator())
    job_id = coordinator.get("/evidence-pack", query_string=YEAR).get_json()["id"]
    services.build_pack(job_id, now)
    response = coordinator.get("/evidence-pack", query_string=YEAR)
    assert response.status_code == 200
    path = tmp_path / "pack.zip"
    path.write_bytes(response.data)
    keys = tmp_path / "jwks.json"
    keys.write_bytes(client.get("/.well-known/jwks.json").data)
    status, output = verify(path, "--jwks", str(keys))
    assert status == 0 and output.startswith("通过 OK"), output

    archive = zipfile.ZipFile(path)
    note = archive.read("ledger/checkpoint.txt").decode()
    published = client.get("/api/v1/ledger/checkpoints").get_json()["items"]
    assert note in [item["note"] for item in published]  # word for word, as the instructions ask

    files = {name: archive.read(name) for name in archive.namelist()}
    files["ledger/totals.json"] = files["ledger/totals.json"].replace(b'"discount": 4500', b'"discount": 9900')
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    status, output = verify(forged)
    assert status == 1 and output.startswith("不通过 FAILED: ledger/totals.json: changed since the service built")


def test_the_report_page_and_the_pack_carry_the_checkpoint_as_a_qr(client, make, network, now, monkeypatch):
    sign_in(client, make.coordinator())
    monkeypatch.setattr(pdf, "missing", lambda: "HTML 便于检查")
    out = io.BytesIO()
    built = pack.build(FIRST, LAST, now, "https://yj.example.cn", out)
    page = zipfile.ZipFile(out).read(pack.REPORT_HTML).decode()
    assert qr_svg_inline(built.checkpoint.note) in page  # the QR holds exactly the signed note
    report = client.get("/admin/stats/report").get_data(as_text=True)
    assert qr_svg_inline(ledger_services.latest_checkpoint().note) in report and "数据核验：账本检查点" in report


def test_the_report_page_has_no_qr_before_the_first_checkpoint(client, make, now):
    sign_in(client, make.coordinator())
    report = client.get("/admin/stats/report").get_data(as_text=True)
    assert "拥军优待工作报告" in report and "数据核验" not in report


@pytest.mark.pdf
@pytest.mark.skipif(pdf.missing() is not None or shutil.which("pdftoppm") is None,
                    reason="needs a PDF (WeasyPrint and a Chinese font) and pdftoppm (apt-get install poppler-utils)")
def test_the_printed_reports_qr_reads_as_the_checkpoint(network, now, tmp_path):
    out = io.BytesIO()
    built = pack.build(FIRST, LAST, now, "https://yj.example.cn", out)
    report = tmp_path / "report.pdf"
    report.write_bytes(zipfile.ZipFile(out).read(pack.REPORT_PDF))
    subprocess.run(["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(report), str(tmp_path / "page")],
                   check=True, timeout=60)
    found = zxingcpp.read_barcodes(Image.open(next(tmp_path.glob("page*.png"))))
    assert [code.text for code in found] == [built.checkpoint.note]
