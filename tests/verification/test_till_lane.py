"""The till's lane (verification.till_lane) answers the till's two calls exactly as the Flask views do, and
leaves every other call to them."""
import io
import json
import logging

import pytest

from baiye.extensions import db
from verification import redemptions
from verification.models import Redemption
from verification.redemption_models import ScanLog

from ..conftest import assert_error
from .helpers import make_member


@pytest.fixture
def config(config, request):
    if "rate_limit" in request.node.name:  # two a minute, by user and by address
        config.update(RATELIMIT_ENABLED=True, RATELIMIT_VERIFY="2 per minute")
    return config


@pytest.fixture
def views(app):
    """The calls that reached the Flask views of the two routes."""
    calls = []
    for endpoint in ("redemption_api.verify", "redemption_api.redeem"):
        def counted(*args, _view=app.view_functions[endpoint], **kwargs):
            calls.append(1)
            return _view(*args, **kwargs)

        app.view_functions[endpoint] = counted
    return calls


@pytest.fixture
def caller(api, till):
    return api.as_(till.cashier)


def through_flask(app, call):
    app.config["TILL_LANE"] = False
    try:
        return call()
    finally:
        app.config["TILL_LANE"] = True


def answer(response):
    return response.status_code, response.get_data(), sorted(response.headers.items())


def test_verify_answers_match_flask_and_skip_the_view(app, caller, till, views):
    for code in (till.card.card_no, "6200000000000000", "https://yj.example.cn/v/forged"):
        lane = caller.post("/verify", json={"code": code})
        assert views == []
        flask = through_flask(app, lambda: caller.post("/verify", json={"code": code}))
        assert views == [1]
        views.clear()
        assert answer(lane) == answer(flask)
        assert lane.headers["X-Frame-Options"] == "DENY" and lane.headers["Content-Type"] == "application/json"
    assert lane.get_json() == {"valid": False, "reason": "invalid"}
    assert db.session.query(ScanLog).count() == 4  # each refusal logged once, by either


def test_redeem_answers_match_flask(app, api, make, caller, till, views):
    body = {"code": till.card.card_no, "offer_id": till.offer.id, "bill": 10000, "idempotency_key": "k-1"}
    first = caller.post("/redemptions", json=body)
    assert first.status_code == 201 and views == []
    replay = through_flask(app, lambda: caller.post("/redemptions", json=body))
    assert replay.status_code == 200 and replay.get_json() == first.get_json()
    assert answer(caller.post("/redemptions", json=body)) == answer(replay)
    created = through_flask(app, lambda: caller.post("/redemptions", json=dict(body, idempotency_key="k-2")))
    assert created.status_code == 201
    ignore = ("id", "created_at", "idempotency_key")
    assert {k: v for k, v in created.get_json().items() if k not in ignore} == \
        {k: v for k, v in first.get_json().items() if k not in ignore}
    assert db.session.query(Redemption).count() == 2

    once = make.offer(till.shop, limit_per_member=1, limit_period="day")
    refusals = [dict(body, idempotency_key=None, offer_id=once.id), dict(body, idempotency_key=None, bill=10**12),
                dict(body, idempotency_key=None, offer_id=10**6)]
    assert caller.post("/redemptions", json=refusals[0]).status_code == 201
    for refused in refusals:  # limit_reached, validation_error from the service, not_found
        lane = caller.post("/redemptions", json=refused)
        assert lane.status_code in (409, 422, 404)
        assert answer(lane) == answer(through_flask(app, lambda: caller.post("/redemptions", json=refused)))
    assert views == [1, 1, 1, 1, 1]  # only the calls sent through Flask


def test_a_shop_that_is_not_approved_is_refused_alike(app, api, make, views):
    shop = make.shop(status="suspended")
    card = make_member()
    caller = api.as_(make.cashier(shop))
    lane = caller.post("/verify", json={"code": card.card_no})
    assert_error(lane, 409, "shop_not_approved")
    assert answer(lane) == answer(through_flask(app, lambda: caller.post("/verify", json={"code": card.card_no})))
    assert views == [1]


def test_rate_limit_counted_once_per_call_by_either(app, caller, till, views):
    code = {"code": till.card.card_no}
    assert caller.post("/verify", json=code).status_code == 200
    assert through_flask(app, lambda: caller.post("/verify", json=code)).status_code == 200
    lane = caller.post("/verify", json=code)
    assert_error(lane, 429, "rate_limited")
    flask = through_flask(app, lambda: caller.post("/verify", json=code))
    # Flask's 429 also says when to come back (Retry-After, X-RateLimit-*); the lane's does not.
    assert answer(lane)[:2] == answer(flask)[:2] and "Retry-After" in flask.headers


def test_an_unexpected_error_is_a_logged_500_alike(app, caller, till, views, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    logged = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = logged.append
    app.logger.addHandler(handler)
    monkeypatch.setattr(redemptions, "verify_for_shop", broken)
    try:
        lane = caller.post("/verify", json={"code": till.card.card_no})
        assert_error(lane, 500, "internal_error")
        flask = through_flask(app, lambda: caller.post("/verify", json={"code": till.card.card_no}))
    finally:
        app.logger.removeHandler(handler)
    assert answer(lane) == answer(flask)
    assert [(r.getMessage(), r.exc_info[0]) for r in logged] == [("Unhandled error on POST /api/v1/verify", RuntimeError)] * 2


@pytest.mark.parametrize("call", [
    dict(json={}),  # the schema refuses it
    dict(data=b'{"code": ', content_type="application/json"),  # not JSON
    dict(json=["a list"]),
    dict(json={"code": "\x00"}),
    dict(data=b'{"code": "1"}', content_type="text/plain"),
    dict(json={"code": "1"}, query_string={"lang": "en"}),
    dict(json={"code": "1"}, headers={"Accept-Language": "en-US,en;q=0.9"}),
    dict(json={"code": "1"}, cookie=("lang", "en")),
])
def test_other_calls_go_to_flask(app, caller, till, views, call):
    call = dict(call)
    headers = dict(call.pop("headers", {}), Authorization=f"Bearer {caller.token}")
    if "cookie" in call:
        caller.client.set_cookie(*call.pop("cookie"))
    response = caller.client.post("/api/v1/verify", headers=headers, **call)
    assert views == [1] or response.status_code == 400  # a malformed body stops before the view
    flask = through_flask(app, lambda: caller.client.post("/api/v1/verify", headers=headers, **call))
    assert answer(response) == answer(flask)


def test_a_browser_language_or_a_wrong_caller_is_flasks(app, api, make, till, views):
    english = api.as_(till.cashier).post("/verify", json={}, headers={"Accept-Language": "en"})
    assert_error(english, 422, "validation_error")
    assert english.get_json()["error"]["message"].isascii()  # in English
    assert_error(api.post("/verify", json={"code": "1"}, headers={"Authorization": "Bearer nope"}), 401,
                 "not_signed_in")
    assert_error(api.as_(make.coordinator()).post("/verify", json={"code": till.card.card_no}), 403, "forbidden")
    assert views == [1, 1, 1]  # all three reached Flask's routes


def test_the_lane_can_be_turned_off(app, caller, till, views):
    app.config["TILL_LANE"] = False
    assert caller.post("/verify", json={"code": till.card.card_no}).status_code == 200
    assert views == [1]


def test_a_body_too_deep_to_parse_or_a_failing_token_lookup_is_flasks(app, caller, till, views, monkeypatch):
    deep = b'{"code": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    call = dict(data=deep, content_type="application/json", headers={"Authorization": f"Bearer {caller.token}"})
    lane = caller.client.post("/api/v1/verify", **call)
    assert_error(lane, 400, "malformed_body")  # Flask's answer: too deep for any route
    assert answer(lane) == answer(through_flask(app, lambda: caller.client.post("/api/v1/verify", **call)))

    from baiye.accounts import services
    from sqlalchemy.exc import OperationalError

    def lost(*args):
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    services.forget_tokens()
    monkeypatch.setattr(services, "_load_token_user", lost)
    lane = caller.post("/verify", json={"code": till.card.card_no})
    assert_error(lane, 500, "internal_error")
    assert answer(lane) == answer(through_flask(app, lambda: caller.post("/verify", json={"code": till.card.card_no})))


def test_no_body_size_limit_and_short_reads(app, caller, till, views):
    app.config["MAX_CONTENT_LENGTH"] = None  # Flask's own default: no limit
    assert caller.post("/verify", json={"code": till.card.card_no}).status_code == 200

    class Trickle(io.BytesIO):
        """A WSGI input that gives at most seven bytes a read, as a server may."""

        def read(self, size=-1):
            return super().read(7 if size is None or size < 0 else min(size, 7))

    body = json.dumps({"code": till.card.card_no}).encode()
    response = caller.client.post("/api/v1/verify", input_stream=Trickle(body), content_length=len(body),
                                  content_type="application/json", headers={"Authorization": f"Bearer {caller.token}"})
    assert response.status_code == 200 and response.get_json()["valid"] is True
    assert views == []


def test_rate_limit_by_address_is_one_counter_when_the_address_is_unknown(app, api, make, till, views):
    """Behind a proxy on a Unix socket the address is empty: the lane counts it under Flask-Limiter's own
    fallback, so calls by either path share the per-address limit (2 a minute here)."""
    no_address = {"REMOTE_ADDR": ""}
    body = {"code": till.card.card_no}
    for _ in range(2):
        assert api.as_(make.cashier(till.shop)).post("/verify", json=body,
                                                     environ_overrides=no_address).status_code == 200
    assert views == []
    third = api.as_(make.cashier(till.shop))
    assert_error(through_flask(app, lambda: third.post("/verify", json=body, environ_overrides=no_address)), 429,
                 "rate_limited")
