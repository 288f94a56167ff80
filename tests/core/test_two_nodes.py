"""Two app servers behind one load balancer, on one PostgreSQL and one Redis: what a request stores or ends on
one node holds on the other. (Runs when TEST_DATABASE_URL is PostgreSQL and TEST_REDIS_URL answers; CI sets
both.)"""
import io
import json
import os
import uuid

import pytest
from PIL import Image

from ..live import Browser, gunicorn, multipart

REDIS_URL = os.environ.get("TEST_REDIS_URL")


def unavailable(config):
    """Why two nodes cannot share state here, or None."""
    if not config["DATABASE_URL"].startswith("postgresql"):
        return "two app servers need one database server: set TEST_DATABASE_URL=postgresql://… (CI does)"
    if not REDIS_URL:
        return "two app servers share rate limits through Redis: set TEST_REDIS_URL=redis://… (CI does)"
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as err:
        return f"Redis at {REDIS_URL} is unreachable: {err}"
    return None


@pytest.fixture
def nodes(app, config, tmp_path):
    """Two gunicorn servers (the shipped gunicorn.conf.py, a worker each) on the test's database. Each has a
    folder of its own for what the app keeps on disk (UPLOAD_FOLDER, where photos used to go; the secret key
    comes from the environment, as in production, and the database is PostgreSQL)."""
    reason = unavailable(config)
    if reason:
        pytest.skip(reason)
    shared = {"DATABASE_URL": config["DATABASE_URL"], "SECRET_KEY": config["SECRET_KEY"],
              "FLASK_ID_HASH_KEY": config["ID_HASH_KEY"], "RATELIMIT_STORAGE_URI": REDIS_URL,
              "FLASK_RATELIMIT_KEY_PREFIX": uuid.uuid4().hex, "FLASK_RATELIMIT_LOGIN": "100 per minute",
              "FLASK_RATELIMIT_LOGIN_ACCOUNT": "3 per 5 minutes", "GUNICORN_WORKERS": "1"}
    logs = [tmp_path / "node-a.log", tmp_path / "node-b.log"]
    with gunicorn(shared | {"FLASK_UPLOAD_FOLDER": str(tmp_path / "node-a")}, logs[0]) as a, \
            gunicorn(shared | {"FLASK_UPLOAD_FOLDER": str(tmp_path / "node-b")}, logs[1]) as b:
        yield a, b
    for log in logs:
        assert "Traceback" not in log.read_text(errors="replace"), log.name


def a_photo():
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def sign_in(browser, user, password):
    token = browser.csrf_token("/login")
    reply = browser.post_form("/login", {"csrf_token": token, "username": user.username, "password": password})
    assert reply.status == 302, reply.text


def test_a_photo_uploaded_through_one_node_is_served_by_the_other(nodes, make):
    a, b = nodes
    shop = make.shop()
    signed_in = Browser(a).post_json("/api/v1/auth/login", {"username": shop.owner.username, "password": make.password})
    assert signed_in.status == 200, signed_in.text
    auth = {"Authorization": f"Bearer {json.loads(signed_in.data)['token']}"}
    body, content_type = multipart({"caption": "门口标牌"}, {"file": ("door.jpg", a_photo())})
    uploaded = Browser(a).call("POST", f"/api/v1/shops/{shop.id}/photos", body, {"Content-Type": content_type, **auth})
    assert uploaded.status == 201, uploaded.text
    photo = json.loads(uploaded.data)
    for path in (photo["url"], photo["thumb_url"]):
        here, there = Browser(a).get(path, headers=auth), Browser(b).get(path, headers=auth)
        assert here.status == there.status == 200, (path, here.status, there.status)
        assert there.data == here.data and there.headers["Cache-Control"] == "private, max-age=3600"
    assert Image.open(io.BytesIO(Browser(b).get(photo["thumb_url"], headers=auth).data)).size == (480, 360)


def test_signing_out_on_one_node_ends_the_session_on_the_other(nodes, make):
    a, b = nodes
    owner = make.shop().owner
    phone = Browser(a)
    sign_in(phone, owner, make.password)
    assert {"session", "remember_token"} <= phone.cookies.keys()
    copy = phone.on(b)  # the cookies, copied before signing out, sent through the other node
    remember_only = Browser(b, {"remember_token": phone.cookies["remember_token"]})
    for browser in (copy, remember_only):
        assert browser.get("/shop").status == 200

    assert phone.post_form("/logout", {"csrf_token": phone.csrf_token("/shop")}).status == 302
    for browser in (copy, remember_only, Browser(b, dict(copy.cookies)), phone.on(a)):
        for path in ("/shop", "/shop/history"):
            reply = browser.get(path)
            assert reply.status == 302 and "/login" in reply.headers["Location"], (browser.base, path, reply.status)
    assert phone.on(b).get("/api/v1/redemptions").status == 401


def test_failed_sign_ins_are_counted_per_account_across_nodes(nodes, make):
    a, b = nodes
    user = make.coordinator()
    for node in (a, b, a):
        reply = Browser(node).post_json("/api/v1/auth/login", {"username": user.username, "password": "wrong"})
        assert reply.status == 401
    refused = Browser(b).post_json("/api/v1/auth/login", {"username": user.username, "password": make.password})
    assert refused.status == 429 and "该账号登录失败次数过多" in refused.text
