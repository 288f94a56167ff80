import subprocess
import sys
from pathlib import Path

from baiye.accounts.services import authenticate, user_for_token
from baiye.application import site_apps
from baiye.extensions import db
from baiye.factory import create_app

from ..conftest import assert_error


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_secret_key_generated_once_into_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    app.instance_path = str(tmp_path)
    from baiye.settings import instance_secret

    first = instance_secret(tmp_path)
    assert first == instance_secret(tmp_path) and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert app.config["SECRET_KEY"]


def test_sqlite_connections_use_wal_and_busy_timeout(app):
    if db.engine.url.get_backend_name() != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000


def test_api_unknown_route_is_json_404(client):
    assert_error(client.get("/api/v1/nope"), 404, "not_found")


def test_api_wrong_method_is_json_405(client):
    assert_error(client.put("/api/v1/meta"), 405, "method_not_allowed")


def test_api_body_too_large_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/shops", data="x" * 5000, content_type="application/json")
    assert_error(response, 413, "too_large")


def test_unexpected_error_is_json_500_without_details(app, client):
    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    error = assert_error(client.get("/api/v1/boom"), 500, "internal_error")
    assert "secret" not in error["message"]


def test_html_404_is_a_chinese_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_english_locale_switch(client):
    response = client.get("/login?lang=en")
    assert "<h1>Sign in</h1>" in response.get_data(as_text=True) and "登录" not in response.get_data(as_text=True)
    assert "lang=en" in response.headers.get("Set-Cookie", "")
    assert "<h1>Sign in</h1>" in client.get("/login").get_data(as_text=True)  # remembered


def test_every_message_has_an_english_translation():
    from babel.messages.pofile import read_po

    with open(Path(__file__).resolve().parents[2] / "translations/en/LC_MESSAGES/messages.po", "rb") as po:
        catalog = read_po(po)
    assert [message.id for message in catalog if message.id and not message.string] == []
    assert not [message.id for message in catalog if message.fuzzy and message.id]


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"


def test_login_api_returns_token_and_user(api, make):
    user = make.coordinator(username="coord")
    response = api.post("/auth/login", json={"username": "coord", "password": make.password})
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == {"id": user.id, "username": "coord", "role": "coordinator", "shop_id": None}
    assert user_for_token(body["token"]).id == user.id
    from baiye.accounts.models import ApiToken

    stored = db.session.query(ApiToken).one()
    assert body["token"] not in stored.token_hash  # only the hash is kept


def test_login_api_wrong_password_is_401(api, make):
    make.coordinator(username="coord")
    assert_error(api.post("/auth/login", json={"username": "coord", "password": "nope"}), 401,
                 "invalid_credentials")
    assert_error(api.post("/auth/login", json={"username": "ghost", "password": "nope"}), 401,
                 "invalid_credentials")


def test_login_api_validation(api):
    error = assert_error(api.post("/auth/login", json={}), 422, "validation_error")
    assert set(error["fields"]) == {"username", "password"}
    assert_error(api.post("/auth/login", data="[1]", content_type="application/json"), 400, "malformed_body")
    assert_error(api.post("/auth/login", data="not json", content_type="application/json"), 400,
                 "malformed_body")
    assert_error(api.post("/auth/login", json={"username": 5, "password": "x"}), 422, "validation_error")


def test_expired_token_is_refused(api, make, app):
    from datetime import timedelta

    from baiye.accounts.services import issue_api_token
    from baiye.clock import utcnow

    user = make.coordinator()
    token = issue_api_token(user, now=utcnow() - app.config["API_TOKEN_TTL"] - timedelta(seconds=1))
    db.session.commit()
    response = api.client.post("/api/v1/shops/1/approve", headers={"Authorization": f"Bearer {token}"}, json={})
    assert_error(response, 401, "not_signed_in")


def test_disabled_user_cannot_sign_in(make):
    user = make.coordinator(username="gone")
    user.is_disabled = True
    db.session.commit()
    assert authenticate("gone", make.password) is None


def test_login_page_signs_in_and_out(client, make):
    make.coordinator(username="coord")
    response = client.post("/login", data={"username": "coord", "password": make.password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/shops")
    assert client.get("/admin/shops").status_code == 200
    client.post("/logout")
    assert client.get("/admin/shops").status_code == 302


def test_login_page_shows_error_beside_field(client, make):
    make.coordinator(username="coord")
    response = client.post("/login", data={"username": "coord", "password": "wrong"})
    assert response.status_code == 422
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_login_ignores_offsite_next(client, make):
    make.coordinator(username="coord")
    response = client.post("/login?next=https://evil.example/x", data={"username": "coord", "password": make.password})
    assert "evil" not in response.headers["Location"]


def test_migrations_match_models(tmp_path):
    """`flask db upgrade` builds exactly the schema the models describe."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade()
        upgrade()  # idempotent
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []


def test_migrations_go_down_and_up_again_with_rows_in_place(tmp_path):
    """The last migration can be undone on SQLite with rows pointing at the table it changed, and redone."""
    from flask_migrate import downgrade, upgrade

    from baiye.accounts.models import User
    from baiye.accounts.services import create_user, issue_api_token

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade()
        issue_api_token(create_user("coord", "secret123x", "coordinator"))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0005_usage_period")
        upgrade()
        assert db.session.scalar(db.select(User.session_epoch).where(User.username == "coord")) == 0
        db.session.remove()
        db.engine.dispose()


def test_the_shop_location_migration_goes_down_and_up_with_shops_in_place(tmp_path):
    """0009 adds the shop's lat and lng; undone with shops (and rows pointing at them) kept, and redone."""
    from flask_migrate import downgrade, upgrade

    from shops.models import Shop
    from tests.factories import Factory

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/m.db"})
    with app.app_context():
        upgrade()
        shop_id = Factory().shop(lat=30.2741, lng=120.1551).id  # with its owner, a row pointing at the shop
        db.session.remove()
        downgrade(revision="0008_credential_form")
        upgrade()
        shop = db.session.get(Shop, shop_id)
        assert shop.owner is not None and shop.location is None
        db.session.remove()
        db.engine.dispose()


def test_ids_beyond_the_database_range_are_404(api, make):
    coordinator = api.as_(make.coordinator())
    for path in ("/shops/99999999999", "/offers/3000000000", "/members/2235688668688", "/shops/" + "9" * 5000):
        assert_error(coordinator.get(path), 404, "not_found")
    assert_error(coordinator.patch("/members/2235688668688", json={"name": "x"}), 404, "not_found")


def test_home_page_shows_programme_totals(client, make):
    make.shop()
    page = client.get("/").get_data(as_text=True)
    assert "参与商户（家）" in page and "查看参与商户目录" in page


def test_https_deployment_has_secure_cookies_and_hsts(tmp_path, make):
    from ..conftest import base_config

    config = base_config(tmp_path) | {"DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}", "SECURE_COOKIES": True}
    app = create_app(config)
    with app.app_context():
        db.create_all()
        make.coordinator(username="coord")
        client = app.test_client()
        response = client.post("/login", data={"username": "coord", "password": "secret123"},
                               base_url="https://yj.example.cn")
        cookies = response.headers.getlist("Set-Cookie")
        session_cookie = next(c for c in cookies if c.startswith("session="))
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
        assert "max-age=31536000" in client.get("/", base_url="https://yj.example.cn").headers["Strict-Transport-Security"]
        db.session.remove()
        db.engine.dispose()


def test_sign_in_starts_a_new_session(client, make):
    make.coordinator(username="coord")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.post("/login", data={"username": "coord", "password": "secret123"})
    with client.session_transaction() as session:
        assert "planted" not in session and session.get("_user_id")


def test_templates_have_no_inline_script_or_style():
    """The Content-Security-Policy allows only the app's own files; inline code would be blocked."""
    import re

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for path in root.rglob("*.html"):
        text = path.read_text()
        offenders += [f"{path.name}: {m}" for m in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", text)]
    assert offenders == []


def test_nul_characters_are_refused_everywhere(api, client):
    assert_error(api.get("/shops?q=a%00b"), 400, "malformed_request")
    assert_error(api.post("/shops", data='{"name": "a\\u0000b"}', content_type="application/json"), 400,
                 "malformed_request")
    assert client.post("/login", data={"username": "a\x00", "password": "x"}).status_code == 400


def test_roles_are_checked_before_nul_characters(api, client, make):
    """A caller the route does not admit hears 401 or 403 whatever the request holds; a NUL is 400 only for a
    caller who may use the route (and nothing is changed then)."""
    shop = make.shop()
    owner, coordinator = api.as_(shop.owner), api.as_(make.coordinator())
    assert_error(owner.get("/members?q=%00"), 403, "forbidden")
    assert_error(api.get("/members?q=%00"), 401, "not_signed_in")
    assert_error(owner.post("/members", data='{"name": "a\\u0000b"}', content_type="application/json"), 403,
                 "forbidden")
    assert_error(api.as_(make.cashier(shop)).post(f"/shops/{shop.id}/offers", json={"title": "a\x00"}), 403,
                 "forbidden")
    assert client.get("/admin/members?q=%00").status_code == 302  # a page: to the sign-in page, as without it
    assert_error(coordinator.get("/members?q=%00"), 400, "malformed_request")
    assert_error(coordinator.post("/members", json={"name": "a\x00b", "category": "veteran"}), 400,
                 "malformed_request")
    assert_error(api.get("/shops?q=%00"), 400, "malformed_request")  # a route open to anyone: 400 for anyone
    assert db.session.execute(db.text("SELECT count(*) FROM member")).scalar() == 0


def test_bearer_calls_carry_no_session_and_pages_still_vary_by_cookie(api, client, make):
    response = api.as_(make.coordinator()).get("/shops")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    page = client.get("/")  # a page reads the (empty) session: caches must keep signed-in visitors apart
    assert "Cookie" in page.headers.get("Vary", "")


def test_session_user_ids_carry_the_epoch(client, make):
    """The session holds "<id>.<epoch>"; a bare id from before the epoch existed still stands for epoch 0,
    and any other value (a stale epoch, a forged or mangled one) signs no one in and breaks nothing."""
    user = make.coordinator(username="coord")
    client.post("/login", data={"username": "coord", "password": "secret123"})
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{user.id}.0"
    assert client.get("/admin/members").status_code == 200
    client.delete_cookie("remember_token")  # the session alone decides below
    for value, signed_in in ((str(user.id), True), (f"{user.id}.1", False), (f"{user.id}.", False), ("abc", False),
                             (f"{user.id}.x", False), ("0", False), ("-1", False), ("99999999999999999999", False),
                             ("", False), ("１", False), (f"{user.id}.0.0", False), (f"{user.id}.-1", False),
                             ("9" * 5000, False), (f"{user.id}." + "9" * 5000, False)):
        with client.session_transaction() as session:
            session["_user_id"] = value
        response = client.get("/admin/members")
        assert response.status_code == (200 if signed_in else 302), value
    with client.session_transaction() as session:
        session["_user_id"] = f"{user.id}.1"  # a stale session: cleared, but only a member is told about phones
    assert "另一部手机" not in client.get("/login").get_data(as_text=True)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_end_sessions_raises_the_epoch_and_drops_bearer_tokens(app, make):
    from baiye.accounts.models import ApiToken
    from baiye.accounts.services import end_sessions, forget_tokens, issue_api_token, session_user, user_for_token

    user = make.coordinator()
    token = issue_api_token(user)
    db.session.commit()
    old_id = user.get_id()
    assert session_user(old_id) == (user, True) and user_for_token(token) is not None
    end_sessions(user)
    db.session.commit()
    forget_tokens()
    assert user.get_id() == f"{user.id}.1" and session_user(user.get_id()) == (user, True)
    assert session_user(old_id) == session_user(str(user.id)) == (user, False)
    assert session_user("x") == session_user(f"{user.id + 1}.0") == (None, False)
    assert user_for_token(token) is None and db.session.query(ApiToken).count() == 0


def test_row_ids_are_positive_ints_the_database_can_hold():
    from baiye.validators import MAX_ROW_ID, is_row_id, row_id_from_digits

    assert is_row_id(1) and is_row_id(MAX_ROW_ID)
    assert not any(is_row_id(value) for value in (0, -1, MAX_ROW_ID + 1, True, False, 1.0, "1", None))
    assert row_id_from_digits("42") == 42 and row_id_from_digits(str(MAX_ROW_ID)) == MAX_ROW_ID
    assert not any(row_id_from_digits(text) for text in ("0", "", "-1", "1.5", str(MAX_ROW_ID + 1), "9" * 5000))


def test_favicon_is_the_app_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response.headers["Location"].endswith("/static/img/icon.svg")
    assert client.get(response.headers["Location"]).status_code == 200


def test_the_tills_calls_are_answered_by_its_own_app_with_the_shared_hooks(app, api, till):
    """verification.till.app: the till's JSON routes go to a small Flask app of its own (no Flask-Limiter hooks,
    no pages); every other route to the main app. Both give the security headers and the same error bodies."""
    from verification.till.app import TillApp

    (till_app,) = site_apps(app)[1:]
    assert isinstance(till_app, TillApp)
    answered_by = []
    for each in site_apps(app):
        each.after_request(lambda response, name=each.name: answered_by.append(name) or response)
    caller = api.as_(till.cashier)
    verify = caller.post("/verify", json={"code": till.card.card_no})
    listing = caller.get("/redemptions")
    meta = caller.get("/meta")
    missing = caller.post("/verify", json={})
    assert [verify.status_code, listing.status_code, meta.status_code] == [200, 200, 200]
    assert answered_by == [till_app.name, till_app.name, app.name, till_app.name]
    for response in (verify, listing, meta, missing):
        assert response.headers["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in response.headers
    assert missing.status_code == 422 and missing.get_json()["error"]["fields"] == {"code": ["此项为必填。"]}
    assert not any(rule.endpoint.startswith("redemption_api.") for rule in app.url_map.iter_rules())


# Imports each of the project's modules first, in an interpreter where none of the project is loaded yet.
FRESH_IMPORTS = r"""
import importlib, sys
from pathlib import Path

root = Path(sys.argv[1])
packages = ("baiye", "shops", "verification", "reports", "ledger", "evidence", "tools", "wsgi")
names = sorted(".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
               for package in packages[:-1] for p in (root / package).rglob("*.py")) + ["wsgi"]
for name in names:
    for loaded in [m for m in sys.modules if m.split(".")[0] in packages]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as err:
        print(f"{name}: {type(err).__name__}: {err}")
"""


def test_every_module_imports_first_without_an_import_loop():
    """No module needs another to have been imported before it: the `baiye` package builds nothing when one of
    its modules is imported (the factory is baiye.factory), so no area module is loaded half-way round a loop
    through it."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", FRESH_IMPORTS, str(root)], cwd=root, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "", done.stdout
