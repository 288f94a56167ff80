import io
from datetime import date, datetime

import pytest
from werkzeug.datastructures import FileStorage

from evidence import pdf
from reports import photos
from tests.reports.conftest import Network

YEAR = {"from": "2026-01-01", "to": "2026-11-30"}
FIRST, LAST = date(2026, 1, 1), date(2026, 11, 30)
NOW = datetime(2026, 12, 6, 4)  # 12:00 in Beijing


@pytest.fixture(autouse=True)
def request_context(app):
    """Labels are translated per request; service tests run inside one too."""
    with app.test_request_context():
        yield


@pytest.fixture(autouse=True)
def report_as_html(request, monkeypatch):
    """The pack's report as HTML (the path of a server with no PDF renderer), but in the tests marked `pdf`:
    rendering the PDF takes most of a pack's second, and only those tests look at the PDF."""
    if not request.node.get_closest_marker("pdf"):
        monkeypatch.setattr(pdf, "missing", lambda: "服务器未安装 WeasyPrint（测试取 HTML 报告）。")


@pytest.fixture
def now(clock):
    return clock.at(NOW)


@pytest.fixture
def network(make, now):
    """Three shops in two streets, five members, and a year with redemptions in two months (one voided)."""
    network = Network(make)
    network.log(0, 0, day=date(2026, 10, 3), bill=10000, discount=1000)
    network.log(0, 1, day=date(2026, 10, 4), bill=5000, discount=500)
    network.log(2, 2, day=date(2026, 11, 2), bill=30000, discount=3000)
    network.void(network.log(1, 3, day=date(2026, 11, 3), bill=9900, discount=990), now=now)
    return network


def jpeg(colour=(200, 30, 30), size=(64, 48)):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def add_photo(shop, actor, caption="拥军优待标牌", colour=(200, 30, 30)):
    """An evidence photo of `shop`, uploaded as a person would (re-encoded by the photo service)."""
    return photos.add_photo(shop, actor, FileStorage(io.BytesIO(jpeg(colour)), filename="door.jpg"), caption)
