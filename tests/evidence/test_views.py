"""The progress page, the button on the statistics page, and the audit log's words for a pack."""
from sqlalchemy import select

from baiye.extensions import db
from evidence import services
from evidence.models import EvidencePack
from tests.reports.test_views import sign_in

from .conftest import YEAR


def test_the_statistics_page_has_the_button_for_its_period(client, make, now):
    sign_in(client, make.coordinator())
    page = client.get("/admin/stats", query_string={"from": "2026-03-01", "to": "2026-05-31"}).get_data(as_text=True)
    assert 'id="evidence-pack" href="/admin/evidence-pack?from=2026-03-01&amp;to=2026-05-31"' in page
    assert "生成证据包" in page
    default = client.get("/admin/stats").get_data(as_text=True)  # the last 90 days
    assert 'href="/admin/evidence-pack?from=2026-09-08&amp;to=2026-12-06"' in default


def test_the_progress_page_shows_the_bar_and_polls(client, make, network, now):
    sign_in(client, make.coordinator())
    response = client.get("/admin/evidence-pack", query_string=YEAR)
    page = response.get_data(as_text=True)
    job = db.session.scalars(select(EvidencePack)).one()
    assert response.status_code == 200
    assert '<progress id="pack-progress" max="100" value="0"' in page and "排队中" in page
    assert f'data-status-url="/api/v1/evidence-pack/{job.id}"' in page and "/static/js/evidence.js" in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "统计期间：2026-01-01 至 2026-11-30" in page

    services.build_pack(job.id, now)
    page = client.get("/admin/evidence-pack", query_string=YEAR).get_data(as_text=True)
    assert 'value="100"' in page and f'href="/api/v1/evidence-pack/{job.id}.zip"' in page
    assert 'id="pack-done" hidden' not in page and "http-equiv" not in page


def test_the_progress_page_in_english(client, make, network, now):
    sign_in(client, make.coordinator())
    page = client.get("/admin/evidence-pack", query_string=YEAR | {"lang": "en"}).get_data(as_text=True)
    assert "Evidence pack" in page and "Queued" in page


def test_bad_dates_reshow_the_dates_with_the_reason(client, make, now):
    sign_in(client, make.coordinator())
    response = client.get("/admin/evidence-pack", query_string={"from": "2026-11-30", "to": "2026-01-01"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "开始日期不能晚于结束日期" in page and 'value="2026-11-30"' in page
    response = client.get("/admin/evidence-pack", query_string={"from": "x"})
    assert response.status_code == 422 and "日期格式应为 YYYY-MM-DD" in response.get_data(as_text=True)
    assert db.session.scalar(select(EvidencePack.id)) is None


def test_rebuild_starts_a_new_pack(client, make, network, now):
    sign_in(client, make.coordinator())
    client.get("/admin/evidence-pack", query_string=YEAR)
    first = db.session.scalars(select(EvidencePack)).one()
    services.build_pack(first.id, now)
    response = client.post("/admin/evidence-pack", data=YEAR)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/evidence-pack?from=2026-01-01&to=2026-11-30"
    newest = db.session.scalars(select(EvidencePack).order_by(EvidencePack.id.desc())).first()
    assert newest.id != first.id and newest.status == "queued"
    assert f"/api/v1/evidence-pack/{newest.id}" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.post("/admin/evidence-pack", data={"from": "2026-01-01"}).status_code == 422


def test_for_coordinators_only(client, make):
    assert client.get("/admin/evidence-pack", query_string=YEAR).status_code == 302  # to sign in
    sign_in(client, make.shop().owner)
    assert client.get("/admin/evidence-pack", query_string=YEAR).status_code == 403
    assert client.post("/admin/evidence-pack", data=YEAR).status_code == 403


def test_the_audit_log_names_builds_and_downloads(client, make, network, now):
    coordinator = make.coordinator()
    sign_in(client, coordinator)
    client.get("/admin/evidence-pack", query_string=YEAR)
    job = db.session.scalars(select(EvidencePack)).one()
    services.build_pack(job.id, now)
    client.get(f"/api/v1/evidence-pack/{job.id}.zip")
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "生成证据包" in page and "下载证据包" in page and "2026-11-30" in page
