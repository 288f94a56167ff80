"""Fixtures: a fresh database for every test, on SQLite or (TEST_DATABASE_URL) PostgreSQL, and one clock.

Time comes from one place. A test that needs a particular instant freezes the clock there (the `clock`
fixture) and passes the same instant as `now`; every other test reads the clock, which CI also moves
(TEST_CLOCK, an ISO 8601 instant: `make test-clock`), so the suite passes on any date.
"""
import logging
import os
import threading
from datetime import datetime, timezone

import pytest
import time_machine
from flask import g, has_app_context, request, request_finished, request_started
from flask.testing import FlaskClient
from sqlalchemy import text

from baiye.application import site_apps
from baiye.extensions import db
from baiye.factory import create_app

from .factories import Factory
from .live import gunicorn

PG_URL = os.environ.get("TEST_DATABASE_URL")
TEST_CLOCK = os.environ.get("TEST_CLOCK")
# Fixtures that start a server in another process (gunicorn), whose clock cannot be moved: those tests run
# with the real date, and not at all with the clock moved.
OTHER_PROCESS_FIXTURES = {"server", "appending_server"}


@pytest.fixture(autouse=True)
def moved_clock(request):
    """With TEST_CLOCK set, every test starts at that instant and the clock runs on from there."""
    if not TEST_CLOCK:
        yield
        return
    if OTHER_PROCESS_FIXTURES.intersection(request.fixturenames):
        pytest.skip("starts a server in another process, whose clock cannot be moved (runs in the plain suite)")
    with time_machine.travel(datetime.fromisoformat(TEST_CLOCK), tick=True):
        yield


class TracebackWatch(logging.Handler):
    """The log records with a traceback written while a request of this process was handled (in its own thread),
    and the requests that wrote one yet were answered below 500: a refusal (or an answer) that logged a traceback."""

    def __init__(self):
        super().__init__()
        self.open = {}  # thread id -> records logged with a traceback while its request runs
        self.offences = []

    def started(self, sender, **extra):
        self.open[threading.get_ident()] = []

    def emit(self, record):
        records = self.open.get(threading.get_ident())
        if records is not None and record.exc_info:
            records.append(record)

    def finished(self, sender, response, **extra):
        records = self.open.pop(threading.get_ident(), None)
        if records and response.status_code < 500:
            self.offences.append(f"{request.method} {request.full_path.rstrip('?')} answered {response.status_code} "
                                 f"and logged: " + "; ".join(self.format(r).splitlines()[-1] for r in records))


@pytest.fixture(autouse=True)
def no_traceback_from_a_refusal():
    """No request a test makes through an app in this process logs a traceback unless it is answered 500 (issue 15:
    a refused input is a clear 4xx, with no traceback in the server's log). A 500 is the tests' own to assert."""
    watch = TracebackWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    request_started.connect(watch.started, weak=False)
    request_finished.connect(watch.finished, weak=False)
    try:
        yield
    finally:
        request_started.disconnect(watch.started)
        request_finished.disconnect(watch.finished)
        root.removeHandler(watch)
    assert not watch.offences, watch.offences


class Clock:
    """The test's clock, frozen: `clock.at(instant)` stops it at a naive-UTC (or aware) instant."""

    def __init__(self, traveller):
        self.traveller = traveller

    def at(self, instant):
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=timezone.utc)
        self.traveller.move_to(instant, tick=False)
        return instant.astimezone(timezone.utc).replace(tzinfo=None)


@pytest.fixture
def clock(time_machine):
    """Freeze the clock for this test: `now = clock.at(datetime(2026, 11, 21, 3))`."""
    return Clock(time_machine)


def base_config(tmp_path):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "ID_HASH_KEY": "test-id-hash-key",
        "DATABASE_URL": PG_URL or f"sqlite:///{tmp_path / 'test.db'}",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_ENABLED": False,
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "https://yj.example.cn",
        "SECURE_COOKIES": False,
        "EVIDENCE_PACK_THREAD": False,  # a test builds the queued pack itself (evidence.services.build_pack)
    }


@pytest.fixture
def config(tmp_path):
    """Tests override settings by changing this dict before `app` is built."""
    return base_config(tmp_path)


class FreshUserClient(FlaskClient):
    """Tests keep one app context open, so `g` would outlive a request (the signed-in user, the
    CSRF token); a real request never shares it. Start each call with an empty `g`."""

    def open(self, *args, **kwargs):
        if has_app_context():
            for key in list(g):
                g.pop(key, None)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(config, tmp_path):
    app = create_app(config)
    app.instance_path = str(tmp_path)  # files a test makes there (the demo's link, photos) stay out of instance/
    app.test_client_class = FreshUserClient
    postgres = config["DATABASE_URL"].startswith("postgresql")
    with app.app_context():
        if postgres:
            db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        for mounted in site_apps(app)[1:]:  # the till's own app has an engine of its own
            with mounted.app_context():
                db.engine.dispose()
        if postgres:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make(app):
    """Factories: make.shop(), make.user(), make.offer(), make.member(), ..."""
    return Factory()


@pytest.fixture
def today():
    from baiye.clock import local_date, utcnow

    return local_date(utcnow())


@pytest.fixture
def api(client, make):
    """An API caller: api.as_(user).post(path, json=...) with a bearer token."""
    return ApiClient(client)


class ApiClient:
    def __init__(self, client, token=None):
        self.client, self.token = client, token

    def as_(self, user):
        from baiye.accounts.services import issue_api_token

        token = issue_api_token(user)
        db.session.commit()
        return ApiClient(self.client, token)

    def _call(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


def assert_error(response, status, code):
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert body["error"]["code"] == code, body
    return body["error"]


@pytest.fixture
def till(make):
    """An approved shop with a cashier, a member's card and a plain 9折 offer."""

    from .verification.helpers import make_member

    class Till:
        shop = make.shop()
        cashier = make.cashier(shop)
        owner = shop.owner
        offer = make.offer(shop)
        card = make_member()

    return Till



@pytest.fixture
def gunicorn_args():
    """Worker settings of the `server` fixture; a test module may override this fixture."""
    return ["--workers", "3", "--threads", "4", "--worker-class", "gthread"]


@pytest.fixture
def server(app, config, tmp_path, gunicorn_args):
    """gunicorn serving the test's database (tests/live.py); yields its base URL (`.process` is the master)."""
    env = dict(DATABASE_URL=config["DATABASE_URL"], SECRET_KEY=config["SECRET_KEY"], FLASK_RATELIMIT_ENABLED="false",
               FLASK_ID_HASH_KEY=config["ID_HASH_KEY"])
    with gunicorn(env, tmp_path / "gunicorn.log", args=gunicorn_args) as base:
        yield base
