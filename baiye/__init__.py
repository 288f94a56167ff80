"""百业千店: the support-the-military merchant discount network."""
import os
import secrets
from inspect import CO_COROUTINE
from pathlib import Path

from flask import Flask, current_app, flash, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter

from baiye import config as defaults
from baiye.api import JSONProvider
from baiye.extensions import babel, csrf, db, limiter, login_manager, migrate
from baiye.validators import row_id_from_digits

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config=None):
    """Build the application: config in layers, then extensions, blueprints, errors, commands."""
    app = App(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.url_map.converters["int"] = DatabaseIdConverter
    app.session_interface = CookieSessionInterface()
    load_config(app, test_config)
    app.json.ensure_ascii = False  # Chinese stays readable in JSON
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_template_helpers(app)
    from baiye.errors import register_errorhandlers
    from baiye.cli import register_commands

    register_errorhandlers(app)
    register_commands(app)
    return app


class App(Flask):
    """Flask, with a shortcut in `ensure_sync`, which Flask calls for every hook and view of every request, and
    JSON loading that refuses bodies no route can take (baiye.api.JSONProvider)."""

    json_provider_class = JSONProvider

    def ensure_sync(self, func):
        """A plain function or method is returned as it is, as Flask's own does, without going through
        `inspect.iscoroutinefunction` (which unwraps methods and partials first); anything else (an async
        function, a partial) goes to Flask's."""
        code = getattr(func, "__code__", None)
        if code is not None and not code.co_flags & CO_COROUTINE:
            return func
        return super().ensure_sync(func)


class DatabaseIdConverter(IntegerConverter):
    """`<int:id>` in every URL. An id past MAX_ROW_ID (the largest integer key every database holds)
    cannot name a row: it becomes 0, which no row has, so the route gives its ordinary 404 rather
    than PostgreSQL an out-of-range error (or routing a misleading 405)."""

    def to_python(self, value):
        return row_id_from_digits(value) or 0


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, minus the work it does for a request that sent no session cookie
    (every API call signed in with a bearer token): no signer is built and the cookie header is not parsed
    when there is none; the request starts with an empty session, as before. At the end, an empty,
    unmodified session saves nothing, as before; it only skips Flask's `Vary: Cookie` for bearer-token
    calls (Flask-Login looks at the session after every request), whose answers depend on the token:
    shared caches do not store answers to requests with an Authorization header (RFC 9111, 3.5)."""

    def open_session(self, app, request):
        if app.secret_key and (not request.environ.get("HTTP_COOKIE")
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not session and not session.modified and (not session.accessed or bearer_token(request) is not None):
            return  # what Flask's own code ends with too (no cookie), minus reading the cookie settings
        super().save_session(app, session, response)


def load_config(app, test_config):
    app.config.from_object(defaults)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'app.db'}"
    app.config.from_pyfile("config.py", silent=True)
    for name in ("DATABASE_URL", "SECRET_KEY", "BASE_URL", "RATELIMIT_STORAGE_URI", "TIMEZONE"):
        if os.environ.get(name):
            app.config[name] = os.environ[name]
    app.config.from_prefixed_env()
    if test_config:
        app.config.update(test_config)
    if app.config.get("DATABASE_URL"):
        url = app.config["DATABASE_URL"]
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A SQLite file has no server connection to lose: skip the ping before every checkout.
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options.pop("pool_pre_ping", None)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret(Path(app.instance_path))
    if str(app.config.get("BASE_URL", "")).startswith("https://"):
        secure = app.config.get("SECURE_COOKIES", True)
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = secure
        app.config["PREFERRED_URL_SCHEME"] = "https"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "translations")


def instance_secret(instance):
    """The secret key generated once into instance/, never a default in code."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and a busy timeout on every SQLite connection, so readers never block the till."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def select_locale():
    """?lang= or the remembered choice, then the browser's preference, else Chinese."""
    if not has_request_context():  # CLI commands speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    choice = request.args.get("lang") or request.cookies.get("lang")
    if choice in current_app.config["LANGUAGES"]:
        return choice
    if prefers_english(request.accept_languages):
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def prefers_english(accept_languages):
    """Whether a browser's Accept-Language (werkzeug's LanguageAccept) puts English before Chinese."""
    return accept_languages.best_match(["zh_CN", "zh", "en"]) == "en"


def register_extensions(app):
    app.before_request(sign_in_bearer)  # first: Flask-Limiter's own check may ask for the user
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    # CSRF is checked by check_csrf (register_request_hooks), which exempts bearer-token calls;
    # Flask-WTF's own blanket check would refuse those, so it is turned off.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    import_models()
    login_manager.user_loader(load_session_user)


def load_session_user(user_id):
    """Flask-Login's user loader. A session that was ended elsewhere (end_sessions) is cleared, remember-me
    cookie included, and a member is told why: their code was activated on another phone."""
    from baiye.accounts.services import session_user

    user, current = session_user(user_id)
    if current:
        return user
    if user is not None and has_request_context():
        session.pop("_user_id", None)
        session["_remember"] = "clear"  # Flask-Login deletes the cookie, and does not try it in this request
        if user.role == "member":
            flash(_("本机已退出：您的优待码已在另一部手机上启用。如需在本机使用，请到服务站领取新的激活链接。"), "info")
    return None


def bearer_token(req):
    """The token of an `Authorization: Bearer ...` header, else None. (Read from the WSGI environ, where
    `req.headers` would build and look up a header mapping, on every API call.)"""
    return environ_bearer_token(req.environ)


def environ_bearer_token(environ):
    """bearer_token, from a WSGI environ."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def json_holds_nul(data):
    """Whether a JSON body (bytes) holds a NUL character, which no text a person types holds and PostgreSQL
    cannot store. (A raw NUL byte is not valid JSON; an escaped one is refused here.)"""
    return b"\\u0000" in data


def sign_in_bearer():
    """A call with a bearer token is signed in by it, in the first before-request hook, before anything
    asks who is calling: Flask-Login never opens the cookie session for it (no identifier hash, no
    `Vary: Cookie`), a tenth of a scan's time. The token decides; an unknown one leaves the caller
    anonymous. (Registered first in register_extensions, so no Flask-Login request loader is needed.)"""
    from baiye.accounts.services import user_for_token

    token = bearer_token(request)
    if token is not None:
        login_manager._update_request_context_with_user(user_for_token(token))


MODEL_MODULES = ("baiye.accounts.models", "baiye.audit", "shops.models", "verification.models",
                 "verification.redemption_models", "reports.models")


def import_models():
    """Every table is known to SQLAlchemy (and Alembic) before the first query."""
    import importlib

    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as err:
            if not is_missing(err, name):
                raise


def is_missing(err, module_name):
    """The error says this module (or its package) is absent, not that something it imports is."""
    return module_name == err.name or module_name.startswith(f"{err.name}.")


def register_blueprints(app):
    from baiye.accounts.api import bp as accounts_api
    from baiye.accounts.views import bp as accounts
    from baiye.audit_views import bp as audit
    from baiye.core_views import bp as core
    from baiye.openapi import bp as openapi
    from shops.api import bp as shops_api
    from shops.views import bp as shops

    for blueprint in (core, openapi, audit, accounts, accounts_api, shops, shops_api):
        app.register_blueprint(blueprint)

    for optional in ("verification.views", "verification.api", "verification.scan_views",
                     "verification.redemption_api", "reports.views", "reports.api"):
        register_optional(app, optional)


def register_optional(app, module_name):
    """Areas that are present register their blueprint; missing ones are skipped."""
    module = import_optional(module_name)
    if module is not None:
        app.register_blueprint(module.bp)


def import_optional(module_name):
    """The module of an area, or None when the area is absent."""
    import importlib

    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if not is_missing(err, module_name):
            raise
        return None


SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # same-origin: token URLs never leave the site, yet the HTTPS CSRF check can see our own Referer.
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy",
     "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
     "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"),
    ("Permissions-Policy", "camera=(self), geolocation=()"),
)


def register_request_hooks(app):
    @app.before_request
    def refuse_streamed_excess():
        # Werkzeug stops reading a body sent without a Content-Length (chunked) at MAX_CONTENT_LENGTH without a
        # word, so an oversized one reached the views cut short. Read such a body here, before anything parses
        # it: when it fills the limit and the server still has more, it is 413, as a sized one is up front.
        req = request._get_current_object()
        most = req.max_content_length
        if (most is not None and req.content_length is None and req.environ.get("wsgi.input_terminated")
                and "chunked" in req.headers.get("Transfer-Encoding", "").lower()
                and len(req.get_data(cache=True)) >= most and req.environ["wsgi.input"].read(1)):
            raise RequestEntityTooLarge()

    @app.before_request
    def refuse_nul_characters():
        # No text a person types holds a NUL, and PostgreSQL cannot store one: refuse it up front.
        from baiye.errors import DomainError

        req = request._get_current_object()  # once, rather than through the proxy for each attribute
        values = [req.path, *(req.args.values() if req.query_string else ())]
        if req.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += req.form.values()  # a form's fields; uploaded files are the importers' to check
        if "\x00" in "".join(values) or (req.is_json and json_holds_nul(req.get_data(cache=True))):
            raise DomainError("malformed_request", _("请求中含有无效字符。"), 400)

    @app.before_request
    def check_csrf():
        # Forms and cookie-signed-in API calls carry a CSRF token. Bearer-token calls are
        # immune (browsers never attach the header); anonymous API calls must be JSON,
        # which a cross-site form cannot send.
        if request.method in ("GET", "HEAD", "OPTIONS") or app.config.get("WTF_CSRF_ENABLED") is False:
            return
        if request.path.startswith("/api/"):
            if bearer_token(request) is not None:
                return
            if "_user_id" not in session:
                return
        csrf.protect()

    till_lane = import_optional("verification.till_lane")
    if till_lane is not None:  # in front of Flask, inside the security headers
        app.wsgi_app = till_lane.TillLane(app, app.wsgi_app)
    app.wsgi_app = SecurityHeaders(app.wsgi_app, app.config)

    @app.after_request
    def remember_language(response):
        lang = request.args.get("lang") if request.query_string else None
        if lang in app.config["LANGUAGES"]:
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="Lax", httponly=True)
        return response


class SecurityHeaders:
    """WSGI middleware adding SECURITY_HEADERS (and HSTS on an https site) to every response a view has
    not given its own value. Added to the header list as it is sent, which costs a tenth of going through
    the response object's header validation in an after-request hook."""

    HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")

    def __init__(self, wsgi_app, config):
        self.wsgi_app = wsgi_app
        self.config = config

    def __call__(self, environ, start_response):
        https = environ.get("wsgi.url_scheme") == "https" or str(self.config.get("BASE_URL", "")).startswith("https://")

        def start_with_headers(status, headers, exc_info=None):
            present = {name.lower() for name, _value in headers}
            headers.extend(header for header in SECURITY_HEADERS if header[0].lower() not in present)
            if https and "strict-transport-security" not in present:
                headers.append(self.HSTS)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_with_headers)


def register_template_helpers(app):
    from baiye import lists
    from baiye.clock import local_date, utcnow
    from baiye.formatting import register_filters

    register_filters(app)
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters.update(category_label=lists.category_label, industry_label=lists.industry_label,
                                 street_label=lists.street_label)

    @app.context_processor
    def inject():
        from flask_babel import get_locale

        return {
            "lists": lists,
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "url_map_endpoints": app.view_functions,
            "today": lambda: local_date(utcnow()),
        }
