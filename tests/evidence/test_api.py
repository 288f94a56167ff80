"""GET /api/v1/evidence-pack: 202 with progress while it builds, then 200 with the ZIP; who may ask; bad dates."""
import io
import threading
import zipfile

import pytest
from sqlalchemy import select

from baiye.extensions import db
from evidence import services
from evidence.models import EvidencePack
from ledger import services as ledger_services

from ..conftest import assert_error
from .conftest import YEAR


@pytest.fixture
def coordinator_api(api, make):
    return api.as_(make.coordinator())


def test_202_while_it_builds_then_200_with_the_zip(coordinator_api, network, now):
    first = coordinator_api.get("/evidence-pack", query_string=YEAR)
    assert first.status_code == 202 and first.headers["Retry-After"] == "2"
    body = first.get_json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["status_label"] == "排队中"
    assert (body["from"], body["to"]) == ("2026-01-01", "2026-11-30")
    assert body["status_url"] == f"/api/v1/evidence-pack/{body['id']}"
    assert body["download_url"] == f"/api/v1/evidence-pack/{body['id']}.zip"
    again = coordinator_api.get("/evidence-pack", query_string=YEAR)
    assert again.status_code == 202 and again.get_json()["id"] == body["id"]  # the same build

    services.build_pack(body["id"], now)
    done = coordinator_api.get("/evidence-pack", query_string=YEAR)
    assert done.status_code == 200 and done.mimetype == "application/zip"
    assert "filename*=UTF-8''%E7%99%BE%E4%B8%9A" in done.headers["Content-Disposition"]
    assert done.headers["Cache-Control"] == "no-store"
    assert "索引.txt" in zipfile.ZipFile(io.BytesIO(done.data)).namelist()


def test_the_status_and_the_zip_by_number(coordinator_api, network, now):
    job_id = coordinator_api.get("/evidence-pack", query_string=YEAR).get_json()["id"]
    assert_error(coordinator_api.get(f"/evidence-pack/{job_id}.zip"), 409, "pack_not_ready")
    services.build_pack(job_id, now)
    status = coordinator_api.get(f"/evidence-pack/{job_id}").get_json()
    assert (status["status"], status["progress"], status["status_label"]) == ("done", 100, "已生成")
    assert status["size"] > 0 and status["expires_at"].endswith("Z")
    assert status["checkpoint_root"] == ledger_services.b64(ledger_services.latest_checkpoint().root)
    download = coordinator_api.get(f"/evidence-pack/{job_id}.zip")
    assert download.status_code == 200 and download.data.startswith(b"PK")
    assert_error(coordinator_api.get("/evidence-pack/999999"), 404, "not_found")
    assert_error(coordinator_api.get("/evidence-pack/999999.zip"), 404, "not_found")


def test_built_in_a_thread_of_the_worker(app, coordinator_api, network, now):
    app.config["EVIDENCE_PACK_THREAD"] = True
    body = coordinator_api.get("/evidence-pack", query_string=YEAR).get_json()
    builder = next(t for t in threading.enumerate() if t.name == f"evidence-pack-{body['id']}")
    builder.join(timeout=60)
    assert not builder.is_alive()
    done = coordinator_api.get("/evidence-pack", query_string=YEAR)
    assert done.status_code == 200 and done.mimetype == "application/zip", done.get_json()


def test_a_browser_is_sent_to_the_progress_page(coordinator_api):
    response = coordinator_api.get("/evidence-pack", query_string=YEAR,
                                   headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/evidence-pack?from=2026-01-01&to=2026-11-30"
    assert db.session.scalar(select(EvidencePack.id)) is None  # the page asks for it


def test_coordinators_only(api, make):
    assert_error(api.get("/evidence-pack", query_string=YEAR), 401, "not_signed_in")
    shop = make.shop()
    assert_error(api.as_(shop.owner).get("/evidence-pack", query_string=YEAR), 403, "forbidden")
    assert_error(api.as_(make.cashier(shop)).get("/evidence-pack/1"), 403, "forbidden")
    assert_error(api.as_(shop.owner).get("/evidence-pack/1.zip"), 403, "forbidden")


@pytest.mark.parametrize("query, field, words", [
    ({}, "from", "此项为必填"),
    ({"from": "2026-01-01"}, "to", "此项为必填"),
    ({"from": "2026-1-1", "to": "2026-11-30"}, "from", "YYYY-MM-DD"),
    ({"from": "1999-12-31", "to": "2026-11-30"}, "from", "2000年至2099年"),
    ({"from": "2026-11-30", "to": "2026-01-01"}, "from", "开始日期不能晚于结束日期"),
    ({"from": "2020-01-01", "to": "2026-11-30"}, "to", "最长 1096 天"),
    ({"from": "2026-01-01", "to": "2027-01-01"}, "to", "不能晚于今天"),
    ({"from": "2026-01-01", "to": "2026-02-30"}, "to", "YYYY-MM-DD"),
])
def test_bad_dates_are_422_saying_which(coordinator_api, now, query, field, words):
    error = assert_error(coordinator_api.get("/evidence-pack", query_string=query), 422, "validation_error")
    assert words in " ".join(error["fields"][field])


def test_the_api_document_says_202_and_the_zip(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/evidence-pack"]["get"]
    assert "application/zip" in operation["responses"]["200"]["content"]
    assert "Retry-After" in operation["responses"]["202"]["headers"]
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to"}
