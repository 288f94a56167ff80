"""Sign-in and registration are rate limited; in production the counts live in Redis."""
import itertools
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
    from baiye.factory import create_app

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


_addresses = itertools.count(1)


def address():
    """A new client address. (Flask-Limiter keeps the first app's RATELIMIT_KEY_PREFIX for the process, so
    tests on the shared Redis keep apart by addresses and usernames of their own.)"""
    n = next(_addresses) + os.getpid() % 1000 * 10_000
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def attempt(client, route, username, password, addr):
    """A sign-in attempt through the API or the page, from an address."""
    environ = {"REMOTE_ADDR": addr}
    if route == "api":
        return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                           environ_base=environ)
    return client.post("/login", data={"username": username, "password": password}, environ_base=environ)


def test_the_address_limit_is_shared_by_the_page_and_the_api(client, make):
    name = make.coordinator().username
    here = address()
    assert [attempt(client, route, name, "wrong", here).status_code for route in ("api", "page", "api")] == [
        401, 422, 401]
    assert attempt(client, "page", name, "secret123", here).status_code == 429
    assert attempt(client, "api", name, "secret123", here).status_code == 429
    assert attempt(client, "api", name, "secret123", address()).status_code == 200


def test_failed_sign_ins_are_counted_per_account_across_addresses_and_routes(app, client, make):
    app.config.update(RATELIMIT_LOGIN="100 per minute", RATELIMIT_LOGIN_ACCOUNT="3 per 5 minutes")
    name, other = make.coordinator().username, make.coordinator().username
    first, second = address(), address()
    for route, addr in (("api", first), ("page", second), ("api", address())):
        assert attempt(client, route, name, "wrong", addr).status_code in (401, 422)
    error = assert_error(attempt(client, "api", name, "secret123", address()), 429, "rate_limited")
    assert "该账号登录失败次数过多" in error["message"] and "5 分钟" in error["message"]
    page = attempt(client, "page", name, "secret123", address())
    assert page.status_code == 429 and "该账号登录失败次数过多" in page.get_data(as_text=True)
    english = client.post("/api/v1/auth/login?lang=en", json={"username": name, "password": "secret123"},
                          environ_base={"REMOTE_ADDR": address()})
    assert "Too many failed sign-ins for this account" in english.get_json()["error"]["message"]
    # another account, from the same addresses, is not held back
    assert attempt(client, "api", other, "secret123", first).status_code == 200
    assert attempt(client, "page", other, "secret123", second).status_code == 302


def test_successful_sign_ins_do_not_count_toward_the_account_limit(app, client, make):
    app.config.update(RATELIMIT_LOGIN="100 per minute", RATELIMIT_LOGIN_ACCOUNT="3 per 5 minutes")
    name, here = make.coordinator().username, address()
    assert [attempt(client, "api", name, "secret123", here).status_code for _ in range(6)] == [200] * 6


def test_a_locked_account_signs_in_again_once_the_short_window_has_passed(app, client, make, config, monkeypatch):
    from limits import parse

    default = parse(app.config["RATELIMIT_LOGIN_ACCOUNT"])
    assert default.get_expiry() <= 15 * 60  # a stranger cannot keep a shop out of its till for long
    if not config["RATELIMIT_STORAGE_URI"].startswith("memory"):
        pytest.skip("the window is moved on by the in-process storage's clock")
    import time

    app.config.update(RATELIMIT_LOGIN="100 per minute", RATELIMIT_LOGIN_ACCOUNT="3 per 5 minutes")
    name, here = make.coordinator().username, address()
    for _ in range(3):
        attempt(client, "api", name, "wrong", here)
    assert attempt(client, "api", name, "secret123", here).status_code == 429
    later = time.time() + 5 * 60 + 1
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: later)
    assert attempt(client, "api", name, "secret123", here).status_code == 200


def test_odd_sign_in_bodies_are_refused_without_a_traceback(app, client, make, caplog):
    app.config.update(RATELIMIT_LOGIN="100 per minute", RATELIMIT_LOGIN_ACCOUNT="3 per 5 minutes")
    here = {"REMOTE_ADDR": address()}
    for body in ('{"username": 5, "password": "x"}', '[1, 2]', '{"username": "' + "x" * 5000 + '"}', "{"):
        response = client.post("/api/v1/auth/login", data=body, content_type="application/json", environ_base=here)
        assert response.status_code in (400, 401, 422), (body[:40], response.status_code)
    assert client.post("/login", data={"password": "x"}, environ_base=here).status_code == 422
    assert "Traceback" not in caplog.text and "Skipping limit" not in caplog.text

def test_the_account_key_names_no_one_for_bodies_without_a_username(app):
    from baiye.accounts.throttle import account_key

    for body in ('{"username": "\\udc00"}', '{"username": "coord"}', '{"username": ["coord"]}', "[]", "{", "",
                 "[" * 5000 + "]" * 5000):
        with app.test_request_context("/api/v1/auth/login", method="POST", data=body,
                                      content_type="application/json"):
            key = account_key()
            assert key == "" or (key.startswith("account:") and "coord" not in key), body[:20]
    with app.test_request_context("/login", method="POST", data={"username": "coord"}):
        assert account_key() == account_key_of_json(app, "coord") != ""


def account_key_of_json(app, username):
    from baiye.accounts.throttle import account_key

    with app.test_request_context("/api/v1/auth/login", method="POST", json={"username": username}):
        return account_key()


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
    caller = api.as_(make.cashier(make.shop()))
    body = {"code": make_member().card_no}
    assert [caller.post("/verify", json=body).status_code for _ in range(2)] == [200, 200]
    assert_rate_limit_headers(caller.post("/verify", json=body), 2)
    assert_rate_limit_headers(client.get("/v/not-a-token"), 2)  # the scan page shares the address's count
