"""Sign-in and registration are rate limited; in production the counts live in Redis."""
import os
import uuid
from datetime import datetime, timezone

import pytest

from ..conftest import assert_error

REDIS_URL = os.environ.get("TEST_REDIS_URL")
STORAGES = ["worker-memory://", "memory://"] + ([REDIS_URL] if REDIS_URL else [])


@pytest.fixture(params=STORAGES, ids=lambda s: s.split(":")[0])
def config(request, tmp_path):
    from ..conftest import base_config

    return base_config(tmp_path) | {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": request.param,
                                    "RATELIMIT_KEY_PREFIX": uuid.uuid4().hex, "RATELIMIT_LOGIN": "3 per minute"}


def test_api_login_is_limited(api, make):
    make.coordinator(username="coord")
    for _ in range(3):
        assert api.post("/auth/login", json={"username": "coord", "password": "wrong"}).status_code == 401
    error = assert_error(api.post("/auth/login", json={"username": "coord", "password": "secret123"}), 429,
                         "rate_limited")
    assert "稍后" in error["message"]


def test_login_page_is_limited(client, make):
    make.coordinator(username="coord")
    for _ in range(3):
        client.post("/login", data={"username": "coord", "password": "wrong"})
    response = client.post("/login", data={"username": "coord", "password": "secret123"})
    assert response.status_code == 429 and "操作太频繁" in response.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # only attempts count


def test_redis_storage_is_shared_between_app_instances(config, make):
    if not config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        pytest.skip("only Redis shares counts between processes")
    from baiye import create_app

    other = create_app(config).test_client()  # a second app server with the same Redis
    first = create_app(config).test_client()
    for _ in range(3):
        first.post("/api/v1/auth/login", json={"username": "x", "password": "y"})
    assert other.post("/api/v1/auth/login", json={"username": "x", "password": "y"}).status_code == 429


def test_worker_memory_storage_counts_and_expires_without_timer_threads(time_machine):
    import threading

    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    from baiye.ratelimit import WorkerMemoryStorage

    time_machine.move_to(datetime(2026, 11, 21, 3, tzinfo=timezone.utc), tick=False)
    storage = WorkerMemoryStorage()
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3 per second")
    threads = threading.active_count()
    assert [limiter.hit(limit, "k") for _ in range(4)] == [True, True, True, False]
    assert threading.active_count() == threads  # no timer thread per hit
    assert limiter.get_window_stats(limit, "k").remaining == 0
    time_machine.shift(1.5)
    assert limiter.test(limit, "k") and limiter.hit(limit, "k")  # the window expired when read
    storage.incr("other", 1)
    time_machine.shift(10)
    storage.incr("third", 1)  # a sweep runs inline once a second: the expired counters go
    assert set(storage.counters) == {"third"}
    assert storage.reset() == 1 and storage.get("third") == 0


def test_verify_limit_is_shared_by_the_api_and_the_scan_pages(app, api, client, make):
    from tests.verification.helpers import make_member

    app.config["RATELIMIT_VERIFY"] = "3 per minute"
    shop = make.shop()
    caller = api.as_(make.cashier(shop))
    card = make_member()
    body = {"code": card.card_no}
    assert [caller.post("/verify", json=body).status_code for _ in range(2)] == [200, 200]
    assert client.get("/v/not-a-token").status_code != 429  # the third request from this address
    assert_error(caller.post("/verify", json=body), 429, "rate_limited")
    assert client.get("/v/not-a-token").status_code == 429



def test_an_application_wide_limit_still_covers_the_scanning_routes(config, request):
    """The scanning routes count their own limits, and an application-wide limit an operator sets counts
    there too."""
    from tests.verification.helpers import make_member

    from baiye.extensions import limiter

    config["RATELIMIT_APPLICATION"] = "2 per minute"
    try:
        api, make = request.getfixturevalue("api"), request.getfixturevalue("make")
        caller = api.as_(make.cashier(make.shop()))
        body = {"code": make_member().card_no}
        assert [caller.post("/verify", json=body).status_code for _ in range(2)] == [200, 200]
        assert_error(caller.post("/verify", json=body), 429, "rate_limited")
    finally:
        # Flask-Limiter keeps application limits on the (module-wide) limiter once set: later apps in
        # this process must not inherit them.
        limiter.limit_manager.set_application_limits([])
