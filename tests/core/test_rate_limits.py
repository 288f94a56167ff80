"""Sign-in and registration are rate limited; in production the counts live in Redis."""
import os
import uuid

import pytest

from ..conftest import assert_error

REDIS_URL = os.environ.get("TEST_REDIS_URL")
STORAGES = ["memory://", "memory-swept://"] + ([REDIS_URL] if REDIS_URL else [])


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


def test_swept_memory_storage_counts_and_expires_without_timer_threads(monkeypatch):
    import threading

    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    from baiye.extensions import SweptMemoryStorage

    storage = SweptMemoryStorage()
    limiter = FixedWindowRateLimiter(storage)
    limit = parse("3 per second")
    threads = threading.active_count()
    assert [limiter.hit(limit, "k") for _ in range(4)] == [True, True, True, False]
    assert threading.active_count() <= threads  # no timer thread per hit
    clock = {"now": __import__("time").time() + 1.5}
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: clock["now"])
    assert limiter.hit(limit, "k")  # the window expired when read
    monkeypatch.setattr("baiye.extensions.time.monotonic", lambda: 10**9)
    storage.incr("other", 1)  # a sweep runs inline once a second
    assert "k" not in storage.expirations or storage.expirations["k"] > clock["now"]


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
    """The scanning routes count their own limits and skip Flask-Limiter's check, unless an operator sets
    an application-wide limit: then that counts there too."""
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


def assert_rate_limit_headers(response, limit):
    """A 429 says when to come back (Retry-After, in seconds) and, as RATELIMIT_HEADERS_ENABLED promises, which
    limit was reached (X-RateLimit-Limit, -Remaining, -Reset)."""
    import time

    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 0 < retry_after <= 60
    assert response.headers["X-RateLimit-Limit"] == str(limit)
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(response.headers["X-RateLimit-Reset"]) - time.time() <= 61


def test_a_429_says_when_to_come_back(api, client, make):
    make.coordinator(username="coord")
    for _ in range(3):
        api.post("/auth/login", json={"username": "coord", "password": "wrong"})
    assert_rate_limit_headers(api.post("/auth/login", json={"username": "coord", "password": "wrong"}), 3)
    for _ in range(3):
        client.post("/login", data={"username": "coord", "password": "wrong"})
    assert_rate_limit_headers(client.post("/login", data={"username": "coord", "password": "wrong"}), 3)


def test_the_tills_429_says_when_to_come_back(app, api, client, make):
    from tests.verification.helpers import make_member

    app.config["RATELIMIT_VERIFY"] = "2 per minute"
    app.config["TILL_LANE"] = False  # Flask's pipeline: the till's lane (being removed) answers 429 with no headers
    caller = api.as_(make.cashier(make.shop()))
    body = {"code": make_member().card_no}
    assert [caller.post("/verify", json=body).status_code for _ in range(2)] == [200, 200]
    assert_rate_limit_headers(caller.post("/verify", json=body), 2)
    assert_rate_limit_headers(client.get("/v/not-a-token"), 2)  # the scan page shares the address's count
