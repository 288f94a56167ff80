"""Outside review (attack-ledger): what the evidence pack and its endpoints let through. Each test states what
should hold and fails today."""
import io
import zipfile
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from baiye.extensions import db
from evidence.models import EvidencePack

from .conftest import YEAR
from .test_verify import verify


@pytest.fixture
def coordinator_api(api, make):
    return api.as_(make.coordinator())


def _written_pack(app, tmp_path):
    out = tmp_path / "证据包.zip"
    result = app.test_cli_runner().invoke(args=["evidence-pack", "--from", YEAR["from"], "--to", YEAR["to"],
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _rewritten(path, name, change):
    with zipfile.ZipFile(path) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    files[name] = change(files[name])
    forged = path.with_name("改过的证据包.zip")
    with zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as out:
        for n, data in files.items():
            out.writestr(n, data)
    return forged


def test_a_pack_whose_figures_workbook_was_changed_fails_verification(app, network, now, tmp_path):
    # 验证说明.txt: 通过 OK means "包里的统计数字与由这些记录重新计算的结果一致" (the pack's figures agree with a
    # recount). verify_pack reads ledger/ only: every figure in 统计数据.xlsx (and in the report) can be changed.
    genuine = _written_pack(app, tmp_path)

    def inflate(data):
        book = load_workbook(io.BytesIO(data))
        for sheet in book:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                        cell.value = cell.value * 10
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    forged = _rewritten(genuine, "统计数据.xlsx", inflate)
    status, output = verify(forged)
    assert status == 1, f"every figure of 统计数据.xlsx multiplied by ten, and the pack still verifies:\n{output}"
    assert "统计数据.xlsx: changed since the service built the pack" in output


def test_a_pack_whose_report_was_replaced_fails_verification(app, network, now, tmp_path):
    genuine = _written_pack(app, tmp_path)
    names = zipfile.ZipFile(genuine).namelist()
    report = "考评报告.pdf" if "考评报告.pdf" in names else "考评报告.html"
    forged = _rewritten(genuine, report, lambda data: b"<p>\xe6\xa0\xb8\xe9\x94\x80 999999 \xe7\xac\x94</p>")
    status, output = verify(forged)
    assert status == 1, f"the report replaced by anything, and the pack still verifies:\n{output}"
    assert f"{report}: changed since the service built the pack" in output


def test_a_coordinator_cannot_queue_builds_without_bound(coordinator_api, network, now):
    # A build takes about 700 MB at its peak on a demo year (README) and runs in a thread of the worker asked;
    # every distinct period is a new build. Ten periods one day apart: ten builds at once on a 2-core box.
    # (Against gunicorn with 20,000 redemptions, 24 such requests took the two workers from ~150 MB to 2.4 GB.)
    answers = []
    for offset in range(10):
        first = date(2026, 1, 1) + timedelta(days=offset)
        answers.append(coordinator_api.get("/evidence-pack", query_string={
            "from": first.isoformat(), "to": (first + timedelta(days=300)).isoformat()}).status_code)
    in_flight = db.session.scalar(select(func.count()).select_from(EvidencePack)
                                  .where(EvidencePack.status.in_(("queued", "building"))))
    assert in_flight <= 2, f"{in_flight} builds queued at once by one coordinator (answers {answers})"
    assert 429 in answers or 503 in answers
    refused = coordinator_api.get("/evidence-pack", query_string={"from": "2026-02-01", "to": "2026-02-02"})
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == "pack_busy"
